// How postqueue -f/-i/-s reach the running daemon: a Unix stream socket at
// $queue_directory/public/flush (Postfix's flush service lives at the same path).
// Protocol: one request line, one reply line, then close.
//   request:  "flush\n" | "flush-id <queue id>\n" | "flush-site <domain>\n"
//   reply:    "ok\n" | "error <text for the user>\n"
// When nothing listens (ENOENT/ECONNREFUSED), the mail system is down.
import { createConnection, createServer, type Server } from 'node:net';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PUBLIC_DIR } from './layout.js';

export type FlushRequest = { kind: 'all' } | { kind: 'id'; id: string } | { kind: 'site'; site: string };

export interface FlushHandler {
  /** Resolve normally for success; throw an Error whose message the user should see. */
  (request: FlushRequest): Promise<void> | void;
}

export function flushSocketPath(queueDirectory: string): string {
  return join(queueDirectory, PUBLIC_DIR, 'flush');
}

export class MailSystemDownError extends Error {
  constructor(readonly detail: string) {
    super(`mail system is down (${detail})`);
    this.name = 'MailSystemDownError';
  }
}

export class FlushRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlushRefusedError';
  }
}

function encode(req: FlushRequest): string {
  if (req.kind === 'all') return 'flush\n';
  if (req.kind === 'id') return `flush-id ${req.id}\n`;
  return `flush-site ${req.site}\n`;
}

function decode(line: string): FlushRequest | undefined {
  if (line === 'flush') return { kind: 'all' };
  const m = /^(flush-id|flush-site) (\S+)$/.exec(line);
  if (!m) return undefined;
  return m[1] === 'flush-id' ? { kind: 'id', id: m[2]! } : { kind: 'site', site: m[2]! };
}

/** Daemon side: listen on public/flush. Call close() on shutdown (removes the socket). */
export async function listenForFlush(
  queueDirectory: string,
  handler: FlushHandler,
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
        .then(() => handler(req))
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
      resolve();
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

/** postqueue side: send one request. Throws MailSystemDownError or FlushRefusedError. */
export function requestFlush(queueDirectory: string, req: FlushRequest, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(flushSocketPath(queueDirectory));
    let reply = '';
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error('timeout talking to the flush service')));
    sock.on('connect', () => sock.write(encode(req)));
    sock.on('data', (d: string) => (reply += d));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(
          new MailSystemDownError(
            `connect to public/flush: ${err.code === 'ENOENT' ? 'No such file or directory' : 'Connection refused'}`,
          ),
        );
      } else reject(err);
    });
    sock.on('close', () => {
      const line = reply.split('\n')[0] ?? '';
      if (line === 'ok') resolve();
      else if (line.startsWith('error ')) reject(new FlushRefusedError(line.slice(6)));
      else if (reply === '') reject(new MailSystemDownError('flush service closed the connection'));
      else reject(new Error(`malformed flush service reply: ${line}`));
    });
  });
}
