// smtpd refuses to run unless smtpd_relay_restrictions or smtpd_recipient_restrictions has a
// working reject_unauth_destination (or equivalent); Postfix's smtpd_check.c has_required().
import { loadMasterCf, type Config } from '../../config/index.js';
import { splitList } from '../../config/index.js';
import type { CheckContext, Finding, Location } from '../types.js';

const REQUIRED = new Set([
  'check_relay_domains',
  'reject_unauth_destination',
  'defer_unauth_destination',
  'reject',
  'defer',
  'defer_if_permit',
]);

/** has_required(): a required restriction before any "permit"; restriction classes count. */
function hasRequired(list: string[], classes: Map<string, string[]>, depth = 0): boolean {
  for (let i = 0; i < list.length; i++) {
    const r = list[i] as string;
    if (r === 'warn_if_reject' && i + 1 < list.length) {
      i++;
      continue;
    }
    if (r === 'permit') return false;
    if (REQUIRED.has(r)) return true;
    const cls = classes.get(r);
    if (cls !== undefined && depth < 10 && hasRequired(cls, classes, depth + 1)) return true;
  }
  return false;
}

function restrictionClasses(config: Config): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const name of config.list('smtpd_restriction_classes')) {
    classes.set(name, splitList(config.get(name)));
  }
  return classes;
}

function check(config: Config, where: Location, service: string): Finding | undefined {
  const classes = restrictionClasses(config);
  const relay = config.list('smtpd_relay_restrictions');
  const rcpt = config.list('smtpd_recipient_restrictions');
  if (hasRequired(relay, classes) || hasRequired(rcpt, classes)) return undefined;
  // Below compatibility_level 1 the smtpd_relay_restrictions default is empty: an empty main.cf
  // fails this check in Postfix 3.7 too (confirmed with the real smtpd).
  const level = config.compatBreaks().has('smtpd_relay_restrictions')
    ? ' (with compatibility_level below 1 its default is empty; "compatibility_level = 3.7" gives that default)'
    : '';
  return {
    rule: 'relay-restrictions-missing',
    severity: 'error',
    ...where,
    message:
      `${service}: neither smtpd_relay_restrictions nor smtpd_recipient_restrictions has ` +
      `reject_unauth_destination (or defer_unauth_destination, reject, defer) before any "permit"; ` +
      `Postfix's smtpd refuses to run ("specify at least one working instance of ..."). Set ` +
      `"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"${level}`,
  };
}

export function checkRelayRestrictions(ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const where = ctx.config.isSet('smtpd_relay_restrictions')
    ? ctx.at('smtpd_relay_restrictions')
    : ctx.at('smtpd_recipient_restrictions');
  const main = check(ctx.config, where, 'main.cf');
  if (main !== undefined) findings.push(main);
  // master.cf services may override the lists (submission usually does).
  let services;
  try {
    services = loadMasterCf(ctx.configDir, ctx.config);
  } catch {
    return findings; // no or unreadable master.cf: the master.cf rule's business
  }
  for (const svc of services) {
    if (svc.command !== 'smtpd') continue;
    const o = svc.overrides;
    const touched = [
      'smtpd_relay_restrictions',
      'smtpd_recipient_restrictions',
      'smtpd_restriction_classes',
    ].some((p) => Object.hasOwn(o, p));
    if (!touched) continue;
    const f = check(
      ctx.config.withOverrides(o),
      { file: `${ctx.configDir}/master.cf`, line: svc.line },
      `master.cf service ${svc.service}/${svc.type}`,
    );
    if (f !== undefined) findings.push(f);
  }
  return findings;
}
