// A SOHO host often has a made-up domain (pc.localdomain.local). Mail sent from it with that
// domain in the envelope sender is rejected by ISPs; SOHO_README rewrites outgoing addresses
// with smtp_generic_maps.
import type { CheckContext, Finding } from '../types.js';

const FANTASY_SUFFIXES = ['.local', '.lan', '.home', '.localdomain', '.internal', '.localhost', '.home.arpa'];

/** Why a domain cannot appear in mail on the Internet, or undefined when it can. */
export function fantasyReason(domain: string): string | undefined {
  const d = domain.toLowerCase().replace(/\.$/, '');
  if (d === '') return undefined;
  if (!d.includes('.')) return 'has no dot';
  const suffix = FANTASY_SUFFIXES.find((s) => d.endsWith(s));
  return suffix === undefined ? undefined : `ends in ${suffix}`;
}

const REWRITERS = ['smtp_generic_maps', 'masquerade_domains', 'canonical_maps', 'sender_canonical_maps'];

export function checkFantasyHostname(ctx: CheckContext): Finding[] {
  const { config } = ctx;
  const rewritten = REWRITERS.some((p) => config.get(p).trim() !== '');
  if (rewritten) return [];
  // myorigin is the domain of locally posted mail (default $myhostname).
  const myorigin = config.get('myorigin');
  const originWhy = fantasyReason(myorigin);
  const findings: Finding[] = [];
  if (originWhy !== undefined) {
    // Point at whichever parameter the user set that produced the name.
    const param = ['myorigin', 'myhostname', 'mydomain'].find((p) => config.isSet(p)) ?? 'myhostname';
    findings.push({
      rule: 'fantasy-domain',
      severity: 'warning',
      ...ctx.at(param),
      message:
        `outgoing mail is from user@${myorigin} (myorigin), a domain that ${originWhy} and does not ` +
        `exist on the Internet; ISPs reject such senders. Map local addresses to your real ones ` +
        `with "smtp_generic_maps = hash:/etc/postfix/generic" (lines like "you@${myorigin} you@isp.example"; ` +
        `see SOHO_README), then run "postmap /etc/postfix/generic"`,
    });
  } else {
    const host = config.get('myhostname');
    const hostWhy = fantasyReason(host);
    if (hostWhy !== undefined) {
      findings.push({
        rule: 'fantasy-helo-name',
        severity: 'notice',
        ...ctx.at('myhostname'),
        message:
          `myhostname "${host}" ${hostWhy}; the smtp client greets with it (HELO/EHLO), which some ` +
          `servers reject. If yours does, set "smtp_helo_name" to a real host name`,
      });
    }
  }
  return findings;
}
