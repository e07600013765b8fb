// Server selection for mysql: and pgsql: tables, as dict_mysql.c/dict_pgsql.c do it: hosts
// with a working connection first, UNIX-domain sockets before TCP, random order among equals;
// a host whose connection or query failed is skipped for `retry_interval` seconds (Postfix
// 3.9 setting; 60 s before), then tried again. When no host is left the lookup fails with a
// temporary error. Each host keeps a small connection pool that the driver closes when idle.
import { readFile } from 'node:fs/promises';
import { TableError } from './types.js';

/** Connect and query time limits: a server that hangs gives a temporary error, not a stall. */
export const SQL_CONNECT_TIMEOUT_MS = 10_000;
export const SQL_QUERY_TIMEOUT_MS = 30_000;

export type HostKind = 'unix' | 'inet' | 'uri';

/** One entry of `hosts` after parsing. */
export interface HostSpec {
  /** As written in `hosts`, for log and error messages. */
  text: string;
  kind: HostKind;
  /** Socket path, host name, or URI; undefined means the client library's default socket. */
  address: string | undefined;
  port: number | undefined;
}

/**
 * The server answered the query with an error (bad SQL, a cast the key cannot satisfy, no
 * result set). Unlike Postfix, which marks the host down for retry_interval after any query
 * error, Outpost fails only this lookup: the server is alive, and one hostile key must not
 * make the table fail for everyone (docs/sql-tables.md).
 */
export class SqlQueryError extends Error {}

/** A driver's connection pool to one host. */
export interface HostPool<R> {
  query(sql: string): Promise<R>;
  end(): Promise<void>;
}

/**
 * A host's pool that, once retired, ends only after its running queries have settled. Ending a
 * pool at once would strand the lookups queued inside it (pg-pool leaves them waiting for a
 * connection until its connect timeout); left alone they fail fast on the dead server.
 */
class RetiringPool<R> {
  private running = 0;
  private retired = false;
  private ended = false;

  constructor(private readonly inner: HostPool<R>) {}

  async query(sql: string): Promise<R> {
    this.running++;
    try {
      return await this.inner.query(sql);
    } finally {
      this.running--;
      this.endIfDone();
    }
  }

  retire(): void {
    this.retired = true;
    this.endIfDone();
  }

  async endNow(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.inner.end().catch(() => undefined);
  }

  private endIfDone(): void {
    if (this.retired && this.running === 0) void this.endNow();
  }
}

interface HostState<R> {
  spec: HostSpec;
  pool: RetiringPool<R> | undefined;
  /** Last query succeeded on this host (Postfix STATACTIVE). */
  active: boolean;
  /** Skip this host until this time (ms since epoch); 0 = untried or usable. */
  downUntil: number;
}

/** Parses a TCP port: a number or a service name from /etc/services (find_inet_port). */
export async function parsePort(text: string, where: string): Promise<number> {
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port > 0 && port < 65536) return port;
  } else {
    const services = await readFile('/etc/services', 'utf8').catch(() => '');
    for (const line of services.split('\n')) {
      const fields = line.replace(/#.*/, '').trim().split(/\s+/);
      const [service, portProto, ...aliases] = fields;
      if (portProto?.endsWith('/tcp') && (service === text || aliases.includes(text))) {
        return Number(portProto.slice(0, -4));
      }
    }
  }
  throw new Error(`${where}: unknown service: ${text}/tcp`);
}

export class HostSet<R> {
  private readonly states: HostState<R>[];

  constructor(
    specs: HostSpec[],
    private readonly label: string,
    private readonly createPool: (spec: HostSpec) => HostPool<R>,
    private readonly retryIntervalMs: number,
    private readonly log: (message: string) => void,
  ) {
    this.states = specs.map((spec) => ({ spec, pool: undefined, active: false, downUntil: 0 }));
  }

  /** Runs `sql(host)` on the first host that answers; TableError when none does. */
  async query(sql: (spec: HostSpec) => string): Promise<R> {
    const tried = new Set<HostState<R>>();
    let lastError = '';
    for (;;) {
      const host = this.pick(tried);
      if (host === undefined) break;
      tried.add(host);
      host.pool ??= new RetiringPool(this.createPool(host.spec));
      try {
        const result = await host.pool.query(sql(host.spec));
        host.active = true;
        return result;
      } catch (err) {
        lastError = (err as Error).message;
        this.log(`${this.label}: query failed on host ${host.spec.text}: ${lastError}`);
        if (err instanceof SqlQueryError) {
          host.active = true;
          throw new TableError(`${this.label}: query failed: ${lastError}`, this.label);
        }
        this.down(host);
      }
    }
    throw new TableError(
      `${this.label}: no database server answered${lastError ? ` (last error: ${lastError})` : ''}`,
      this.label,
    );
  }

  /** Active hosts first, then untried or retry-due ones; UNIX sockets before TCP; random. */
  private pick(tried: Set<HostState<R>>): HostState<R> | undefined {
    const now = Date.now();
    const usable = this.states.filter((h) => !tried.has(h) && h.downUntil <= now);
    const rank = (h: HostState<R>): number =>
      (h.active ? 0 : 3) + (h.spec.kind === 'unix' ? 0 : h.spec.kind === 'inet' ? 1 : 2);
    const best = Math.min(...usable.map(rank));
    const candidates = usable.filter((h) => rank(h) === best);
    return candidates[Math.floor(Math.random() * candidates.length)];
  }

  /**
   * Stay away from a failed host for the retry interval. Its pool is retired: lookups still
   * running on it fail on their own, then it closes; the next host is tried now.
   */
  private down(host: HostState<R>): void {
    host.active = false;
    host.downUntil = Date.now() + this.retryIntervalMs;
    host.pool?.retire();
    host.pool = undefined;
  }

  async close(): Promise<void> {
    for (const host of this.states) {
      const pool = host.pool;
      host.pool = undefined;
      await pool?.endNow();
    }
  }
}
