// The SMTP access restrictions, with Postfix 3.7's semantics and reply texts: the lists
// smtpd_client_, _helo_, _sender_, _relay_, _recipient_ and _data_restrictions, evaluated at
// RCPT TO (smtpd_delay_reject = yes, the default) or at their own stage (no). In a list the
// first restriction that permits or rejects decides; the end of a list means "no opinion".
// A permit ends one list only: with delayed rejects the next list still runs (client, helo,
// sender, relay, recipient). defer_if_permit / defer_if_reject / warn_if_reject change a later
// outcome as smtpd_check.c does. Access table values (tableResult below; the key order is in
// access-keys.ts) may name actions that outlive the command: HOLD, DISCARD and PREPEND are
// recorded on the transaction.
// Configuration mistakes (unknown restriction, table lookup error) give a 4xx reply: mail
// is never accepted because a check could not be made.
import type { SmtpdSettings } from './settings.js';
import { ACCESS_RESTRICTIONS } from './restriction-lists.js';
import { fixAddressDsn, splitDsn, validDsn } from './reply-status.js';
import type { SmtpSession, Transaction } from './session.js';
import { quoteLocalPart } from './address.js';
import { TableError } from '../maps/types.js';
import type { TableList } from '../maps/registry.js';
import { domainKeys, hostAddressKeys, mailAddressKeys, type LookupKey } from './access-keys.js';
import { validHostAddress, validHostname, validUtf8Hostname, withoutTrailingDot } from './hostname-syntax.js';
import { normalizeDomain } from './settings.js';
import { findMailAddress, RecipientLookupError, type RecipientTableList } from './recipient-maps.js';

// Postfix's SMTPD_CHECK_DUNNO / _OK / _REJECT.
const DUNNO = 0;
const OK = 1;
const REJECT = 2;
type Status = typeof DUNNO | typeof OK | typeof REJECT;

/**
 * Postfix's MAIL_ERROR_* classes: warn_if_reject can soften 'policy' and 'bounce' (unknown
 * users) rejects, never 'software' or 'data' (configuration and table errors).
 */
type ErrorClass = 'policy' | 'bounce' | 'software' | 'data';

interface Deferral {
  active: boolean;
  errorClass: ErrorClass;
  code: number;
  dsn: string;
  reason: string;
}

import { CLIENT, DATA, HELO, RECIPIENT, SENDER } from './reply-status.js';

/** Postfix longjmp()s out of the restriction lists on configuration errors; so do we. */
class Abort {
  constructor(readonly status: Status) {}
}

const inactive = (): Deferral => ({ active: false, errorClass: 'policy', code: 0, dsn: '', reason: '' });

/**
 * One session's restriction state (Postfix keeps it in SMTPD_STATE): the helo/sender/recipient
 * being checked, the pending defer_if_permit / defer_if_reject, and the last reject text.
 */
export class RestrictionChecker {
  private helo: string | undefined;
  private sender: string | undefined;
  private recipient: string | undefined;
  private recursion = 0;
  private warnIfReject = 0;
  private deferIfReject = inactive();
  private deferIfPermit = inactive();
  private deferIfPermitClient = false;
  private deferIfPermitHelo = false;
  private deferIfPermitSender = false;
  private errorText = '';
  /** reject_unlisted_recipient / _sender already ran for this RCPT / MAIL (no implicit rerun). */
  private recipientMapsChecked = false;
  private senderMapsChecked = false;

  constructor(private readonly s: SmtpSession) {}

  private get settings(): SmtpdSettings {
    return this.s.settings;
  }

  private get tx(): Transaction | undefined {
    return this.s.transaction;
  }

  private reset(): void {
    this.recursion = 0;
    this.warnIfReject = 0;
    this.deferIfReject.active = false;
  }

  /** Run one restriction list; configuration errors end it like Postfix's longjmp. */
  private async run(list: string[], replyName: string, replyClass: string, defAcl?: string): Promise<Status> {
    if (list.length === 0) return DUNNO;
    return this.guarded(() => this.generic(list, replyName, replyClass, defAcl));
  }

