// main.cf reader: Postfix dict_load_fp() + split_nameval() semantics.
// `name = value`, blanks around '=' and at the end dropped; the last definition
// wins ("overriding earlier entry" when the value differs); malformed lines are
// fatal with "<file>, line <n>: <reason>: "<text>"".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { readLogicalLines } from './logical-lines.js';

export interface MainCfEntry {
  name: string;
  value: string;
  /** First physical line of the (last) definition. */
  line: number;
}

export interface MainCf {
  path: string;
  /** Entries by name; the last definition wins. Insertion order = first definition. */
  entries: Map<string, MainCfEntry>;
  warnings: string[];
}

const SPACE_CHARS = ' \t\n\v\f\r';
const isSpace = (c: string | undefined): boolean => c !== undefined && c !== '' && SPACE_CHARS.includes(c);

/** split_nameval(): returns [name, value] or the Postfix error text. */
export function splitNameValue(text: string): [string, string] | string {
  let i = 0;
  while (i < text.length && isSpace(text[i])) i++;
  if (i >= text.length || text[i] === '=') return 'missing attribute name';
  const nameStart = i;
  while (i < text.length && !isSpace(text[i]) && text[i] !== '=') i++;
  const name = text.slice(nameStart, i);
  while (i < text.length && isSpace(text[i])) i++;
  if (text[i] !== '=') return "missing '=' after attribute name";
  i++;
  while (i < text.length && isSpace(text[i])) i++;
  let end = text.length;
  while (end > i && isSpace(text[end - 1])) end--;
  return [name, text.slice(i, end)];
}

export function parseMainCf(text: string, path: string): MainCf {
  const logical = readLogicalLines(text, path);
  const entries = new Map<string, MainCfEntry>();
  // Keep Postfix's order: a warning about a logical line comes out before later lines are parsed.
  const warnings: string[] = [];
  let nextWarning = 0;
  const flushWarningsBefore = (line: number): void => {
    while (nextWarning < logical.warnings.length && (logical.warningLines[nextWarning] as number) < line) {
      warnings.push(logical.warnings[nextWarning++] as string);
    }
  };
  for (const l of logical.lines) {
    flushWarningsBefore(l.firstLine);
    const split = splitNameValue(l.text);
    if (typeof split === 'string') {
      throw new ConfigError(
        `${path}, line ${l.firstLine}: ${split}: "${l.text}"`,
        path,
        l.firstLine,
        warnings,
      );
    }
    const [name, value] = split;
    const old = entries.get(name);
    if (old !== undefined && old.value !== value) {
      warnings.push(`${path}, line ${l.firstLine}: overriding earlier entry: ${name}=${old.value}`);
    }
    entries.set(name, { name, value, line: l.firstLine });
  }
  flushWarningsBefore(Number.MAX_SAFE_INTEGER);
  return { path, entries, warnings };
}

/**
 * Reads DIR/main.cf; a missing file is fatal as in Postfix ("open DIR/main.cf: ...").
 * Values are decoded as UTF-8 for Outpost's own use (postconf reads bytes as latin1
 * to reproduce them exactly).
 */
export function readMainCf(configDir: string, encoding: BufferEncoding = 'utf8'): MainCf {
  const path = join(configDir, 'main.cf');
  let text: string;
  try {
    text = readFileSync(path, encoding);
  } catch (err) {
    throw new ConfigError(`open ${path}: ${describeErrno(err)}`, path);
  }
  return parseMainCf(text, path);
}

/** strerror()-style text for a Node fs error, as Postfix prints it with %m. */
export function describeErrno(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EACCES':
      return 'Permission denied';
    case 'EISDIR':
      return 'Is a directory';
    case 'ENOTDIR':
      return 'Not a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
