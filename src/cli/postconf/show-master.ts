// "postconf -M / -F / -P": master.cf entries, fields and per-service parameters,
// formatted like Postfix's postconf (column goals, {} around values with blanks,
// folding with -f).
import type { PostconfModel } from './model.js';
import { byteCompare } from './model.js';
import { FIELD_CMD, FIELD_NAMES, type MasterEntry, MIN_FIELDS } from './master-table.js';
import { Mode } from './options.js';
import { INDENT, LINE_LIMIT, formatLine } from './print-line.js';

const COLUMN_GOAL = [0, 11, 17, 25, 33, 41, 49, 57];
const BLANKS = /[ \t\r\n]/;

/** pcf_parse_service_pattern(): "name[/type[/x]]" with "*" only as a whole component. */
export function parseServicePattern(pattern: string, min: number, max: number): string[] | undefined {
  if (pattern.startsWith('/')) return undefined;
  const parts = pattern.split('/').filter((p) => p !== '');
  if (parts.length < min || parts.length > max) return undefined;
  if (parts.some((p) => p !== '*' && p.includes('*'))) return undefined;
  while (parts.length < max) parts.push('*');
  return parts;
}

const matches = (pat: string, s: string): boolean => pat === '*' || pat === s;
const matchService = (pat: string[], e: MasterEntry): boolean =>
  matches(pat[0] as string, e.argv[0] as string) && matches(pat[1] as string, e.argv[1] as string);

/** Formats the daemon arguments after the command (shared by -M and -F). */
function formatArgs(
  model: PostconfModel | undefined,
  mode: number,
  e: MasterEntry,
  start: number,
  state: { out: string; len: number },
  optionExtra: number,
): void {
  const argv = e.argv;
  const add = (t: string): void => {
    state.out += t;
    state.len += t.length;
  };
  let inOptions = true;
  for (let f = start; f < argv.length; f++) {
    const arg = argv[f] as string;
    let argLen = arg.length;
    let aval: string | undefined;
    let needParens = false;
    // Like Postfix, the first non-option argument is never wrapped in {}.
    const wasInOptions = inOptions;
    if (inOptions) {
      if (!arg.startsWith('-') || arg === '--') {
        inOptions = false;
      } else if (arg[1] === 'o' && f + 1 < argv.length) {
        aval = argv[f + 1] as string;
        state.len = LINE_LIMIT;
        if (arg === '-o' && (mode & Mode.ShowEval) !== 0 && model !== undefined)
          aval = model.expandValue(aval, mode, e);
        argLen += aval.length + optionExtra;
        needParens = BLANKS.test(aval);
        if (needParens) argLen += 2;
      }
    }
    if (!wasInOptions) needParens = BLANKS.test(arg);
    if (state.len > INDENT.length) {
      if ((mode & Mode.FoldLine) === 0 || state.len + 1 + argLen < LINE_LIMIT) {
        add(' ');
      } else {
        state.out += '\n' + INDENT;
        state.len = INDENT.length;
      }
    }
    if (!inOptions && needParens) add('{');
    add(arg);
    if (!inOptions && needParens) add('}');
    if (aval !== undefined) {
      add(' ');
      if (needParens) add('{');
      add(aval);
      if (needParens) add('}');
      f += 1;
      state.len = LINE_LIMIT;
    }
  }
}

/** One master.cf entry as postconf prints it (also used to write edited entries). */
export function formatEntry(model: PostconfModel | undefined, mode: number, e: MasterEntry): string {
  const state = { out: '', len: 0 };
  for (let f = 0; f < MIN_FIELDS; f++) {
    const arg = e.argv[f] as string;
    if (state.len > 0) {
      do {
        state.out += ' ';
        state.len += 1;
      } while (state.len < (COLUMN_GOAL[f] as number));
    }
    state.out += arg;
    state.len += arg.length;
  }
  formatArgs(model, mode, e, MIN_FIELDS, state, 3);
  return state.out + '\n';
}

export function showMasterEntries(model: PostconfModel, mode: number, args: string[]): void {
  const reqs = args.map((raw) => {
    const pattern = parseServicePattern(raw, 1, 2);
    if (pattern === undefined) model.report.fatal('-M option requires service_name[/type]');
    return { raw, pattern: pattern as string[], count: 0 };
  });
  for (const e of model.master) {
    if (reqs.length === 0) {
      model.report.print(formatEntry(model, mode, e));
      continue;
    }
    for (const r of reqs) {
      if (matchService(r.pattern, e)) {
        r.count++;
        model.report.print(formatEntry(model, mode, e));
      }
    }
  }
  for (const r of reqs) if (r.count === 0) model.report.warn(`unmatched request: "${r.raw}"`);
}

