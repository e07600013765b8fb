// Mail log in Postfix's line format, so pflogsumm and grep habits keep working:
//   "Nov 27 10:00:00 host postfix/smtpd[1234]: 3F2A1B2C3D: client=..."
// Lines go to maillog_file when it is set, else to standard output (like Postfix's postlog
// with maillog_file = /dev/stdout). Secrets must never be passed to this module.
import { appendFileSync } from 'node:fs';
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
  format(service: string, severity: Severity, message: string, when = new Date()): string {
    const prefix = severity === 'info' ? '' : `${severity}: `;
    return `${syslogTime(when)} ${this.host} ${this.syslogName}/${service}[${process.pid}]: ${prefix}${message}\n`;
  }

  log(service: string, severity: Severity, message: string): void {
    const line = this.format(service, severity, message);
    if (this.file) appendFileSync(this.file, line);
    else process.stdout.write(line);
  }

  info(service: string, message: string): void {
    this.log(service, 'info', message);
  }

  warn(service: string, message: string): void {
    this.log(service, 'warning', message);
  }
}
