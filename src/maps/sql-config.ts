// Reads the configuration of an SQL lookup table (mysql_table(5), pgsql_table(5),
// sqlite_table(5)): `name = value` lines in main.cf syntax. Postfix loads the file with
// dict_load_file() (cfg_parser.c): a line starting with whitespace continues the previous one,
// blank lines and lines whose first non-blank character is `#` are skipped, and a later
// setting overrides an earlier one. No `$name` expansion happens in these files.
import { readFile } from 'node:fs/promises';
import { TableError, type OpenOptions } from './types.js';

/** Settings of one table configuration, with Postfix's typed getters (cfg_get_str/int/bool). */
export class SqlConfig {
  constructor(
    /** The configuration file path (or main.cf prefix for the legacy form). */
    readonly source: string,
    private readonly values: ReadonlyMap<string, string>,
  ) {}

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** A string setting; `minLength` mirrors cfg_get_str()'s "bad string length" check. */
  str(key: string, defaultValue: string, minLength = 0): string {
    const value = this.values.get(key) ?? defaultValue;
    if (minLength > 0 && value.length < minLength) {
      throw new Error(`${this.source}: bad string length ${value.length} < ${minLength}: ${key} = ${value}`);
    }
    return value;
  }

  /** An optional string setting: undefined when not set. */
  optional(key: string): string | undefined {
    return this.values.get(key);
  }

  /** An integer setting parsed like strtol(…, 10) over the whole value (cfg_get_int). */
  int(key: string, defaultValue: number, min = 0): number {
    const raw = this.values.get(key);
    if (raw === undefined) return defaultValue;
    if (!/^\s*[+-]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new Error(`${this.source}: bad numerical configuration: ${key} = ${raw}`);
    }
    const value = Number(raw);
    if (min && value < min) {
      throw new Error(`${this.source}: invalid ${key} parameter value ${value} < ${min}`);
    }
    return value;
  }

  /** A yes/no setting (cfg_get_bool: case-insensitive "yes" or "no"). */
  bool(key: string, defaultValue: boolean): boolean {
    const raw = this.values.get(key);
    if (raw === undefined) return defaultValue;
    if (raw.toLowerCase() === 'yes') return true;
    if (raw.toLowerCase() === 'no') return false;
    throw new Error(`${this.source}: bad boolean configuration: ${key} = ${raw}`);
  }
}

/** Splits main.cf-style text into logical lines, each with the number of its first line. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const physical = text.split('\n');
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const last = out[out.length - 1];
    if (/^\s/.test(raw) && last !== undefined) last.text += raw;
    else out.push({ line: i + 1, text: raw });
  }
  return out;
}

/** Parses `name = value` text (split_nameval); errors name the file and line like Postfix. */
export function parseSqlConfig(path: string, text: string): SqlConfig {
  const values = new Map<string, string>();
  for (const { line, text: logical } of logicalLines(text)) {
    const m = /^\s*([^\s=]+)\s*=\s*(.*?)\s*$/s.exec(logical);
    if (m === null) {
      const reason = /^\s*=/.test(logical) ? 'missing attribute name' : "missing '=' after attribute name";
      throw new Error(`${path}, line ${line}: ${reason}: "${logical.trim()}"`);
    }
    values.set(m[1]!, m[2]!);
  }
  return new SqlConfig(path, values);
}

/**
 * Loads the configuration named by `mysql:NAME` etc. A NAME starting with `/` or `.` is a
 * file (relative names resolve against the main.cf directory); any other NAME is the obsolete
 * form whose settings are main.cf parameters `NAME_key` (cfg_parser.c get_main_str). Like
 * Postfix, a relative file name is relative to the working directory.
 */
export async function loadSqlConfig(type: string, name: string, options: OpenOptions): Promise<SqlConfig> {
  if (!name.startsWith('/') && !name.startsWith('.')) {
    const param = options.param;
    if (param === undefined) {
      throw new TableError(
        `${type}:${name}: settings in main.cf (${name}_*) need a main.cf reader`,
        `${type}:${name}`,
      );
    }
    const keys = SQL_CONFIG_KEYS.map((key) => [key, param(`${name}_${key}`)] as const);
    return new SqlConfig(name, new Map(keys.filter(([, v]) => v !== '')));
  }
  const path = name;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // Postfix replaces the table by a surrogate whose every lookup fails: a temporary error.
    throw new TableError(`open ${path}: ${(err as Error).message}`, `${type}:${name}`);
  }
  return parseSqlConfig(path, text);
}

/** Every key the SQL drivers read, for the main.cf form. */
export const SQL_CONFIG_KEYS = [
  'hosts',
  'user',
  'password',
  'dbname',
  'dbpath',
  'query',
  'result_format',
  'domain',
  'expansion_limit',
  'table',
  'select_field',
  'where_field',
  'additional_conditions',
  'select_function',
  'require_result_set',
  'encoding',
  'retry_interval',
  'idle_interval',
  'option_file',
  'option_group',
] as const;
