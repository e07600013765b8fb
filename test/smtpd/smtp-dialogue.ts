// A scripted SMTP client for tests: sends raw bytes (so tests can send bare LF, NUL, pipelined
// batches) and collects complete replies. Used against both Outpost and a real Postfix.
import { connect, type Socket } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

export class RawClient {
  private data = '';
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.data += d.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static open(ep: Endpoint, localAddress = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: ep.host, port: ep.port, localAddress });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  /** The next complete reply (all lines up to "NNN "), or "" when the server closed first. */
  async reply(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.data);
      if (m) {
        this.data = this.data.slice(m[0].length);
        return m[0].replace(/\r\n$/, '');
      }
      if (this.closed) return '';
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no complete reply within ${timeoutMs} ms; have ${JSON.stringify(this.data)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Send a line (CRLF added unless raw) and return the reply. */
  async command(line: string): Promise<string> {
    this.send(line + '\r\n');
    return this.reply();
  }

  /** Wait until the server closes the connection; returns unread data. */
  async waitClosed(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.data;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Run a dialogue: read the greeting, then for each step send it and read one reply
 * (steps ending without "\n" get CRLF appended). Returns greeting + replies.
 */
export async function dialogue(ep: Endpoint, steps: string[], localAddress = '127.0.0.1'): Promise<string[]> {
  const c = await RawClient.open(ep, localAddress);
  try {
    const out = [await c.reply()];
    for (const step of steps) {
      c.send(step.endsWith('\n') ? step : step + '\r\n');
      out.push(await c.reply());
    }
    return out;
  } finally {
    c.close();
  }
}

/** Postfix and Outpost greet with their own host names; compare replies without them. */
export function withoutHostname(replies: string[], hostname: string): string[] {
  return replies.map((r) => r.split(hostname).join('HOST'));
}

/** One step of a raw exchange: bytes to send, then how many replies to read. */
export type RawStep = [send: string, replies: number];

/**
 * Send raw chunks and read the stated number of replies after each; returns all replies and,
 * when the last step expects the server to hang up, "<closed>" once it has.
 */
export async function exchange(
  ep: Endpoint,
  steps: RawStep[],
  localAddress = '127.0.0.1',
): Promise<string[]> {
  const c = await RawClient.open(ep, localAddress);
  try {
    const out = [await c.reply()];
    for (const [send, n] of steps) {
      if (send !== '') c.send(send);
      for (let i = 0; i < n; i++) out.push(await c.reply(15_000));
    }
    await new Promise((r) => setTimeout(r, 200));
    if (c.closed) out.push('<closed>');
    return out;
  } finally {
    c.close();
  }
}
