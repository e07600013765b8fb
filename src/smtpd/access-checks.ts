// The check_*_access restrictions: which keys an access table is searched for (access-keys.ts
// has the orders) and what its value means (check_table_result() in Postfix's smtpd_check.c):
// OK, REJECT, DEFER, 4NN/5NN text, DEFER_IF_*, DUNNO, HOLD, DISCARD, WARN, INFO, PREPEND, or a
// restriction list of its own. HOLD, DISCARD and PREPEND outlive the command and are recorded
// on the transaction. A table that cannot answer is a configuration error (451 4.3.5), never
// "not found".
import { TableError } from '../maps/types.js';
import type { TableList } from '../maps/registry.js';
import { domainKeys, hostAddressKeys, mailAddressKeys, type LookupKey } from './access-keys.js';
import { splitDsn, CLIENT, HELO, RECIPIENT } from './reply-status.js';
import type { Transaction } from './session.js';
import { DUNNO, OK, RestrictionState, type Status } from './restriction-state.js';

export abstract class AccessChecks extends RestrictionState {
  /** check_namadr_access(): the host name and its parents, then the address and its networks. */
  protected async checkNameAddr(
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

  protected async checkDomain(
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

  protected async checkKeys(
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
  protected async checkMailAddress(
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
  protected async find(spec: string, keys: LookupKey[]): Promise<string | undefined> {
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
  protected async tableResult(
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
  protected delegable(table: string, action: string): Transaction | undefined {
    if (this.sender === undefined || this.tx === undefined) {
      this.warnSkipped(table, action);
      return undefined;
    }
    return this.tx;
  }

  protected warnSkipped(table: string, action: string): void {
    this.s.warn(
      `access table ${table}: with smtpd_delay_reject=no, action ${action} is always skipped in ${CLIENT} or ${HELO} restrictions`,
    );
  }
}
