// A raw SMTP client for tests: reads whole (multi-line) replies, so a test can hold a session
// open across a reload or a stop and see exactly what the server says.
import { connect, type Socket } from 'node:net';

export class RawSmtp {
  private buffer = '';
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host);
      s.once('connect', () => resolve(new RawSmtp(s)));
      s.once('error', reject);
    });
  }

  /** The next complete reply ("250-a\r\n250 b\r\n" -> "250-a\n250 b"); "" when the peer closed. */
  async reply(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m[0].length);
        return m[0].replace(/\r/g, '').trimEnd();
      }
      if (this.closed) return '';
      if (Date.now() > deadline) throw new Error(`no SMTP reply; buffer: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((r) => {
        this.waiting = r;
        setTimeout(r, 100);
      });
    }
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async cmd(line: string): Promise<string> {
    this.send(line + '\r\n');
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}
