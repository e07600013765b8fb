// "postconf -Me/-M#/-MX" (whole entries), "-Fe" (one field) and "-Pe/-PX"
// (one -o parameter): master.cf edited in place like Postfix 3.7 does it.
// Untouched lines are copied as they are; an edited entry is written back in
// postconf's folded format; the file is replaced via master.cf.tmp + rename.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { describeErrno, splitNameValue } from '../../config/main-cf.js';
import { splitMasterFields } from '../../config/master-tokens.js';
import { normalizeDaemonArgs } from '../../config/master-cf.js';
import type { Reporter } from './io.js';
import {
  FIELD_CMD,
  FIELD_NAMES,
  type MasterEntry,
  checkMasterFields,
  parseMasterEntry,
} from './master-table.js';
import { Mode } from './options.js';
import { formatEntry, parseServicePattern } from './show-master.js';

interface EditRequest {
  raw: string;
  pattern: string[];
  value: string | undefined;
  field: number;
  count: number;
}

const EDIT_OPTS = '-Me, -Fe, -Pe, -X, or -#';
const BLANKS = /[ \t\r\n]/;
const SPACE = ' \t\n\v\f\r';

function parseRequests(mode: number, args: string[], report: Reporter): EditRequest[] {
  return args.map((raw) => {
    if (raw.includes('\n')) report.fatal(`${EDIT_OPTS} accept no multi-line input`);
    const cp = raw.replace(/^[ \t\n\v\f\r]+/, '');
    if (cp.startsWith('#')) report.fatal(`${EDIT_OPTS} accept no comment input`);
    let pattern: string;
    let value: string | undefined;
    if ((mode & Mode.EditConf) !== 0) {
      const split = splitNameValue(cp);
      if (typeof split === 'string') return report.fatal(`${split}: "${raw}"`);
      [pattern, value] = split;
    } else {
      if (cp.includes('=')) report.fatal('-X or -# requires names without value');
      pattern = cp.replace(/[ \t\n\v\f\r]+$/, '');
    }
    const req: EditRequest = { raw, pattern: [], value, field: -1, count: 0 };
    if ((mode & Mode.MasterEntry) !== 0) {
      const p = parseServicePattern(pattern, 2, 2);
      if (p === undefined) report.fatal('-Me, -MX or -M# requires service_name/type');
      req.pattern = p as string[];
    } else if ((mode & Mode.MasterFld) !== 0) {
      const p = parseServicePattern(pattern, 3, 3);
      if (p === undefined) report.fatal('-Fe or -FX requires service_name/type/field_name');
      req.pattern = p as string[];
      const name = req.pattern[2] as string;
      req.field = name === '*' ? -1 : (FIELD_NAMES as readonly string[]).indexOf(name);
      if (name !== '*' && req.field < 0) report.fatal(`invalid service attribute name: "${name}"`);
      if (req.field < 0) report.fatal('-Fe does not accept wild-card field name');
      if ((mode & Mode.EditConf) !== 0 && req.field < FIELD_CMD && BLANKS.test(value ?? '')) {
        report.fatal('-Fe does not accept whitespace in non-command field');
      }
    } else {
      const p = parseServicePattern(pattern, 3, 3);
      if (p === undefined) report.fatal('-Pe or -PX requires service_name/type/parameter');
      req.pattern = p as string[];
      if (req.pattern[2] === '*') report.fatal('-Pe does not accept wild-card parameter name');
      if ((mode & Mode.EditConf) !== 0 && BLANKS.test(value ?? '')) {
        report.fatal('-Pe does not accept whitespace in parameter value');
      }
    }
    return req;
  });
}

function entryFromText(text: string, report: Reporter): MasterEntry | string {
  return parseMasterEntry(text, report);
}

/** pcf_edit_master_field(). */
function editField(entry: MasterEntry, field: number, value: string, report: Reporter): void {
  if (field === FIELD_CMD) {
    const head = entry.argv.slice(0, FIELD_CMD);
    const words = splitMasterFields(value);
    const args = normalizeDaemonArgs(words.slice(1), (m) => report.warn(m));
    entry.argv = [...head, ...(words.length > 0 ? [words[0] as string] : []), ...args];
  } else {
    entry.argv[field] = value;
  }
  const problem = checkMasterFields(entry.argv, value);
  if (problem !== undefined) report.fatal(problem);
}

/** pcf_edit_master_param(): update, add or (with -PX) delete "-o name=value". */
function editParam(entry: MasterEntry, mode: number, name: string, value: string | undefined): void {
  const argv = entry.argv;
  let matched = false;
  let f = FIELD_CMD + 1;
  for (; f < argv.length; f++) {
    const arg = argv[f] as string;
    if (!arg.startsWith('-') || arg === '--') break;
    if (arg[1] !== 'o' || f + 1 >= argv.length) continue;
    if (arg === '-o') {
      const aval = argv[f + 1] as string;
      if (aval.startsWith(name) && aval[name.length] === '=') {
        matched = true;
        if ((mode & Mode.EditConf) !== 0) {
          argv[f + 1] = `${name}=${value ?? ''}`;
        } else {
          argv.splice(f, 2);
          f -= 2;
        }
      }
    }
    f += 1;
  }
  if ((mode & Mode.EditConf) !== 0 && !matched) argv.splice(f, 0, '-o', `${name}=${value ?? ''}`);
}

