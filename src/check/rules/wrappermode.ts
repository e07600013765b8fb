// smtp_tls_wrappermode = yes speaks TLS from the first byte (port 465, "submissions");
// ports 25 and 587 expect STARTTLS. A mismatch fails with "wrong version number" or a timeout.
import { parseNexthopList } from '../nexthop.js';
import { smtpTlsLevel } from '../tls-level.js';
import type { CheckContext, Finding } from '../types.js';

const IMPLICIT_TLS_PORT = 465;

export function checkWrappermode(ctx: CheckContext): Finding[] {
  const { config } = ctx;
  const findings: Finding[] = [];
  const wrapper = config.bool('smtp_tls_wrappermode');
  const relayhost = config.get('relayhost');
  for (const hop of parseNexthopList(relayhost)) {
    if (hop.port === IMPLICIT_TLS_PORT && !wrapper) {
      findings.push({
        rule: 'wrappermode-missing',
        severity: 'error',
        ...ctx.at('relayhost'),
        message:
          `relayhost "${hop.text}" is port 465 (implicit TLS), but smtp_tls_wrappermode = no: the client ` +
          `waits for a greeting the server sends only after a TLS handshake. Set "smtp_tls_wrappermode = yes" ` +
          `and "smtp_tls_security_level = encrypt", or use port 587 ("${hop.bracketed ? `[${hop.host}]` : hop.host}:submission")`,
      });
    } else if (wrapper && hop.port !== undefined && hop.port !== IMPLICIT_TLS_PORT) {
      findings.push({
        rule: 'wrappermode-wrong-port',
        severity: 'error',
        ...ctx.at('smtp_tls_wrappermode'),
        message:
          `smtp_tls_wrappermode = yes, but relayhost "${hop.text}" is port ${hop.port}, which speaks ` +
          `STARTTLS, not implicit TLS (handshake fails with "wrong version number"). Set ` +
          `"smtp_tls_wrappermode = no" and "smtp_tls_security_level = encrypt", or use port 465`,
      });
    }
  }
  if (wrapper && relayhost.trim() === '') {
    findings.push({
      rule: 'wrappermode-wrong-port',
      severity: 'error',
      ...ctx.at('smtp_tls_wrappermode'),
      message:
        'smtp_tls_wrappermode = yes but relayhost is empty: mail goes to MX hosts on port 25, which ' +
        'speak STARTTLS, not implicit TLS. Remove smtp_tls_wrappermode, or set it only for a ' +
        'master.cf transport that relays to port 465',
    });
  }
  const tls = smtpTlsLevel(config);
  if (wrapper && tls.rank < 2) {
    findings.push({
      rule: 'wrappermode-level',
      severity: 'warning',
      ...ctx.at('smtp_tls_wrappermode'),
      message:
        `smtp_tls_wrappermode = yes needs "smtp_tls_security_level = encrypt" (or stronger), but the level ` +
        `is "${tls.level}" (${tls.parameter}). Set "smtp_tls_security_level = encrypt"`,
    });
  }
  return findings;
}