  /** A check that may end with Abort (a longjmp in Postfix), returning the status it carries. */
  private async guarded(check: () => Promise<Status>): Promise<Status> {
    try {
      return await check();
    } catch (e) {
      if (e instanceof Abort) return e.status;
      throw e;
    }
  }

  /** smtpd_client_restrictions; the reply when the client is refused. */
  async checkClient(): Promise<string | undefined> {
    this.deferIfPermit.active = false;
    this.reset();
    const status = await this.run(
      this.settings.clientRestrictions,
      this.s.namaddr,
      CLIENT,
      'check_client_access',
    );
    this.deferIfPermitClient = this.deferIfPermit.active;
    return status === REJECT ? this.errorText : undefined;
  }

  async checkHelo(helo: string | undefined): Promise<string | undefined> {
    if (helo === undefined) return undefined;
    const saved = this.helo;
    this.helo = helo;
    try {
      this.deferIfPermit.active = this.deferIfPermitClient;
      this.reset();
      const status = await this.run(this.settings.heloRestrictions, helo, HELO, 'check_helo_access');
      this.deferIfPermitHelo = this.deferIfPermit.active;
      return status === REJECT ? this.errorText : undefined;
    } finally {
      this.helo = saved;
    }
  }

  async checkMail(sender: string | undefined): Promise<string | undefined> {
    if (sender === undefined) return undefined;
    const saved = this.sender;
    this.sender = sender;
    try {
      this.deferIfPermit.active = this.deferIfPermitClient || this.deferIfPermitHelo;
      this.senderMapsChecked = false;
      this.reset();
      let status = await this.run(this.settings.senderRestrictions, sender, SENDER, 'check_sender_access');
      this.deferIfPermitSender = this.deferIfPermit.active;
      // smtpd_reject_unlisted_sender: an implicit reject_unlisted_sender after the list.
      if (
        this.settings.rejectUnlistedSender &&
        status !== REJECT &&
        !this.senderMapsChecked &&
        !this.tx?.discard &&
        sender !== ''
      ) {
        status = await this.guarded(() => this.checkSenderMaps(sender));
      }
      return status === REJECT ? this.errorText : undefined;
    } finally {
      this.sender = saved;
    }
  }

  /** All delayed lists, then smtpd_relay_restrictions and smtpd_recipient_restrictions. */
  async checkRcpt(recipient: string): Promise<string | undefined> {
    // RFC 5321 4.5.1: "postmaster" is accepted whatever the restrictions say.
    if (recipient.toLowerCase() === 'postmaster') return undefined;
    // Postfix never refuses its own address verification sender (double-bounce@$myorigin), so
    // that probes between two Postfix-style servers cannot block each other.
    if (this.isVerifySender(recipient)) return undefined;
    const saved = [this.recipient, this.helo, this.sender] as const;
    this.recipient = recipient;
    this.helo = this.s.heloName;
    this.sender = this.tx?.sender;
    this.recipientMapsChecked = false;
    try {
      if (this.settings.delayReject) {
        const err =
          (await this.checkClient()) ??
          (await this.checkHelo(this.helo)) ??
          (await this.checkMail(this.sender));
        if (err !== undefined) return err;
      }
      this.deferIfPermit.active = this.deferIfPermitSender;
      this.reset();
      let status: Status = DUNNO;
      for (const list of [this.settings.relayRestrictions, this.settings.recipientRestrictions]) {
        status = await this.run(list, recipient, RECIPIENT, 'check_recipient_access');
        if (status === REJECT) break;
      }
      if (status !== REJECT && this.deferIfPermit.active) status = this.rejectWith(this.deferIfPermit);
      // smtpd_reject_unlisted_recipient: an implicit reject_unlisted_recipient at the very end,
      // after the relay and recipient lists (and after a deferred defer_if_permit).
      if (
        this.settings.rejectUnlistedRecipient &&
        status !== REJECT &&
        !this.recipientMapsChecked &&
        !this.tx?.discard
      ) {
        status = await this.guarded(() => this.checkRecipientMaps(recipient));
      }
      return status === REJECT ? this.errorText : undefined;
    } finally {
      [this.recipient, this.helo, this.sender] = saved;
    }
  }

