// The SMTP server object: listening sockets, per-client connection counting
// (smtpd_client_connection_count_limit), client name lookup (smtpd_peername_lookup), and
// reload without dropping sessions (each session keeps the runtime it started with).
import { createServer, type Server, type Socket } from 'node:net';
import { promises as dns } from 'node:dns';
import type { MessageSink } from '../queue/types.js';
import type { SmtpdSettings } from './settings.js';
import { buildRuntime, type RuntimeOptions, type SmtpdLogger, type SmtpdRuntime } from './runtime.js';
import { SmtpSession } from './session.js';

export type ListenEndpoint = string | number | { host?: string; port: number };

export interface SmtpServer {
  /** Validate settings, load TLS/password files (first call) and listen. */
  listen(endpoint: ListenEndpoint): Promise<void>;
  /** Serve a connection accepted elsewhere (e.g. a master process passing sockets). */
  handleConnection(socket: Socket): void;
  /** Stop listening; graceful waits for open sessions, otherwise they are cut off. */
  close(graceful: boolean): Promise<void>;
  /** New settings for new sessions; open sessions keep theirs. Rejects (keeping the old) on error. */
  reload(settings: SmtpdSettings): Promise<void>;
  /** Addresses actually bound (useful with port 0). */
  addresses(): { address: string; port: number }[];
  /** Number of open sessions. */
  readonly sessionCount: number;
}

const PEERNAME_TIMEOUT_MS = 10_000;

export function createSmtpServer(
  settings: SmtpdSettings,
  sink: MessageSink,
  log: SmtpdLogger,
  options: RuntimeOptions = {},
): SmtpServer {
  let runtime: SmtpdRuntime | undefined;
  let runtimePromise: Promise<SmtpdRuntime> | undefined;
  const servers: Server[] = [];
  const sessions = new Set<SmtpSession>();
  const perClient = new Map<string, number>();
  let closing = false;
  // Sessions per runtime: a runtime a reload replaced closes its tables (SQL connections,
  // file handles) once its last session ends.
  const users = new Map<SmtpdRuntime, number>();
  const retired = new Set<SmtpdRuntime>();
  const release = (rt: SmtpdRuntime): void => {
    const n = (users.get(rt) ?? 1) - 1;
    if (n > 0) {
      users.set(rt, n);
      return;
    }
    users.delete(rt);
    if (retired.delete(rt)) void closeRuntime(rt);
  };
  const retire = (rt: SmtpdRuntime | undefined): void => {
    if (!rt) return;
    if (users.has(rt)) retired.add(rt);
    else void closeRuntime(rt);
  };

  const ensureRuntime = (): Promise<SmtpdRuntime> => {
    runtimePromise ??= buildRuntime(settings, sink, log, options).then((r) => (runtime = r));
    return runtimePromise;
  };

  const handleConnection = (socket: Socket): void => {
    const rt = runtime;
    if (!rt || closing) {
      socket.destroy();
      return;
    }
    users.set(rt, (users.get(rt) ?? 0) + 1);
    const session = new SmtpSession(rt, socket, (s) => {
      sessions.delete(s);
      release(rt);
      const n = (perClient.get(s.clientAddress) ?? 1) - 1;
      if (n <= 0) perClient.delete(s.clientAddress);
      else perClient.set(s.clientAddress, n);
    });
    sessions.add(session);
    const addr = session.clientAddress;
    const count = (perClient.get(addr) ?? 0) + 1;
    perClient.set(addr, count);
    socket.on('error', () => undefined);
    // Hold input (and the 'end' event) until the session is attached after the name lookup.
    socket.pause();
    const limit = rt.settings.clientConnectionCountLimit;
    void clientName(addr, rt.settings.peernameLookup).then((name) => {
      let refuse: string | undefined;
      if (limit > 0 && count > limit && !rt.eventLimitExceptions.matches(addr)) {
        rt.log.warn(
          rt.settings.serviceName,
          `Connection concurrency limit exceeded: ${count} from ${name}[${addr}] for service ${rt.settings.serviceName}`,
        );
        refuse = `421 4.7.0 ${rt.settings.myhostname} Error: too many connections from ${addr}`;
      }
      session.start(name, refuse);
    });
  };

  return {
    async listen(endpoint: ListenEndpoint): Promise<void> {
      await ensureRuntime();
      const { host, port } = parseEndpoint(endpoint);
      // allowHalfOpen: a client may send its last commands and FIN at once; it still gets replies.
      const server = createServer({ noDelay: true, allowHalfOpen: true }, handleConnection);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (e) => log.warn(settings.serviceName, `listener error: ${e.message}`));
      servers.push(server);
    },
    handleConnection(socket: Socket): void {
      if (runtime) handleConnection(socket);
      else
        void ensureRuntime().then(
          () => handleConnection(socket),
          () => socket.destroy(),
        );
    },
    async close(graceful: boolean): Promise<void> {
      closing = true;
      const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      if (!graceful) {
        for (const s of sessions) s.abort(`421 4.3.2 ${s.settings.myhostname} Service shutting down`);
        // Clients that do not hang up after the 421 are cut off.
        setTimeout(() => {
          for (const s of sessions) s.socket.destroy();
        }, 500).unref();
      }
      await Promise.all(closed);
      retire(runtime);
    },
    async reload(next: SmtpdSettings): Promise<void> {
      const r = await buildRuntime(next, sink, log, options);
      settings = next;
      retire(runtime);
      runtime = r;
      runtimePromise = Promise.resolve(r);
    },
    addresses() {
      return servers.flatMap((s) => {
        const a = s.address();
        return a && typeof a === 'object' ? [{ address: a.address, port: a.port }] : [];
      });
    },
    get sessionCount() {
      return sessions.size;
    },
  };
}

