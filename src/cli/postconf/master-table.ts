// master.cf as postconf(1) sees it: every entry kept (also duplicates), fields
// shown as written ("-" stays "-"), daemon arguments normalized, and per-entry
// parameter name spaces built from "-o name=value".
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describeErrno, splitNameValue } from '../../config/main-cf.js';
import { readLogicalLines } from '../../config/logical-lines.js';
import { normalizeDaemonArgs } from '../../config/master-cf.js';
import { splitMasterFields } from '../../config/master-tokens.js';
import type { Reporter } from './io.js';

export const FIELD_NAMES = [
  'service',
  'type',
  'private',
  'unprivileged',
  'chroot',
  'wakeup',
  'process_limit',
  'command',
] as const;
export const FIELD_CMD = 7;
export const MIN_FIELDS = 8;
const VALID_TYPES = ['unix', 'fifo', 'inet', 'pass', 'unix-dgram'];

export interface MasterEntry {
  /** Fields 1-7, the command, then normalized arguments. */
  argv: string[];
  /** "service/type". */
  nameSpace: string;
  /** Read-only per-service parameters (process_name, service_name). */
  roParams: Map<string, string>;
  /** `-o` settings of this entry; undefined when it has none. */
  allParams: Map<string, string> | undefined;
  /** User-defined names validated by a $reference in this entry. */
  validNames: Set<string> | undefined;
}

/** Field checks postconf applies; returns Postfix's message or undefined. */
export function checkMasterFields(argv: string[], rawText: string): string | undefined {
  const type = argv[1] as string;
  if (!VALID_TYPES.includes(type)) return `invalid type field "${type}" in "${rawText}"`;
  for (let f = 2; f <= 4; f++) {
    const v = argv[f] as string;
    if (v.length !== 1 || !'yn-'.includes(v)) return `invalid ${FIELD_NAMES[f]} field "${v}" in "${rawText}"`;
  }
  const wakeup = argv[5] as string;
  const len = wakeup.endsWith('?') ? wakeup.length - 1 : wakeup.length;
  const digits = /^\d*/.exec(wakeup)?.[0].length ?? 0;
  if (!(wakeup[0] === '-' && len === 1) && digits !== len) {
    return `invalid wakeup field "${wakeup}" in "${rawText}"`;
  }
  const maxproc = argv[6] as string;
  if (maxproc !== '-' && !/^\d*$/.test(maxproc))
    return `invalid process_limit field "${maxproc}" in "${rawText}"`;
  return undefined;
}

function makeEntry(argv: string[]): MasterEntry {
  const processName = basename(argv[FIELD_CMD] as string);
  return {
    argv,
    nameSpace: `${argv[0]}/${argv[1]}`,
    roParams: new Map([
      ['process_name', processName],
      ['service_name', argv[0] as string],
    ]),
    allParams: undefined,
    validNames: undefined,
  };
}

/** Parses one master.cf logical line; returns an error text for "bad field count". */
export function parseMasterEntry(text: string, report: Reporter): MasterEntry | string {
  const fields = splitMasterFields(text);
  if (fields.length < MIN_FIELDS) return 'bad field count';
  const problem = checkMasterFields(fields, text);
  if (problem !== undefined) report.fatal(problem);
  const args = normalizeDaemonArgs(fields.slice(MIN_FIELDS), (m) => report.warn(m));
  return makeEntry([...fields.slice(0, MIN_FIELDS), ...args]);
}

/** pcf_read_master(): fatal or warning when master.cf cannot be opened. */
export function readMasterTable(path: string, failOnOpenError: boolean, report: Reporter): MasterEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    const msg = `open ${path}: ${describeErrno(err)}`;
    if (failOnOpenError) report.fatal(msg);
    report.warn(msg);
    return [];
  }
  const { lines, warnings, warningLines } = readLogicalLines(text, path);
  let next = 0;
  const warnBefore = (line: number): void => {
    while (next < warnings.length && (warningLines[next] as number) < line)
      report.warn(warnings[next++] as string);
  };
  const entries: MasterEntry[] = [];
  for (const l of lines) {
    warnBefore(l.firstLine);
    const entry = parseMasterEntry(l.text, report);
    if (typeof entry === 'string') report.fatal(`file ${path}: line ${l.firstLine}: ${entry}`);
    entries.push(entry);
  }
  warnBefore(Number.MAX_SAFE_INTEGER);
  return entries;
}

/** Builds each entry's `-o` name space (pcf_register_user_parameters, first part). */
export function buildMasterNameSpaces(entries: MasterEntry[]): void {
  for (const e of entries) {
    const params = new Map<string, string>();
    for (let f = MIN_FIELDS; f < e.argv.length; f++) {
      const arg = e.argv[f] as string;
      if (!arg.startsWith('-') || arg === '--') break;
      if (arg[1] !== 'o' || f + 1 >= e.argv.length) continue;
      if (arg === '-o') {
        const split = splitNameValue(e.argv[f + 1] as string);
        if (typeof split !== 'string') params.set(split[0], split[1]);
      }
      f += 1;
    }
    if (params.size > 0) {
      e.allParams = params;
      e.validNames = new Set();
    }
  }
}
