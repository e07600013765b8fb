// Mail log in Postfix's line format, so pflogsumm and grep habits keep working:
//   "Nov 27 10:00:00 host postfix/smtpd[1234]: 3F2A1B2C3D: client=..."
// Lines go to maillog_file when it is set, else to standard output (like Postfix's postlog
// with maillog_file = /dev/stdout). Secrets must never be passed to this module.
//
// Writing is buffered and asynchronous (a delivery must never wait for the log disk): lines
// are queued per file and written in batches by one fs.write chain, at most one write per event
// loop turn, through the callback API: each write is a thread pool job (a wake-up and a
// completion on the main thread), and a FileHandle write costs more than a plain fs.write. At
// several lines per message that matters. flushMailLogs() waits for
// everything queued so far; at process exit whatever is still queued is written synchronously
// (the only synchronous write, on the exit path, never on a hot path).
import { openSync, writeSync, closeSync, write } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';

export type Severity = 'info' | 'warning' | 'error' | 'fatal' | 'panic';

export interface MailLogOptions {
  /** Path of maillog_file, or undefined / "/dev/stdout" for standard output. */
  file?: string;
  /** The short host name shown in each line (Postfix uses the first label of myhostname). */
  host?: string;
  /** syslog_name, normally "postfix". Service names are appended: "postfix/smtpd". */
  syslogName?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** syslog timestamp: "Nov  7 09:05:01" (day padded with a space, local time). */
export function syslogTime(d: Date): string {
  const day = String(d.getDate()).padStart(2, ' ');
  const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${MONTHS[d.getMonth()]} ${day} ${hms}`;
}

/** One append-only destination with a queue of lines not yet handed to the kernel. */
class LogFileWriter {
  private pending: string[] = [];
  /** Text taken from `pending` whose write has not been handed to the kernel yet. */
  private undispatched: string | undefined;
  private handle: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly path: string) {}

  push(line: string): void {
    this.pending.push(line);
    if (!this.running) this.running = this.drain();
  }

  /** Resolves when every line pushed before the call has been written. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Open the file now (a daemon does this before it drops root privileges). */
  async openNow(): Promise<void> {
    this.handle ??= open(this.path, 'a');
    await this.handle;
  }

  /** Exit path: write what is still queued synchronously (async work cannot run any more). */
  flushSync(): void {
    if (this.pending.length === 0 && this.undispatched === undefined) return;
    const text = (this.undispatched ?? '') + this.pending.join('');
    this.undispatched = undefined;
    this.pending = [];
    try {
      const fd = openSync(this.path, 'a');
      writeSync(fd, text);
      closeSync(fd);
    } catch {
      // Nowhere left to report a log failure at exit.
    }
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        // Wait for the end of this event loop turn (the one in which the last write finished),
        // so that everything logged in it goes out in a single write.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.pending.length === 0) break;
        const text = this.pending.join('');
        this.pending = [];
        this.undispatched = text;
        this.handle ??= open(this.path, 'a');
        const fh = await this.handle;
        if (this.undispatched === undefined) return; // written synchronously at exit
        this.undispatched = undefined;
        await writeText(fh.fd, text);
      }
    } catch (err) {
      // A log file that cannot be written must not take the mail system down; say so once.
      process.stderr.write(`maillog: cannot write ${this.path}: ${(err as Error).message}\n`);
      this.handle = undefined;
    } finally {
      this.running = undefined;
    }
  }
}

function writeText(fd: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => write(fd, text, (err) => (err ? reject(err) : resolve())));
}

// A busy server logs several lines per message, thousands a second: the time stamp is
// formatted once per second.
let stampSecond = -1;
let stampText = '';
function currentSyslogTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stampText = syslogTime(new Date(now));
  }
  return stampText;
}

const writers = new Map<string, LogFileWriter>();
let exitHookInstalled = false;

function writerFor(path: string): LogFileWriter {
  let w = writers.get(path);
  if (!w) {
    w = new LogFileWriter(path);
    writers.set(path, w);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const writer of writers.values()) writer.flushSync();
      });
    }
  }
  return w;
}

/**
 * Open maillog_file before it is first written: a master started as root calls this before
 * dropping privileges, so the log may stay root-owned (as Postfix's postlogd does).
 */
export async function openMailLogFile(path: string): Promise<void> {
  if (path && path !== '/dev/stdout') await writerFor(path).openNow();
}

/** Wait until every log line queued so far is written (call before a planned exit). */
export async function flushMailLogs(): Promise<void> {
  await Promise.all([...writers.values()].map((w) => w.flush()));
}

export class MailLog {
  private readonly file: string | undefined;
  private readonly host: string;
  private readonly syslogName: string;

  constructor(options: MailLogOptions = {}) {
    this.file = options.file && options.file !== '/dev/stdout' ? options.file : undefined;
    this.host = options.host ?? hostname().split('.')[0]!;
    this.syslogName = options.syslogName ?? 'postfix';
  }

  /** Format one line without writing it (tests and callers that batch use this). */
  format(service: string, severity: Severity, message: string, when?: Date): string {
    const prefix = severity === 'info' ? '' : `${severity}: `;
    const stamp = when === undefined ? currentSyslogTime() : syslogTime(when);
    return `${stamp} ${this.host} ${this.syslogName}/${service}[${process.pid}]: ${prefix}${message}\n`;
  }

  log(service: string, severity: Severity, message: string): void {
    const line = this.format(service, severity, message);
    if (this.file) writerFor(this.file).push(line);
    else process.stdout.write(line);
  }

  info(service: string, message: string): void {
    this.log(service, 'info', message);
  }

  warn(service: string, message: string): void {
    this.log(service, 'warning', message);
  }
}
