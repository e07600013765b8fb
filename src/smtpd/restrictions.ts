// The SMTP access restrictions, with Postfix 3.7's semantics and reply texts: the lists
// smtpd_client_, _helo_, _sender_, _relay_, _recipient_ and _data_restrictions, evaluated at
// RCPT TO (smtpd_delay_reject = yes, the default) or at their own stage (no). In a list the
// first restriction that permits or rejects decides; the end of a list means "no opinion".
// A permit ends one list only: with delayed rejects the next list still runs (client, helo,
// sender, relay, recipient). defer_if_permit / defer_if_reject / warn_if_reject change a later
// outcome as smtpd_check.c does (restriction-state.ts). Access tables are in access-checks.ts.
// Configuration mistakes (unknown restriction, table lookup error) give a 4xx reply: mail
// is never accepted because a check could not be made.
import { ACCESS_RESTRICTIONS } from './restriction-lists.js';
import { CLIENT, DATA, HELO, RECIPIENT, SENDER } from './reply-status.js';
import { validHostAddress, validHostname, validUtf8Hostname, withoutTrailingDot } from './hostname-syntax.js';
import { normalizeDomain } from './settings.js';
import { findMailAddress, RecipientLookupError, type RecipientTableList } from './recipient-maps.js';
import { AccessChecks } from './access-checks.js';
import { Abort, DUNNO, OK, REJECT, type Status } from './restriction-state.js';

/** The restriction checks of one session: one entry point per SMTP stage. */
export class RestrictionChecker extends AccessChecks {
  /** Run one restriction list; configuration errors end it like Postfix's longjmp. */
  private async run(list: string[], replyName: string, replyClass: string, defAcl?: string): Promise<Status> {
    if (list.length === 0) return DUNNO;
    return this.guarded(() => this.generic(list, replyName, replyClass, defAcl));
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

  // ---- the restriction list --------------------------------------------------------------

  /** generic_checks(). */
  protected async generic(
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
}