function parseEndpoint(e: ListenEndpoint): { host: string | undefined; port: number } {
  if (typeof e === 'number') return { host: undefined, port: e };
  if (typeof e === 'object') return { host: e.host, port: e.port };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(e);
  if (!m) return { host: undefined, port: Number(e) };
  return { host: m[1] ?? (m[2] || undefined), port: Number(m[3]) };
}

/**
 * Postfix's client name: the reverse name, but only when it resolves back to the address
 * (forward-confirmed); "unknown" otherwise.
 */
/**
 * Verified client names, briefly remembered: a busy client (a backup MX, an office gateway)
 * opens many connections, and each name check costs two resolver calls on libuv's thread pool,
 * which the queue's fdatasync calls need too. 30 s is far below any PTR TTL one relies on.
 */
const NAME_CACHE_MS = 30_000;
const NAME_CACHE_MAX = 1024;
const nameCache = new Map<string, { name: Promise<string>; expires: number }>();

function clientName(address: string, lookup: boolean): Promise<string> {
  if (!lookup) return Promise.resolve('unknown');
  const now = Date.now();
  const hit = nameCache.get(address);
  if (hit && hit.expires > now) return hit.name;
  if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
  const name = resolveClientName(address);
  nameCache.set(address, { name, expires: now + NAME_CACHE_MS });
  return name;
}

async function resolveClientName(address: string): Promise<string> {
  const attempt = (async (): Promise<string> => {
    try {
      const { hostname } = await dns.lookupService(address, 0);
      if (!hostname || hostname === address) return 'unknown';
      const forward = await dns.lookup(hostname, { all: true });
      return forward.some((f) => f.address === address) ? hostname : 'unknown';
    } catch {
      return 'unknown';
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('unknown'), PEERNAME_TIMEOUT_MS);
  });
  const name = await Promise.race([attempt, timeout]);
  clearTimeout(timer);
  return name;
}

/** Close what a runtime opened; errors are moot by now (the tables are no longer used). */
async function closeRuntime(rt: SmtpdRuntime): Promise<void> {
  await Promise.all([...rt.accessTables.values()].map((t) => t.close().catch(() => undefined)));
}