function matches(pattern: string[], name: string, type: string): boolean {
  return (pattern[0] === '*' || pattern[0] === name) && (pattern[1] === '*' || pattern[1] === type);
}

export function editMaster(mode: number, configDir: string, args: string[], report: Reporter): void {
  const reqs = parseRequests(mode, args, report);
  const path = `${configDir}/master.cf`;
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
  const lines = text === '' ? [] : text.split(/(?<=\n)/);
  const isInfo = (line: string): boolean => {
    const t = line.replace(/^[ \t\n\v\f\r]+/, '');
    return t !== '' && !t.startsWith('#');
  };
  const printEntry = (e: MasterEntry): string => formatEntry(undefined, Mode.FoldLine, e);
  let out = '';
  let matchedSticky = false;
  let lineNo = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    lineNo++;
    if (!isInfo(line)) {
      out += line;
      continue;
    }
    if (SPACE.includes(line[0] as string)) {
      if (!matchedSticky) out += line;
      else if ((mode & Mode.CommentOut) !== 0) out += '#' + line;
      continue;
    }
    matchedSticky = false;
    const words = line.split(/[ \t\r\n]+/).filter(Boolean);
    const [serviceName, serviceType] = words;
    if (serviceName === undefined || serviceType === undefined) {
      report.fatal(`file ${path}: line ${lineNo}: specify service name and type on the same line`);
    }
    const sName = serviceName as string;
    const sType = serviceType as string;
    if (sName.includes('=')) {
      report.fatal(
        `file ${path}: line ${lineNo}: service name syntax "${sName}" is unsupported with ${EDIT_OPTS}`,
      );
    }
    if (/[=/]/.test(sType)) {
      report.fatal(
        `file ${path}: line ${lineNo}: service type syntax "${sType}" is unsupported with ${EDIT_OPTS}`,
      );
    }
    let newEntry: MasterEntry | undefined;
    for (const req of reqs) {
      let tentative: MasterEntry | undefined;
      let useTentative = false;
      if ((mode & Mode.MasterEntry) !== 0 && (mode & Mode.EditConf) !== 0) {
        const t = entryFromText(req.value ?? '', report);
        if (typeof t === 'string') report.fatal(`${t}: "${req.raw}"`);
        tentative = t as MasterEntry;
      }
      if (matches(req.pattern, sName, sType)) {
        matchedSticky = true;
        req.count++;
        if (
          (mode & Mode.EditConf) !== 0 ||
          ((mode & Mode.MasterParam) !== 0 && (mode & Mode.EditExcl) !== 0)
        ) {
          if ((mode & (Mode.MasterFld | Mode.MasterParam)) !== 0) {
            if (newEntry === undefined) {
              // Gather the continuation lines; comments and blank lines among them go out first.
              let full = line;
              while (i + 1 < lines.length) {
                const next = lines[i + 1] as string;
                if (next[0] !== '#' && !SPACE.includes(next[0] as string)) break;
                i++;
                if (isInfo(next)) full += next;
                else out += next;
              }
              const parsed = entryFromText(full, report);
              if (typeof parsed === 'string') report.fatal(`file ${path}: line ${lineNo}: ${parsed}`);
              newEntry = parsed as MasterEntry;
            }
            if ((mode & Mode.MasterFld) !== 0) editField(newEntry, req.field, req.value ?? '', report);
            else editParam(newEntry, mode, req.pattern[2] as string, req.value);
          } else if (req.count === 1) {
            useTentative = true;
          }
        }
      } else if (tentative !== undefined && matches(tentative.argv, sName, sType)) {
        matchedSticky = true;
        req.count++;
        if (req.count === 1) useTentative = true;
      }
      if (tentative !== undefined && useTentative) newEntry = tentative;
    }
    if (newEntry !== undefined) out += printEntry(newEntry);
    else if (!matchedSticky) out += line;
    else if ((mode & Mode.CommentOut) !== 0) out += '#' + line;
  }
  for (const req of reqs) {
    if (req.count !== 0) continue;
    if ((mode & Mode.MasterEntry) !== 0 && (mode & Mode.EditConf) !== 0) {
      const e = entryFromText(req.value ?? '', report);
      if (typeof e === 'string') report.fatal(`${e}: "${req.raw}"`);
      out += printEntry(e as MasterEntry);
    } else if ((mode & Mode.MasterEntry) === 0) {
      report.warn(`unmatched service_name/type: "${req.raw}"`);
    }
  }
  try {
    writeFileSync(tmpPath, out, 'latin1');
    renameSync(tmpPath, path);
  } catch (err) {
    report.fatal(`close ${tmpPath}: ${describeErrno(err)}`);
  }
}
