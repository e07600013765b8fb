// Database client tables in parameter values, as postconf 3.7 handles them
// (LEGACY_DBMS_SUPPORT): "mysql:/file.cf" files are checked for unknown
// settings, and the legacy "mysql:name" form validates main.cf parameters
// "name_hosts", "name_query", ...
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../../config/errors.js';
import { describeErrno, parseMainCf } from '../../config/main-cf.js';
import { extractBraced, splitMasterFields } from '../../config/master-tokens.js';
import { DBMS_SUFFIXES } from './dbms-params.js';
import type { MasterEntry } from './master-table.js';
import type { PostconfModel } from './model.js';

/** Configuration files already checked (once per "type:path" per run). */
const checkedFiles = new WeakMap<PostconfModel, Set<string>>();

/** pcf_register_dbms_helper() on an already expanded parameter value. */
export function registerDbmsParameters(
  model: PostconfModel,
  text: string,
  scope: MasterEntry | undefined,
): void {
  const where = scope !== undefined ? `master.cf:${scope.nameSpace}` : 'main.cf';
  const unwrap = (braced: string): string => {
    const { text: inner, error } = extractBraced(braced, false);
    if (error !== undefined) model.report.warn(`${where}: ${error}`);
    return inner;
  };
  for (const token of splitTokens(text)) {
    if (token.startsWith('{')) {
      registerDbmsParameters(model, unwrap(token), scope);
      continue;
    }
    let dbType = token;
    let prefix: string | undefined;
    for (;;) {
      const colon = dbType.indexOf(':');
      prefix = colon < 0 ? undefined : dbType.slice(colon + 1);
      if (colon >= 0) dbType = dbType.slice(0, colon);
      if (prefix === undefined || dbType !== 'proxy') break;
      dbType = prefix;
    }
    if (prefix === undefined) continue;
    const suffixes = DBMS_SUFFIXES[dbType];
    if (prefix.startsWith('/')) {
      if (suffixes !== undefined) checkDbmsClient(model, dbType, prefix, suffixes);
      continue;
    }
    if (prefix.startsWith('.')) continue;
    if (prefix.startsWith('{')) {
      registerDbmsParameters(model, unwrap(prefix), scope);
    } else if (suffixes !== undefined) {
      for (const suffix of suffixes) model.flagUserParameter(`${prefix}_${suffix}`, scope, true);
    }
  }
}

/** pcf_check_dbms_client(): unknown settings in a database client configuration file. */
function checkDbmsClient(
  model: PostconfModel,
  dbType: string,
  file: string,
  suffixes: readonly string[],
): void {
  const spec = `${dbType}:${file}`;
  let checked = checkedFiles.get(model);
  if (checked === undefined) checkedFiles.set(model, (checked = new Set()));
  if (checked.has(spec)) return;
  checked.add(spec);
  let text: string;
  try {
    if (!statSync(file).isFile()) {
      model.report.warn(`open "${dbType}" configuration "${file}": not a regular file`);
      return;
    }
    text = readFileSync(file, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') {
      model.report.warn(`open "${dbType}" configuration "${file}": ${describeErrno(err)}`);
    }
    return;
  }
  let parsed;
  try {
    parsed = parseMainCf(text, file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const w of err.warningsBefore) model.report.warn(w);
    return model.report.fatal(err.message);
  }
  for (const w of parsed.warnings) model.report.warn(w);
  for (const [name, entry] of parsed.entries) {
    if (!suffixes.includes(name)) model.report.warn(`${spec}: unused parameter: ${name}=${entry.value}`);
  }
}

/** mystrtokq(", \t\r\n", "{}"): list words, keeping {...} groups together. */
function splitTokens(text: string): string[] {
  return splitMasterFields(text.replace(/,/g, (m, offset: number) => (depthAt(text, offset) > 0 ? m : ' ')));
}

function depthAt(text: string, offset: number): number {
  let depth = 0;
  for (let i = 0; i < offset; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && depth > 0) depth--;
  }
  return depth;
}