  /** valid_verify_sender_addr() without the time-stamped form (address_verify_sender_ttl). */
  private isVerifySender(address: string): boolean {
    const mine = this.settings.verifySender;
    if (mine === '' || mine === '<>') return false;
    return address.toLowerCase() === mine.toLowerCase();
  }

  /** smtpd_data_restrictions at DATA; `recipient` is logged only for a single recipient. */
  async checkData(recipient: string | undefined): Promise<string | undefined> {
    if (this.settings.dataRestrictions.length === 0) return undefined;
    const saved = [this.recipient, this.helo, this.sender] as const;
    this.recipient = recipient;
    this.helo = this.s.heloName;
    this.sender = this.tx?.sender;
    try {
      this.deferIfPermit.active = false;
      this.reset();
      let status = await this.run(this.settings.dataRestrictions, 'DATA', DATA);
      if (status !== REJECT && this.deferIfPermit.active) status = this.rejectWith(this.deferIfPermit);
      return status === REJECT ? this.errorText : undefined;
    } finally {
      [this.recipient, this.helo, this.sender] = saved;
    }
  }

  // ---- logging and replies ---------------------------------------------------------------

  /** Postfix log_whatsup(): "NOQUEUE: reject: RCPT from host[addr]: text; from=<> to=<> ...". */
  private logWhatsup(whatsup: string, text: string): void {
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
  private reject(errorClass: ErrorClass, code: number, dsn: string, text: string): Status {
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

  private rejectWith(d: Deferral): Status {
    return this.reject(d.errorClass, d.code, d.dsn, d.reason);
  }

  /** defer_if(): remember the first reason for a later change of mind. */
  private deferIf(d: Deferral, code: number, dsn: string, reason: string): Status {
    if (!d.active) Object.assign(d, { active: true, errorClass: 'policy', code, dsn, reason });
    return DUNNO;
  }

  private deferIfPermitOrReject(code: number, dsn: string, reason: string): Status {
    return this.warnIfReject === 0
      ? this.deferIf(this.deferIfPermit, code, dsn, reason)
      : this.reject('policy', code, dsn, reason);
  }

  /** reject_server_error(): "451 4.3.5 Server configuration error", ending the list. */
  private serverError(): never {
    throw new Abort(this.reject('software', 451, '4.3.5', 'Server configuration error'));
  }

  // ---- the restriction list --------------------------------------------------------------

  /** generic_checks(). */
  private async generic(
    list: string[],
    replyName: string,
    replyClass: string,
    defAcl?: string,
  ): Promise<Status> {
    const savedRecursion = this.recursion++;
    let status: Status = DUNNO;
    for (let i = 0; i < list.length; i++) {
      if (this.tx?.discard) break;
      let name = list[i]!;
      let lower = name.toLowerCase();
      if (lower === 'warn_if_reject') {
        if (this.warnIfReject === 0) this.warnIfReject = this.recursion;
        continue;
      }
      // A bare "type:name" is the stage's own access table.
      let table: string | undefined;
      if (name.includes(':')) {
        if (defAcl === undefined) {
          this.s.warn(
            'specify one of (check_client_access, check_reverse_client_hostname_access, check_helo_access, ' +
              `check_sender_access, check_recipient_access, check_etrn_access) before ${replyClass} restriction "${name}"`,
          );
          this.serverError();
        }
        table = name;
        name = defAcl;
        lower = defAcl;
      } else if (ACCESS_RESTRICTIONS.includes(lower)) {
        table = list[i + 1];
        if (table === undefined || !table.includes(':')) {
          this.s.warn(`restriction ${lower}: bad argument "${table ?? ''}": need maptype:mapname`);
          this.serverError();
        }
        i++;
      }
      status = await this.one(lower, name, table, replyName, replyClass, defAcl);
      if (this.warnIfReject >= this.recursion) this.warnIfReject = 0;
      if (status !== DUNNO) break;
      if (this.deferIfPermit.active && this.deferIfReject.active) break;
    }
    this.recursion = savedRecursion;
    if (this.warnIfReject >= this.recursion) this.warnIfReject = 0;
    return status;
  }

  /** One restriction; `table` is set for check_*_access. */
  private async one(
    lower: string,
    name: string,
    table: string | undefined,
    replyName: string,
    replyClass: string,
    defAcl: string | undefined,
  ): Promise<Status> {
    const set = this.settings;
    const s = this.s;
    const helo = this.helo;
    const sender = this.sender;
    const rcpt = this.recipient;
    switch (lower) {
      case 'permit':
        return OK;
      case 'reject':
        return this.reject(
          'policy',
          set.rejectCode,
          '5.7.1',
          `<${replyName}>: ${replyClass} rejected: Access denied`,
        );
      case 'defer':
        return this.reject(
          'policy',
          set.deferCode,
          '4.3.2',
          `<${replyName}>: ${replyClass} rejected: Try again later`,
        );
      case 'defer_if_permit':
        return this.deferIfPermitOrReject(
          450,
          '4.7.0',
          `<${replyName}>: ${replyClass} rejected: defer_if_permit requested`,
        );
      case 'defer_if_reject':
        return this.deferIf(
          this.deferIfReject,
          450,
          '4.7.0',
          `<${replyName}>: ${replyClass} rejected: defer_if_reject requested`,
        );
      case 'reject_unauth_pipelining':
        // smtpd_forbid_unauth_pipelining covers this; the session detects improper pipelining.
        return DUNNO;
      case 'permit_mynetworks':
        return s.clientInMynetworks ? OK : DUNNO;
      case 'permit_inet_interfaces':
        return set.inetInterfaces.includes(s.clientAddress) ? OK : DUNNO;
      case 'permit_sasl_authenticated':
        return s.saslUsername !== undefined ? OK : DUNNO;
      case 'check_client_access':
        return this.checkNameAddr(table!, s.clientName, s.clientAddress, s.namaddr, CLIENT, defAcl);
      case 'check_helo_access':
        if (helo === undefined) return DUNNO;
        return this.checkDomain(table!, helo, helo, HELO, defAcl);
      case 'reject_invalid_helo_hostname':
      case 'reject_invalid_hostname':
        if (helo === undefined) return DUNNO;
        if (helo.startsWith('[')) return this.rejectInvalidHostAddr(helo, HELO);
        if (validHostname(withoutTrailingDot(helo)) || validHostAddress(withoutTrailingDot(helo)))
          return DUNNO;
        return this.reject(
          'policy',
          set.invalidHostnameRejectCode,
          '5.5.2',
          `<${helo}>: ${HELO} rejected: Invalid name`,
        );
      case 'reject_non_fqdn_helo_hostname':
      case 'reject_non_fqdn_hostname': {
        if (helo === undefined) return DUNNO;
        if (helo.startsWith('[')) return this.rejectInvalidHostAddr(helo, HELO);
        const name = withoutTrailingDot(helo);
        if (validUtf8Hostname(this.tx?.smtputf8 ?? false, name) && name.includes('.')) return DUNNO;
        return this.reject(
          'policy',
          set.nonFqdnRejectCode,
          '5.5.2',
          `<${helo}>: ${HELO} rejected: need fully-qualified hostname`,
        );
      }
      case 'check_sender_access':
        if (sender === undefined) return DUNNO;
        if (sender === '')
          return this.checkKeys(
            table!,
            [{ key: set.nullAccessLookupKey, partial: false }],
            '',
            SENDER,
            defAcl,
          );
        return this.checkMailAddress(table!, sender, SENDER, defAcl);
      case 'reject_non_fqdn_sender':
        if (!sender) return DUNNO;
        return this.rejectNonFqdnAddress(sender, SENDER);
      case 'check_recipient_access':
        if (rcpt === undefined) return DUNNO;
        return this.checkMailAddress(table!, rcpt, RECIPIENT, defAcl);
      case 'reject_non_fqdn_recipient':
        if (rcpt === undefined) return DUNNO;
        return this.rejectNonFqdnAddress(rcpt, RECIPIENT);
      case 'permit_auth_destination':
        if (rcpt === undefined) return DUNNO;
        return s.runtime.resolver.isAuthorizedDestination(rcpt) ? OK : DUNNO;
      case 'reject_unauth_destination':
      case 'defer_unauth_destination': {
        if (rcpt === undefined || s.runtime.resolver.isAuthorizedDestination(rcpt)) return DUNNO;
        const defer = lower === 'defer_unauth_destination';
        return this.reject(
          'policy',
          set.relayDomainsRejectCode - (defer ? 100 : 0),
          defer ? '4.7.1' : '5.7.1',
          `<${rcpt}>: Relay access denied`,
        );
      }
      case 'reject_unlisted_recipient':
      case 'check_recipient_maps':
        if (!rcpt) return DUNNO;
        return this.checkRecipientMaps(rcpt);
      case 'reject_unlisted_sender':
        if (!sender) return DUNNO;
        return this.checkSenderMaps(sender);
      // Accepted without effect: Outpost has no address verification service (verify(8)).
      case 'reject_unverified_recipient':
        return DUNNO;
      default: {
        const cls = Object.hasOwn(set.restrictionClasses, name) ? set.restrictionClasses[name] : undefined;
        if (cls !== undefined) return this.generic(cls, replyName, replyClass, defAcl);
        s.warn(`unknown smtpd restriction: "${name}"`);
        return this.serverError();
      }
    }
  }

  private rejectInvalidHostAddr(name: string, replyClass: string): Status {
    const inner = name.length > 2 && name.endsWith(']') ? name.slice(1, -1) : name;
    if (validHostAddress(inner)) return DUNNO;
    return this.reject(
      'policy',
      this.settings.invalidHostnameRejectCode,
      '5.5.2',
      `<${name}>: ${replyClass} rejected: invalid ip address`,
    );
  }

  /** reject_non_fqdn_sender / _recipient. */
  private rejectNonFqdnAddress(address: string, replyClass: string): Status {
    const at = address.lastIndexOf('@');
    const domain = at >= 0 ? address.slice(at + 1) : '';
    if (domain.startsWith('[') && domain.endsWith(']')) return DUNNO;
    const name = withoutTrailingDot(domain);
    if (name !== '' && validUtf8Hostname(this.tx?.smtputf8 ?? false, name) && name.includes('.'))
      return DUNNO;
    return this.reject(
      'policy',
      this.settings.nonFqdnRejectCode,
      '4.5.2',
      `<${address}>: ${replyClass} rejected: need fully-qualified address`,
    );
  }

  // ---- recipient validation (reject_unlisted_recipient / _sender) -------------------------

  /** check_recipient_rcpt_maps(): once per RCPT, unless only warned about. */
  private async checkRecipientMaps(recipient: string): Promise<Status> {
    if (this.recipientMapsChecked) return DUNNO;
    if (this.warnIfReject === 0) this.recipientMapsChecked = true;
    return this.checkAddressMaps(recipient, RECIPIENT);
  }

  /** check_sender_rcpt_maps(): the same tables for the sender address. */
  private async checkSenderMaps(sender: string): Promise<Status> {
    if (this.senderMapsChecked) return DUNNO;
    if (this.warnIfReject === 0) this.senderMapsChecked = true;
    return this.checkAddressMaps(sender, SENDER);
  }

  /**
   * check_rcpt_maps(): is the address known in the table of its address class? Addresses
   * found in the canonical or virtual alias tables are known whatever their class; in a
   * virtual alias domain every other address is unknown. A table that cannot answer gives
   * "451 4.3.0 <addr>: Temporary lookup failure" (never acceptance, never "unknown").
   */
  private async checkAddressMaps(address: string, replyClass: string): Promise<Status> {
    const set = this.settings;
    const { resolver, recipientTables: t } = this.s.runtime;
    const resolved = resolver.resolve(address);
    // The keys (and Postfix's lookup-error warnings) are in lower case, as the tables fold them.
    const folded = resolved.address.toLowerCase();
    const isLocal = (domain: string): boolean =>
      normalizeDomain(domain) === set.myorigin || resolver.isLocalDomain(domain);
    const known = async (list: RecipientTableList | undefined): Promise<boolean> =>
      list !== undefined && (await findMailAddress(list, folded, set, isLocal)) !== undefined;
    const isSender = replyClass === SENDER;
    const unknown = (code: number, table: string): Status =>
      this.reject(
        'bounce',
        code,
        isSender ? '5.1.0' : '5.1.1',
        `<${address}>: ${replyClass} rejected: User unknown${set.showUnknownTableName ? ` in ${table}` : ''}`,
      );
    try {
      if (
        (await known(t.recipientCanonical)) ||
        (isSender && (await known(t.senderCanonical))) ||
        (await known(t.canonical)) ||
        (await known(t.virtualAlias))
      ) {
        return DUNNO;
      }
      switch (resolved.destinationClass) {
        case 'local': {
          if (t.local === undefined) return DUNNO;
          // Mail for these is absorbed by the queue manager or comes from the bounce service.
          const localPart = resolved.address.slice(0, resolved.address.lastIndexOf('@')).toLowerCase();
          const exempt = ['postmaster', 'mailer-daemon', set.doubleBounceSender.toLowerCase()];
          if (exempt.includes(localPart) || (await known(t.local))) return DUNNO;
          return unknown(set.unknownLocalRecipientRejectCode, 'local recipient table');
        }
        case 'virtual':
          if (set.virtualAliasDomains.includes(normalizeDomain(resolved.domain))) {
            // trivial-rewrite resolves these to "error:5.1.1 User unknown in virtual alias table".
            return this.reject(
              'bounce',
              set.unknownVirtualAliasRejectCode,
              this.dsnFix('5.1.1', replyClass),
              `<${address}>: ${replyClass} rejected: User unknown${set.showUnknownTableName ? ' in virtual alias table' : ''}`,
            );
          }
          if (t.virtualMailbox === undefined || (await known(t.virtualMailbox))) return DUNNO;
          return unknown(set.unknownVirtualMailboxRejectCode, 'virtual mailbox table');
        case 'relay':
          if (t.relay === undefined || (await known(t.relay))) return DUNNO;
          return unknown(set.unknownRelayRecipientRejectCode, 'relay recipient table');
        default:
          return DUNNO;
      }
    } catch (e) {
      if (!(e instanceof RecipientLookupError)) throw e;
      for (const w of e.warnings) this.s.warn(w);
      if (e.kind === 'config') this.serverError();
      throw new Abort(this.reject('data', 451, '4.3.0', `<${address}>: Temporary lookup failure`));
    }
  }

  // ---- access tables ---------------------------------------------------------------------

  /** check_namadr_access(): the host name and its parents, then the address and its networks. */
  private async checkNameAddr(
    table: string,
    name: string,
    addr: string,
    replyName: string,
    replyClass: string,
    defAcl: string | undefined,
  ): Promise<Status> {
    const byName = await this.find(table, domainKeys(name, this.settings.accessParentStyle));
    if (byName !== undefined) return this.tableResult(table, byName, name, replyName, replyClass, defAcl);
    const byAddr = await this.find(table, hostAddressKeys(addr));
    if (byAddr !== undefined) return this.tableResult(table, byAddr, addr, replyName, replyClass, defAcl);
    return DUNNO;
  }

  private async checkDomain(
    table: string,
    domain: string,
    replyName: string,
    replyClass: string,
    defAcl: string | undefined,
  ): Promise<Status> {
    return this.checkKeys(
      table,
      domainKeys(domain, this.settings.accessParentStyle),
      replyName,
      replyClass,
      defAcl,
      domain,
    );
  }

  private async checkKeys(
    table: string,
    keys: LookupKey[],
    replyName: string,
    replyClass: string,
    defAcl: string | undefined,
    datum = keys[0]!.key,
  ): Promise<Status> {
    const value = await this.find(table, keys);
    if (value === undefined) return DUNNO;
    return this.tableResult(table, value, datum, replyName, replyClass, defAcl);
  }

  /** check_mail_access(): the resolved address in mail_addr_find() order. */
  private async checkMailAddress(
    table: string,
    address: string,
    replyClass: string,
    defAcl: string | undefined,
  ): Promise<Status> {
    const resolved = this.s.runtime.resolver.resolve(address);
    const keys = mailAddressKeys(
      resolved.address,
      this.settings.recipientDelimiter,
      this.settings.accessParentStyle,
    );
    const value = await this.find(table, keys);
    if (value === undefined) return DUNNO;
    const status = await this.tableResult(table, value, resolved.address, address, replyClass, defAcl);
    // Sender-routed recipients (user%host@us) are too suspicious to be made OK by a table.
    const suspicious = !this.settings.allowUntrustedRouting && resolved.routed && replyClass === RECIPIENT;
    return status === OK && suspicious ? DUNNO : status;
  }

  /**
   * The first value for the keys in order; a table that cannot answer yields Postfix's
   * "451 4.3.5 Server configuration error" action (never "not found").
   */
  private async find(spec: string, keys: LookupKey[]): Promise<string | undefined> {
    const table: TableList | undefined = this.s.runtime.accessTables.get(spec);
    if (table === undefined) {
      this.s.warn(`check_access: unexpected dictionary: ${spec}`);
      return '451 4.3.5 Server configuration error';
    }
    for (const { key, partial } of keys) {
      try {
        const v = await table.lookup(key, partial);
        if (v !== undefined) return v;
      } catch (e) {
        if (!(e instanceof TableError)) throw e;
        this.s.warn(`${spec} lookup error for "${key}"`);
        return '451 4.3.5 Server configuration error';
      }
    }
    return undefined;
  }

  /** check_table_result(): what an access table's value means. */
  private async tableResult(
    table: string,
    value: string,
    datum: string,
    replyName: string,
    replyClass: string,
    defAcl: string | undefined,
  ): Promise<Status> {
    const set = this.settings;
    const m = /^([^ \t]*)[ \t]*(.*)$/s.exec(value)!;
    const command = m[1]!.toUpperCase();
    const text = m[2]!;
    const rejectText = (t: string, dflt: string): string =>
      `<${replyName}>: ${replyClass} rejected: ${t || dflt}`;
    switch (command) {
      case 'DUNNO':
        return DUNNO;
      case 'REJECT': {
        const d = splitDsn('5.7.1', text);
        return this.reject(
          'policy',
          set.accessMapRejectCode,
          this.dsnFix(d.dsn, replyClass),
          rejectText(d.text, 'Access denied'),
        );
      }
      case 'DEFER': {
        const d = splitDsn('4.7.1', text);
        return this.reject(
          'policy',
          set.accessMapDeferCode,
          this.dsnFix(d.dsn, replyClass),
          rejectText(d.text, 'Access denied'),
        );
      }
      case 'INFO':
        this.logWhatsup('info', text);
        return DUNNO;
      case 'WARN':
        this.logWhatsup('warn', text);
        return DUNNO;
      case 'HOLD': {
        const tx = this.delegable(table, 'HOLD');
        if (tx === undefined || tx.hold) return DUNNO;
        this.logWhatsup('hold', `<${replyName}>: ${replyClass} ${text || 'triggers HOLD action'}`);
        tx.hold = true;
        return DUNNO;
      }
      case 'DISCARD': {
        const tx = this.delegable(table, 'DISCARD');
        if (tx === undefined) return DUNNO;
        this.logWhatsup('discard', `<${replyName}>: ${replyClass} ${text || 'triggers DISCARD action'}`);
        tx.discard = true;
        return OK;
      }
      case 'DEFER_IF_PERMIT': {
        const d = splitDsn('4.7.1', text);
        return this.deferIfPermitOrReject(
          set.accessMapDeferCode,
          this.dsnFix(d.dsn, replyClass),
          rejectText(d.text, 'Service unavailable'),
        );
      }
      case 'DEFER_IF_REJECT': {
        const d = splitDsn('4.7.1', text);
        return this.deferIf(
          this.deferIfReject,
          set.accessMapDeferCode,
          this.dsnFix(d.dsn, replyClass),
          rejectText(d.text, 'Service unavailable'),
        );
      }
      case 'PREPEND': {
        const tx = this.delegable(table, 'PREPEND');
        if (tx === undefined) return DUNNO;
        if (!/^[\x21-\x39\x3b-\x7e]+:/.test(text)) {
          this.s.warn(`access table ${table} entry "${datum}" requires header: text`);
          return DUNNO;
        }
        (tx.prepend ??= []).push(text);
        return DUNNO;
      }
      case 'OK':
      case 'RELAY':
        return OK;
    }
    if (/^\d+$/.test(value)) return OK; // a time stamp from POP-before-SMTP tools means OK
    if (/^[45]\d\d$/.test(m[1]!) && text !== '') {
      const d = splitDsn(`${m[1]![0]}.7.1`, text);
      return this.reject(
        'policy',
        Number(m[1]),
        this.dsnFix(d.dsn, replyClass),
        rejectText(d.text, 'Access denied'),
      );
    }
    if (value.includes(':')) {
      this.s.warn(`access table ${table} has entry with lookup table: ${value}`);
      this.s.warn('do not specify lookup tables inside SMTPD access maps');
      this.s.warn('define a restriction class and specify its name instead.');
      this.serverError();
    }
    if (this.recursion > 100) {
      this.s.warn(`access table ${table} entry ${value} causes unreasonable recursion`);
      this.serverError();
    }
    // Anything else is a restriction list of its own ("permit_mynetworks, reject").
    const nested = value.split(/[\s,]+/).filter((w) => w !== '');
    if (nested.length === 0) {
      this.s.warn(`access table ${table} entry ${value} has empty value`);
      return OK;
    }
    return this.generic(nested, replyName, replyClass, defAcl);
  }

  /** HOLD and DISCARD need a mail transaction (not with smtpd_delay_reject = no at CONNECT/HELO). */
  private delegable(table: string, action: string): Transaction | undefined {
    if (this.sender === undefined || this.tx === undefined) {
      this.warnSkipped(table, action);
      return undefined;
    }
    return this.tx;
  }

  private warnSkipped(table: string, action: string): void {
    this.s.warn(
      `access table ${table}: with smtpd_delay_reject=no, action ${action} is always skipped in ${CLIENT} or ${HELO} restrictions`,
    );
  }

  /** smtpd_dsn_fix(), with its log line when the status changes. */
  private dsnFix(dsn: string, replyClass: string): string {
    const fixed = fixAddressDsn(dsn, replyClass);
    if (dsn.slice(2) !== fixed.slice(2)) {
      this.s.log(`mapping DSN status ${dsn} into ${replyClass} status ${dsn[0]}${fixed.slice(1)}`);
    }
    return fixed;
  }
}
