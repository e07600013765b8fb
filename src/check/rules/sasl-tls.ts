// Credentials and TLS: with smtp_tls_security_level none or may the password can go over a
// clear connection (may: an attacker strips STARTTLS), and the default SASL security options
// forbid PLAIN/LOGIN, which is all most ISPs offer ("No worthy mechs found", SASL_README).
import { splitList } from '../../config/index.js';
import { parseNexthopList } from '../nexthop.js';
import { smtpTlsLevel } from '../tls-level.js';
import type { CheckContext, Finding } from '../types.js';

/** The options parameter in force for a session at this TLS rank (smtp_sasl_glue.c). */
function activeOptionsParameter(rank: number): string {
  if (rank >= 3) return 'smtp_sasl_tls_verified_security_options';
  if (rank >= 1) return 'smtp_sasl_tls_security_options';
  return 'smtp_sasl_security_options';
}

export function checkSaslTls(ctx: CheckContext): Finding[] {
  const { config } = ctx;
  if (!config.bool('smtp_sasl_auth_enable')) return [];
  // Without a relayhost the client authenticates to any MX that offers AUTH: still risky, same advice.
  const findings: Finding[] = [];
  const tls = smtpTlsLevel(config);
  const policy = config.get('smtp_tls_policy_maps').trim() !== '';
  if (tls.rank < 2) {
    findings.push({
      rule: 'sasl-without-tls',
      severity: policy ? 'notice' : 'warning',
      ...ctx.at(tls.parameter),
      message:
        `smtp_sasl_auth_enable = yes with TLS level "${tls.level}": ` +
        (tls.rank === 0
          ? 'the password is sent without encryption'
          : 'an attacker who removes STARTTLS from the server reply gets the password in clear') +
        `. Set "smtp_tls_security_level = encrypt" (or verify)` +
        (policy ? ' unless smtp_tls_policy_maps already enforces TLS for the relay' : ''),
    });
  }
  const param = activeOptionsParameter(tls.rank);
  const options = splitList(config.get(param));
  if (options.includes('noplaintext')) {
    const inherited = config.isSet(param) ? '' : ` (inherited: ${config.raw(param) ?? ''})`;
    const fix =
      tls.rank === 0
        ? `Encrypt first: set "smtp_tls_security_level = encrypt" and "smtp_sasl_tls_security_options = noanonymous"`
        : `Set "${param} = noanonymous"`;
    const hops = parseNexthopList(config.get('relayhost')).map((h) => h.text);
    findings.push({
      rule: 'sasl-no-worthy-mechs',
      severity: 'warning',
      ...ctx.at(param),
      message:
        `${param} = ${options.join(', ')}${inherited} forbids PLAIN and LOGIN, the only mechanisms most ` +
        `ISPs${hops.length > 0 ? ` (${hops.join(', ')})` : ''} offer; authentication then fails with ` +
        `"SASL authentication failure: No worthy mechs found". ${fix}`,
    });
  }
  return findings;
}
