// smtpd_relay_restrictions then smtpd_recipient_restrictions, evaluated at RCPT TO (with
// smtpd_delay_reject = yes). In each list the first restriction that permits, rejects or
// defers decides; the end of a list means "permit". Only the restrictions a small office
// needs are implemented; an unknown one behaves like Postfix: the recipient gets
// "451 4.3.5 Server configuration error" and a warning is logged.
import { SmtpdConfigError, type SmtpdSettings } from './settings.js';

export interface RestrictionContext {
  clientInMynetworks: boolean;
  saslAuthenticated: boolean;
  /** Recipient in internal form. */
  recipient: string;
  isAuthorizedDestination(recipient: string): boolean;
}

export type RestrictionResult =
  | { action: 'permit' }
  /** reply is the full SMTP reply text; warning is logged when set. */
  | { action: 'reject'; reply: string; warning?: string };

/** Restrictions that make the relay check safe; one of the two lists must name one. */
const REQUIRED = [
  'reject_unauth_destination',
  'defer_unauth_destination',
  'reject',
  'defer',
  'defer_if_permit',
  'check_relay_domains',
];

/**
 * The start-up check Postfix does in smtpd_check_init(); throws the same text it logs as
 * "fatal:" when neither list can refuse mail to arbitrary destinations.
 */
export function checkRelayRestrictions(settings: SmtpdSettings): void {
  const hasRequired = (list: string[]): boolean => {
    for (const r of list.map((s) => s.toLowerCase())) {
      if (r === 'permit') return false;
      if (REQUIRED.includes(r)) return true;
    }
    return false;
  };
  if (!hasRequired(settings.recipientRestrictions) && !hasRequired(settings.relayRestrictions)) {
    throw new SmtpdConfigError(
      'in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at least one ' +
        'working instance of: reject_unauth_destination, defer_unauth_destination, reject, defer, ' +
        'defer_if_permit or check_relay_domains',
    );
  }
}

export function evaluateRecipientRestrictions(
  settings: SmtpdSettings,
  ctx: RestrictionContext,
): RestrictionResult {
  for (const list of [settings.relayRestrictions, settings.recipientRestrictions]) {
    const r = evaluateList(settings, list, ctx);
    if (r !== undefined) {
      if (r.action === 'reject') return r;
      // A permit ends this list only; the next list still runs (Postfix: relay, then recipient).
    }
  }
  return { action: 'permit' };
}

function evaluateList(
  settings: SmtpdSettings,
  list: string[],
  ctx: RestrictionContext,
): RestrictionResult | undefined {
  const rcpt = ctx.recipient;
  let deferIfPermit: RestrictionResult | undefined;
  for (const raw of list) {
    const name = raw.toLowerCase();
    switch (name) {
      case 'permit':
        return deferIfPermit ?? { action: 'permit' };
      case 'reject':
        return {
          action: 'reject',
          reply: `${settings.rejectCode} 5.7.1 <${rcpt}>: Recipient address rejected: Access denied`,
        };
      case 'defer':
        return {
          action: 'reject',
          reply: `${settings.deferCode} 4.3.2 <${rcpt}>: Recipient address rejected: Try again later`,
        };
      case 'defer_if_permit':
        deferIfPermit = {
          action: 'reject',
          reply: `450 4.7.0 <${rcpt}>: Recipient address rejected: defer_if_permit requested`,
        };
        break;
      case 'permit_mynetworks':
        if (ctx.clientInMynetworks) return deferIfPermit ?? { action: 'permit' };
        break;
      case 'permit_sasl_authenticated':
        if (ctx.saslAuthenticated) return deferIfPermit ?? { action: 'permit' };
        break;
      case 'permit_auth_destination':
        if (ctx.isAuthorizedDestination(rcpt)) return deferIfPermit ?? { action: 'permit' };
        break;
      case 'reject_unauth_destination':
      case 'defer_unauth_destination':
        if (!ctx.isAuthorizedDestination(rcpt)) {
          const code = settings.relayDomainsRejectCode - (name === 'defer_unauth_destination' ? 100 : 0);
          const dsn = name === 'defer_unauth_destination' ? '4.7.1' : '5.7.1';
          return { action: 'reject', reply: `${code} ${dsn} <${rcpt}>: Relay access denied` };
        }
        break;
      // Accepted and without effect here: the queue/cleanup side owns recipient validation,
      // and pipelining abuse has its own setting (smtpd_forbid_unauth_pipelining).
      case 'reject_unlisted_recipient':
      case 'reject_unverified_recipient':
      case 'reject_unauth_pipelining':
      case 'warn_if_reject':
        break;
      default:
        return {
          action: 'reject',
          reply: '451 4.3.5 Server configuration error',
          warning: `unknown smtpd restriction: "${raw}"`,
        };
    }
  }
  return deferIfPermit;
}
