// mysql: lookup tables (mysql_table(5)) over mysql2. Postfix semantics: see sql-table.ts for
// the lookup flow and sql-hosts.ts for host failover. Each host gets a small mysql2 pool whose
// idle connections close after `idle_interval` (60 s, as Postfix's IDLE_CONN_INTV).
import { userInfo } from 'node:os';
import mysql from 'mysql2/promise';
import { loadSqlConfig, type SqlConfig } from './sql-config.js';
import {
  HostSet,
  parsePort,
  SQL_CONNECT_TIMEOUT_MS,
  SQL_QUERY_TIMEOUT_MS,
  SqlQueryError,
  type HostPool,
  type HostSpec,
} from './sql-hosts.js';
import { readTemplates, SqlTable, type Rows } from './sql-table.js';
import { sqlWarn } from './sql-warn.js';
import type { LookupTable, OpenOptions } from './types.js';

/** Connections per host: lookups are short, a few in parallel are plenty. */
export const MYSQL_POOL_SIZE = 4;
/** Default UNIX socket of Debian's MariaDB/MySQL (hosts = localhost). */
export const MYSQL_DEFAULT_SOCKET = '/run/mysqld/mysqld.sock';

/**
 * Escapes text for use inside '...' like mysql_real_escape_string() with the server's
 * default sql_mode (backslash escapes).
 */
export function mysqlQuote(text: string): string {
  return text.replace(/[\0\n\r\\'"\x1a]/g, (c) => {
    switch (c) {
      case '\0':
        return '\\0';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\x1a':
        return '\\Z';
      default:
        return `\\${c}`;
    }
  });
}

/**
 * A column as Postfix sees it: the raw bytes of the text protocol (UTF-8 on this connection,
 * and binary columns as stored), up to the first NUL, since Postfix reads C strings.
 */
function cString(bytes: Buffer | null): string | null {
  if (bytes === null) return null;
  const nul = bytes.indexOf(0);
  return (nul < 0 ? bytes : bytes.subarray(0, nul)).toString('utf8');
}

/** Parses one `hosts` entry like dict_mysql.c host_init(). */
export async function parseMysqlHost(text: string, where: string): Promise<HostSpec> {
  let rest = text;
  let kind: 'unix' | 'inet' = 'inet';
  if (rest.startsWith('unix:')) {
    kind = 'unix';
    rest = rest.slice(5);
  } else if (rest.startsWith('inet:')) {
    rest = rest.slice(5);
  }
  let port: number | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    port = await parsePort(rest.slice(colon + 1), where);
    rest = rest.slice(0, colon);
  }
  // "The MySQL way": localhost means the default UNIX socket, even with inet: (mysql_table(5)).
  if (rest.toLowerCase() === 'localhost') return { text, kind: 'unix', address: undefined, port };
  return { text, kind, address: rest, port };
}

function mysqlPool(spec: HostSpec, config: SqlConfig, idleMs: number): HostPool<Rows> {
  const user = config.str('user', '');
  const base = {
    user: user === '' ? userInfo().username : user,
    password: config.str('password', ''),
    database: config.str('dbname', '', 1),
    connectionLimit: MYSQL_POOL_SIZE,
    maxIdle: 0,
    idleTimeout: idleMs,
    connectTimeout: SQL_CONNECT_TIMEOUT_MS,
    charset: 'utf8mb4',
    // Postfix reads every column as text (mysql_fetch_row); keep the server's text form.
    typeCast: (field: { buffer(): Buffer | null }) => cString(field.buffer()),
  };
  const where =
    spec.kind === 'unix'
      ? { socketPath: spec.address ?? MYSQL_DEFAULT_SOCKET }
      : { host: spec.address, port: spec.port ?? 3306 };
  const pool = mysql.createPool({ ...base, ...where });
  const requireResultSet = config.bool('require_result_set', true);
  return {
    async query(sql: string): Promise<Rows> {
      let result: unknown;
      try {
        [result] = await pool.query({ sql, rowsAsArray: true, timeout: SQL_QUERY_TIMEOUT_MS });
      } catch (err) {
        // An error the server sent back (it has an SQLSTATE and the connection survives).
        const e = err as { fatal?: boolean; sqlState?: string; message: string };
        if (e.fatal !== true && typeof e.sqlState === 'string') throw new SqlQueryError(e.message);
        throw err;
      }
      return mysqlRows(result, requireResultSet);
    },
    end: () => pool.end(),
  };
}

/**
 * Picks the rows out of a mysql2 result: a SELECT gives rows; a CALL gives its result sets
 * followed by a status packet. More than one result set with data is an error, and so is none
 * unless require_result_set = no (dict_mysql.c plmysql_query).
 */
function mysqlRows(result: unknown, requireResultSet: boolean): Rows {
  const isRowSet = (x: unknown): x is Rows => Array.isArray(x) && x.every((row) => Array.isArray(row));
  let sets: Rows[];
  if (isRowSet(result)) sets = [result];
  else if (Array.isArray(result)) sets = result.filter(isRowSet);
  else sets = [];
  if (sets.length > 1) throw new SqlQueryError('multiple result sets returning data are not supported');
  if (sets.length === 0) {
    if (requireResultSet) throw new SqlQueryError('query returned no result set (require_result_set = yes)');
    return [];
  }
  return sets[0]!;
}

/** Settings Postfix's mysql client has and Outpost does not (docs/sql-tables.md). */
const UNSUPPORTED = [
  'option_file',
  'tls_cert_file',
  'tls_key_file',
  'tls_CAfile',
  'tls_CApath',
  'tls_ciphers',
  'tls_verify_cert',
];

function warnUnsupported(config: SqlConfig, label: string): void {
  for (const key of UNSUPPORTED) if (config.has(key)) sqlWarn(`${label}: ${key} is not supported; ignored`);
  const group = config.optional('option_group');
  if (group !== undefined && group !== '' && group !== 'client') {
    sqlWarn(`${label}: option_group is not supported; ignored`);
  }
}

export async function open(name: string, options: OpenOptions): Promise<LookupTable> {
  const label = `mysql:${name}`;
  const config = await loadSqlConfig('mysql', name, options);
  const templates = await readTemplates(config, label, options);
  config.str('dbname', '', 1); // required, checked at open like Postfix
  config.bool('require_result_set', true);
  warnUnsupported(config, label);
  const hostTexts = config
    .str('hosts', '')
    .split(/[\s,]+/)
    .filter((h) => h !== '');
  if (hostTexts.length === 0) hostTexts.push('localhost');
  const specs = await Promise.all(hostTexts.map((h) => parseMysqlHost(h, config.source)));
  const idleMs = config.int('idle_interval', 60) * 1000;
  const retryMs = config.int('retry_interval', 60) * 1000;
  const hosts = new HostSet<Rows>(specs, label, (spec) => mysqlPool(spec, config, idleMs), retryMs, sqlWarn);
  const backend = {
    query: (build: (quote: (s: string) => string) => string) => hosts.query(() => build(mysqlQuote)),
    close: () => hosts.close(),
  };
  return new SqlTable('mysql', name, templates, backend, options);
}
