// "postconf -e name=value", "-# name", "-X name": edit main.cf in place. The
// rest of the file (comments, blank lines, other entries) is copied unchanged;
// the result is written to main.cf.tmp and renamed over main.cf.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { describeErrno, splitNameValue } from '../../config/main-cf.js';
import type { Reporter } from './io.js';
import { byteCompare } from './model.js';
import { Mode } from './options.js';

interface Request {
  value: string | undefined;
  found: number;
}

const SPACE = ' \t\n\v\f\r';

export function editMain(mode: number, configDir: string, args: string[], report: Reporter): void {
  const table = new Map<string, Request>();
  for (const raw of args) {
    if (raw.includes('\n')) report.fatal('-e, -X, or -# accepts no multi-line input');
    const cp = raw.replace(/^[ \t\n\v\f\r]+/, '');
    if (cp.startsWith('#')) report.fatal('-e, -X, or -# accepts no comment input');
    let pattern: string;
    let value: string | undefined;
    if ((mode & Mode.EditConf) !== 0) {
      const split = splitNameValue(cp);
      if (typeof split === 'string') return report.fatal(`${split}: "${cp}"`);
      [pattern, value] = split;
    } else {
      if (cp === '') report.fatal('-X or -# requires non-blank parameter names');
      if (cp.includes('=')) report.fatal('-X or -# requires parameter names without value');
      pattern = cp.replace(/[ \t\n\v\f\r]+$/, '');
      value = undefined;
    }
    const old = table.get(pattern);
    if (old !== undefined) {
      // Postfix 3.7 warns even when the value is the same (and not for -X/-# names).
      if (old.value !== undefined) report.warn(`ignoring earlier request: '${pattern} = ${old.value}'`);
      table.delete(pattern);
    }
    table.set(pattern, { value, found: 0 });
  }

  const path = `${configDir}/main.cf`;
  const tmpPath = `${path}.tmp`;
  try {
    writeFileSync(tmpPath, '', { mode: 0o644 });
  } catch (err) {
    report.fatal(`open ${tmpPath}: ${describeErrno(err)}`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    unlinkSync(tmpPath);
    return report.fatal(`open ${path} for reading: ${describeErrno(err)}`);
  }

  let out = '';
  let interesting = false;
  // Postfix 3.7 copies a last line without newline as is (a following append joins it).
  const lines = text.split(/(?<=\n)/);
  for (const line of lines) {
    let i = 0;
    while (i < line.length && SPACE.includes(line[i] as string)) i++;
    if (i >= line.length || line[i] === '#') {
      out += line; // comment or blank line: always kept
      continue;
    }
    if (i > 0) {
      // Continuation of the previous entry.
      if (!interesting) out += line;
      else if ((mode & Mode.CommentOut) !== 0) out += '#' + line;
      continue;
    }
    let end = 0;
    while (end < line.length && !SPACE.includes(line[end] as string) && line[end] !== '=') end++;
    const key = line.slice(0, end);
    const req = table.get(key);
    interesting = req !== undefined;
    if (req === undefined) {
      out += line;
      continue;
    }
    if (req.found++ === 1) report.warn(`${path}: multiple entries for "${key}"`);
    if ((mode & Mode.EditConf) !== 0) out += `${key} = ${req.value ?? ''}\n`;
    else if ((mode & Mode.CommentOut) !== 0) out += '#' + line;
  }
  if ((mode & Mode.EditConf) !== 0) {
    // Postfix 3.7 appends in (randomized) hash-table order; Outpost sorts by name as 3.8+ does.
    for (const key of [...table.keys()].sort(byteCompare)) {
      const req = table.get(key) as Request;
      if (req.found === 0) out += `${key} = ${req.value ?? ''}\n`;
    }
  }
  try {
    writeFileSync(tmpPath, out, 'latin1');
    renameSync(tmpPath, path);
  } catch (err) {
    report.fatal(`close ${tmpPath}: ${describeErrno(err)}`);
  }
}
