// The state one session's restriction checks share (Postfix keeps it in SMTPD_STATE) and the
// ways a check ends: permit, no opinion, or a refusal formatted, validated and logged as
// smtpd_check_reject() does, softened by warn_if_reject or turned into a deferral by
// defer_if_reject / defer_if_permit. Configuration errors end a list early (Abort), like
// Postfix's longjmp. The lists themselves are in restrictions.ts, the access tables in
// access-checks.ts.
import type { SmtpdSettings } from './settings.js';
import { fixAddressDsn, validDsn } from './reply-status.js';
import type { SmtpSession, Transaction } from './session.js';
import { quoteLocalPart } from './address.js';

// Postfix's SMTPD_CHECK_DUNNO / _OK / _REJECT.
export const DUNNO = 0;
export const OK = 1;
export const REJECT = 2;
export type Status = typeof DUNNO | typeof OK | typeof REJECT;

/**
 * Postfix's MAIL_ERROR_* classes: warn_if_reject can soften 'policy' and 'bounce' (unknown
 * users) rejects, never 'software' or 'data' (configuration and table errors).
 */
export type ErrorClass = 'policy' | 'bounce' | 'software' | 'data';

export interface Deferral {
  active: boolean;
  errorClass: ErrorClass;
  code: number;
  dsn: string;
  reason: string;
}

/** Postfix longjmp()s out of the restriction lists on configuration errors; so do we. */
export class Abort {
  constructor(readonly status: Status) {}
}

export const inactive = (): Deferral => ({
  active: false,
  errorClass: 'policy',
  code: 0,
  dsn: '',
  reason: '',
});

/**
 * One session's restriction state: the helo/sender/recipient being checked, the pending
 * defer_if_permit / defer_if_reject, and the last reject text.
 */
export abstract class RestrictionState {
  protected helo: string | undefined;
  protected sender: string | undefined;
  protected recipient: string | undefined;
  protected recursion = 0;
  protected warnIfReject = 0;
  protected deferIfReject = inactive();
  protected deferIfPermit = inactive();
  protected deferIfPermitClient = false;
  protected deferIfPermitHelo = false;
  protected deferIfPermitSender = false;
  protected errorText = '';
  /** reject_unlisted_recipient / _sender already ran for this RCPT / MAIL (no implicit rerun). */
  protected recipientMapsChecked = false;
  protected senderMapsChecked = false;

  constructor(protected readonly s: SmtpSession) {}

  protected get settings(): SmtpdSettings {
    return this.s.settings;
  }

  protected get tx(): Transaction | undefined {
    return this.s.transaction;
  }

  protected reset(): void {
    this.recursion = 0;
    this.warnIfReject = 0;
    this.deferIfReject.active = false;
  }

  /** A check that may end with Abort (a longjmp in Postfix), returning the status it carries. */
  protected async guarded(check: () => Promise<Status>): Promise<Status> {
    try {
      return await check();
    } catch (e) {
      if (e instanceof Abort) return e.status;
      throw e;
    }
  }

  /** generic_checks(): one restriction list (restrictions.ts). */
  protected abstract generic(
    list: string[],
    replyName: string,
    replyClass: string,
    defAcl: string | undefined,
  ): Promise<Status>;

  // ---- logging and replies ---------------------------------------------------------------

  /** Postfix log_whatsup(): "NOQUEUE: reject: RCPT from host[addr]: text; from=<> to=<> ...". */
  protected logWhatsup(whatsup: string, text: string): void {
    const s = this.s;
    let line = `${s.queueId ?? 'NOQUEUE'}: ${whatsup}: ${s.where} from ${s.namaddr}: ${text};`;
    // What is being checked, else what the session knows (Postfix's state->sender etc.).
    const sender = this.sender ?? s.transaction?.sender;
    const helo = this.helo ?? s.heloName;
    if (sender !== undefined) line += ` from=<${quoteLocalPart(sender)}>`;
    if (this.recipient !== undefined) line += ` to=<${quoteLocalPart(this.recipient)}>`;
    line += ` proto=${s.protocol}`;
    if (helo !== undefined) line += ` helo=<${helo}>`;
    if (s.saslMethod) line += ` sasl_method=${s.saslMethod}`;
    if (s.saslUsername) line += ` sasl_username=${s.saslUsername}`;
    s.log(line);
  }

  /** smtpd_check_reject(): format, validate and log a refusal; warn_if_reject softens it. */
  protected reject(errorClass: ErrorClass, code: number, dsn: string, text: string): Status {
    const warnOnly = this.warnIfReject > 0 && (errorClass === 'policy' || errorClass === 'bounce');
    let reply = `${code} ${dsn} ${text}`;
    if (code < 400 || code > 599) {
      this.s.warn(`SMTP reply code configuration error: ${reply}`);
      reply = '450 4.7.1 Service unavailable';
    }
    if (!validDsn(reply.slice(4))) {
      this.s.warn(`DSN detail code configuration error: ${reply}`);
      reply = '450 4.7.1 Service unavailable';
    }
    // RFC 5321 limits a reply line; control characters become spaces (Postfix printable()).
    reply = reply.slice(0, 510).replace(/[\x00-\x1f\x7f]/g, ' ');
    if (!warnOnly && this.deferIfReject.active && reply.startsWith('5')) {
      this.warnIfReject = 0;
      this.deferIfReject.active = false;
      return this.rejectWith(this.deferIfReject);
    }
    // The enhanced status class follows the reply code (5xx -> 5.x.x).
    reply = `${reply.slice(0, 4)}${reply[0]}${reply.slice(5)}`;
    this.logWhatsup(warnOnly ? 'reject_warning' : 'reject', reply);
    if (warnOnly) return DUNNO;
    this.errorText = reply;
    return REJECT;
  }

  protected rejectWith(d: Deferral): Status {
    return this.reject(d.errorClass, d.code, d.dsn, d.reason);
  }

  /** defer_if(): remember the first reason for a later change of mind. */
  protected deferIf(d: Deferral, code: number, dsn: string, reason: string): Status {
    if (!d.active) Object.assign(d, { active: true, errorClass: 'policy', code, dsn, reason });
    return DUNNO;
  }

  protected deferIfPermitOrReject(code: number, dsn: string, reason: string): Status {
    return this.warnIfReject === 0
      ? this.deferIf(this.deferIfPermit, code, dsn, reason)
      : this.reject('policy', code, dsn, reason);
  }

  /** reject_server_error(): "451 4.3.5 Server configuration error", ending the list. */
  protected serverError(): never {
    throw new Abort(this.reject('software', 451, '4.3.5', 'Server configuration error'));
  }

  /** smtpd_dsn_fix(), with its log line when the status changes. */
  protected dsnFix(dsn: string, replyClass: string): string {
    const fixed = fixAddressDsn(dsn, replyClass);
    if (dsn.slice(2) !== fixed.slice(2)) {
      this.s.log(`mapping DSN status ${dsn} into ${replyClass} status ${dsn[0]}${fixed.slice(1)}`);
    }
    return fixed;
  }
}