function formatField(model: PostconfModel, mode: number, e: MasterEntry, field: number): string {
  const state = { out: '', len: 0 };
  const add = (t: string): void => {
    state.out += t;
    state.len += t.length;
  };
  if ((mode & Mode.HideName) === 0) add(`${e.argv[0]}/${e.argv[1]}/${FIELD_NAMES[field]}`);
  if ((mode & (Mode.HideName | Mode.HideValue)) === 0) add(' = ');
  if ((mode & Mode.HideValue) === 0) {
    const value = e.argv[field] as string;
    if (state.len > 0 && state.len + value.length > LINE_LIMIT) {
      state.out += '\n' + INDENT;
      state.len = INDENT.length;
    }
    add(value);
  }
  if (field === FIELD_CMD && (mode & Mode.HideValue) === 0)
    formatArgs(model, mode, e, FIELD_CMD + 1, state, 1);
  return state.out + '\n';
}

export function showMasterFields(model: PostconfModel, mode: number, args: string[]): void {
  const reqs = args.map((raw) => {
    const pattern = parseServicePattern(raw, 1, 3);
    if (pattern === undefined) model.report.fatal('-F option requires service_name[/type[/field]]');
    const p = pattern as string[];
    const fieldName = p[2] as string;
    const field = fieldName === '*' ? -1 : (FIELD_NAMES as readonly string[]).indexOf(fieldName);
    if (fieldName !== '*' && field < 0) model.report.fatal(`invalid service attribute name: "${fieldName}"`);
    return { raw, pattern: p, field, count: 0 };
  });
  const all = (e: MasterEntry): void => {
    for (let f = 0; f <= FIELD_CMD; f++) model.report.print(formatField(model, mode, e, f));
  };
  for (const e of model.master) {
    if (reqs.length === 0) {
      all(e);
      continue;
    }
    for (const r of reqs) {
      if (!matchService(r.pattern, e)) continue;
      r.count++;
      if (r.field < 0) all(e);
      else model.report.print(formatField(model, mode, e, r.field));
    }
  }
  for (const r of reqs) if (r.count === 0) model.report.warn(`unmatched request: "${r.raw}"`);
}

function printMasterParam(
  model: PostconfModel,
  mode: number,
  e: MasterEntry,
  name: string,
  value: string,
): void {
  const fold = (mode & Mode.FoldLine) !== 0;
  if ((mode & Mode.HideValue) !== 0) {
    model.report.print(formatLine(`${e.nameSpace}/${name}`, fold));
    return;
  }
  const v = (mode & Mode.ShowEval) !== 0 ? model.expandValue(value, mode, e) : value;
  model.report.print(formatLine((mode & Mode.HideName) === 0 ? `${e.nameSpace}/${name} = ${v}` : v, fold));
}

/** -PP: every parameter as this service sees it (main.cf merged with its -o settings). */
function mergedParams(
  model: PostconfModel,
  mode: number,
  e: MasterEntry,
  paramClass: number,
): Map<string, string> {
  const dict = new Map<string, string>();
  for (const [name, node] of model.params) {
    if (paramClass !== 0 && (node.flags & paramClass) === 0) continue;
    dict.set(name, model.lookupValue(mode, name, e, node) ?? '');
  }
  for (const [name, value] of e.allParams ?? []) if (!dict.has(name)) dict.set(name, value);
  return dict;
}

export function showMasterParams(
  model: PostconfModel,
  mode: number,
  paramClass: number,
  args: string[],
): void {
  const reqs = args.map((raw) => {
    const pattern = parseServicePattern(raw, 1, 3);
    if (pattern === undefined) model.report.fatal('-P option requires service_name[/type[/parameter]]');
    return { raw, pattern: pattern as string[], count: 0 };
  });
  for (const e of model.master) {
    const dict =
      (mode & Mode.MasterPP) !== 0
        ? mergedParams(model, mode, e, reqs.length > 0 ? 0 : paramClass)
        : e.allParams;
    if (dict === undefined) continue;
    const showAll = (): void => {
      for (const name of [...dict.keys()].sort(byteCompare)) {
        printMasterParam(model, mode, e, name, dict.get(name) as string);
      }
    };
    if (reqs.length === 0) {
      showAll();
      continue;
    }
    for (const r of reqs) {
      if (!matchService(r.pattern, e)) continue;
      const p = r.pattern[2] as string;
      if (p === '*') {
        showAll();
        r.count++;
      } else {
        const v = dict.get(p);
        if (v !== undefined) {
          printMasterParam(model, mode, e, p, v);
          r.count++;
        }
      }
    }
  }
  for (const r of reqs) if (r.count === 0) model.report.warn(`unmatched request: "${r.raw}"`);
}
