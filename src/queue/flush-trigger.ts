// How postqueue reaches the running daemon: a Unix stream socket at
// $queue_directory/public/flush (Postfix's flush service lives at the same path). It carries
// the flush requests (postqueue -f/-i/-s) and, for users who cannot read the queue directory
// themselves, the queue listing (Postfix's showq service).
// Protocol: one request line, then the reply, then close.
//   "flush\n" | "flush-id <queue id>\n" | "flush-site <domain>\n"  ->  "ok\n" | "error <text>\n"
//   "showq\n"  ->  one JSON QueueListingEntry per line, then "ok\n"
// When nothing listens (ENOENT/ECONNREFUSED), the mail system is down.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PUBLIC_DIR } from './layout.js';
import { listQueue, type QueueListingEntry } from './queue-listing.js';
import type { QueueStore } from './queue-store.js';

export type FlushRequest = { kind: 'all' } | { kind: 'id'; id: string } | { kind: 'site'; site: string };

export interface FlushHandler {
  /** Resolve normally for success; throw an Error whose message the user should see. */
  (request: FlushRequest): Promise<void> | void;
}

export function flushSocketPath(queueDirectory: string): string {
  return join(queueDirectory, PUBLIC_DIR, 'flush');
}

export class MailSystemDownError extends Error {
  constructor(
    /** strerror-style reason, e.g. "Connection refused". */
    readonly reason: string,
  ) {
    super(`mail system is down (connect to public/flush: ${reason})`);
    this.name = 'MailSystemDownError';
  }

  /** Postfix's warning text: "connect to public/flush: Connection refused". */
  get detail(): string {
    return `connect to public/flush: ${this.reason}`;
  }
}

export class FlushRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlushRefusedError';
  }
}

type Request = FlushRequest | { kind: 'showq' };

function encode(req: Request): string {
  if (req.kind === 'all') return 'flush\n';
  if (req.kind === 'showq') return 'showq\n';
  if (req.kind === 'id') return `flush-id ${req.id}\n`;
  return `flush-site ${req.site}\n`;
}

function decode(line: string): Request | undefined {
  if (line === 'flush') return { kind: 'all' };
  if (line === 'showq') return { kind: 'showq' };
  const m = /^(flush-id|flush-site) (\S+)$/.exec(line);
  if (!m) return undefined;
  return m[1] === 'flush-id' ? { kind: 'id', id: m[2]! } : { kind: 'site', site: m[2]! };
}

async function serveShowq(sock: Socket, store: QueueStore | undefined): Promise<void> {
  if (!store) throw new Error('queue listing not available');
  for await (const entry of listQueue(store)) {
    if (!sock.write(JSON.stringify(entry) + '\n')) await new Promise((r) => sock.once('drain', r));
  }
}

/**
 * Daemon side: listen on public/flush. Pass the store to also serve queue listings to users
 * who cannot read the queue directory. Call close() on shutdown (removes the socket).
 */
export async function listenForFlush(
  queueDirectory: string,
  handler: FlushHandler,
  options: { store?: QueueStore } = {},
): Promise<{ close(): Promise<void>; server: Server }> {
  const path = flushSocketPath(queueDirectory);
  await unlink(path).catch(() => undefined); // stale socket from a crash
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > 1024) sock.end('error request too long\n');
        return;
      }
      const req = decode(buf.slice(0, nl));
      sock.pause();
      if (!req) {
        sock.end('error malformed request\n');
        return;
      }
      Promise.resolve()
        .then(() => (req.kind === 'showq' ? serveShowq(sock, options.store) : handler(req)))
        .then(
          () => sock.end('ok\n'),
          (err: unknown) => sock.end(`error ${String((err as Error).message ?? err).replace(/\n/g, ' ')}\n`),
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      // Connecting needs write permission on the socket; who may reach it is decided by the
      // public/ directory's mode (0711 here; Postfix uses group postdrop).
      chmod(path, 0o666).then(resolve, reject);
    });
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        unlink(path).catch(() => undefined);
      }),
  };
}

function exchange(queueDirectory: string, req: Request, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(flushSocketPath(queueDirectory));
    let reply = '';
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error('timeout talking to the flush service')));
    sock.on('connect', () => sock.write(encode(req)));
    sock.on('data', (d: string) => (reply += d));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new MailSystemDownError('No such file or directory'));
      else if (err.code === 'ECONNREFUSED') reject(new MailSystemDownError('Connection refused'));
      else if (err.code === 'EACCES') reject(new MailSystemDownError('Permission denied'));
      else reject(err);
    });
    sock.on('close', () => {
      const lines = reply.split('\n');
      lines.pop();
      const last = lines.pop() ?? '';
      if (last === 'ok') resolve(lines);
      else if (last.startsWith('error ')) reject(new FlushRefusedError(last.slice(6)));
      else if (reply === '') reject(new MailSystemDownError('Connection reset by peer'));
      else reject(new Error(`malformed flush service reply: ${last}`));
    });
  });
}

/** postqueue side: send one flush request. Throws MailSystemDownError or FlushRefusedError. */
export async function requestFlush(
  queueDirectory: string,
  req: FlushRequest,
  timeoutMs = 10_000,
): Promise<void> {
  await exchange(queueDirectory, req, timeoutMs);
}

/** postqueue side: the queue listing from the daemon (for users who cannot read the queue). */
export async function requestQueueListing(
  queueDirectory: string,
  timeoutMs = 30_000,
): Promise<QueueListingEntry[]> {
  return (await exchange(queueDirectory, { kind: 'showq' }, timeoutMs)).map(
    (l) => JSON.parse(l) as QueueListingEntry,
  );
}
