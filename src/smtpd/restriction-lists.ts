// Start-up work on the restriction lists: the relay-safety check Postfix makes before it
// serves anyone, and the tables check_*_access names (opened once, like Postfix opens them
// before it enters its chroot jail).
import { SmtpdConfigError, type SmtpdSettings } from './settings.js';

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

/** The restrictions that take a table argument. */
export const ACCESS_RESTRICTIONS = [
  'check_client_access',
  'check_helo_access',
  'check_sender_access',
  'check_recipient_access',
];

/** Every table the restriction lists and classes name ("type:name"), for opening in advance. */
export function accessTableSpecs(settings: SmtpdSettings): string[] {
  const specs = new Set<string>();
  const lists = [
    settings.clientRestrictions,
    settings.heloRestrictions,
    settings.senderRestrictions,
    settings.relayRestrictions,
    settings.recipientRestrictions,
    settings.dataRestrictions,
    ...Object.values(settings.restrictionClasses),
  ];
  for (const list of lists) {
    list.forEach((item, i) => {
      const next = list[i + 1];
      if (ACCESS_RESTRICTIONS.includes(item.toLowerCase()) && next?.includes(':')) specs.add(next);
      else if (item.includes(':') && !ACCESS_RESTRICTIONS.includes(list[i - 1]?.toLowerCase() ?? '')) {
        specs.add(item); // bare "type:name" = the stage's own check_*_access
      }
    });
  }
  return [...specs];
}
