// pgsql: lookup tables (pgsql_table(5)) over node-postgres. Postfix semantics: see
// sql-table.ts for the lookup flow and sql-hosts.ts for host failover. Each host gets a small
// pg.Pool whose idle connections close after `idle_interval` (60 s, Postfix's default).
import { userInfo } from 'node:os';
import pg from 'pg';
import { buildLegacyQuery } from './sql-table.js';
import { loadSqlConfig, type SqlConfig } from './sql-config.js';
import {
  HostSet,
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
export const PGSQL_POOL_SIZE = 4;

/**
 * Escapes text for use inside '...' like PQescapeStringConn() on a server with
 * standard_conforming_strings = on (the default since PostgreSQL 9.1): quotes are doubled,
 * backslashes are ordinary characters.
 */
export function pgsqlQuote(text: string): string {
  return text.replace(/'/g, "''");
}

/** Parses one `hosts` entry like dict_pgsql.c host_init(). */
export function parsePgsqlHost(text: string, where: string): HostSpec {
  if (text.startsWith('postgresql:')) {
    // The URI may carry a password; only the redacted form goes into messages.
    return {
      text: text.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1xxxxx@'),
      kind: 'uri',
      address: text,
      port: undefined,
    };
  }
  const rest = text.startsWith('unix:') || text.startsWith('inet:') ? text.slice(5) : text;
  // Like libpq: a name starting with "/" is a socket directory, anything else a TCP host.
  if (rest === '' || rest.startsWith('/'))
    return { text, kind: 'unix', address: rest || undefined, port: undefined };
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return { text, kind: 'inet', address: rest, port: undefined };
  const port = Number(rest.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`${where}: invalid port in hosts entry "${text}"`);
  }
  return { text, kind: 'inet', address: rest.slice(0, colon), port };
}

/** Keep every column as the server's text, as PQgetvalue() returns it. */
const textTypes = { getTypeParser: () => (value: string) => value };

function pgsqlPool(spec: HostSpec, config: SqlConfig, idleMs: number, label: string): HostPool<Rows> {
  const user = config.str('user', '');
  const common = {
    max: PGSQL_POOL_SIZE,
    idleTimeoutMillis: idleMs,
    connectionTimeoutMillis: SQL_CONNECT_TIMEOUT_MS,
    query_timeout: SQL_QUERY_TIMEOUT_MS,
    types: textTypes,
  };
  const settings =
    spec.kind === 'uri'
      ? { connectionString: spec.address }
      : {
          host: spec.address ?? '/var/run/postgresql',
          port: spec.port ?? 5432,
          user: user === '' ? userInfo().username : user,
          password: config.str('password', ''),
          database: config.str('dbname', '', 1),
        };
  const pool = new pg.Pool({ ...common, ...settings });
  // An idle connection that dies (server restart) must not crash the process; the next query
  // on this host fails and the host is marked down.
  pool.on('error', (err) => sqlWarn(`${label}: connection to ${spec.text} lost: ${err.message}`));
  return {
    async query(sql: string): Promise<Rows> {
      const result = (await pool
        .query({ text: sql, rowMode: 'array', types: textTypes })
        .catch((err: unknown) => {
          // An error the server sent back: the connection is fine, only this query failed.
          if (err instanceof pg.DatabaseError) throw new SqlQueryError(err.message);
          throw err;
        })) as pg.QueryResult<(string | null)[]> | pg.QueryResult<(string | null)[]>[];
      // Several statements in one query: PQexec() keeps the last result.
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return last?.rows ?? [];
    },
    end: () => pool.end(),
  };
}

/** The pre-2.2 forms: select_function, else table/select_field/where_field. */
function pgsqlLegacyQuery(config: SqlConfig): string {
  const fn = config.optional('select_function');
  return fn !== undefined ? `SELECT ${fn}('%s')` : buildLegacyQuery(config);
}

export async function open(name: string, options: OpenOptions): Promise<LookupTable> {
  const label = `pgsql:${name}`;
  const config = await loadSqlConfig('pgsql', name, options);
  const templates = await readTemplates(config, label, options, pgsqlLegacyQuery);
  config.str('dbname', '', 1); // required, checked at open like Postfix
  const encoding = config.str('encoding', 'UTF8');
  if (!/^utf-?8$/i.test(encoding)) {
    throw new Error(`${config.source}: encoding = ${encoding} is not supported (Outpost speaks UTF8)`);
  }
  const hostTexts = config
    .str('hosts', '')
    .split(/[\s,]+/)
    .filter((h) => h !== '');
  if (hostTexts.length === 0) hostTexts.push('localhost');
  const specs = hostTexts.map((h) => parsePgsqlHost(h, config.source));
  const idleMs = config.int('idle_interval', 60) * 1000;
  const retryMs = config.int('retry_interval', 60) * 1000;
  const hosts = new HostSet<Rows>(
    specs,
    label,
    (spec) => pgsqlPool(spec, config, idleMs, label),
    retryMs,
    sqlWarn,
  );
  const backend = {
    query: (build: (quote: (s: string) => string) => string) => hosts.query(() => build(pgsqlQuote)),
    close: () => hosts.close(),
  };
  return new SqlTable('pgsql', name, templates, backend, options);
}
