// relayhost forms (smtp-client spec): "[host]" skips the MX lookup, which is what an ISP relay
// needs; "host" looks up MX records of that name. Service names must resolve to a port.
import { isIP } from 'node:net';
import { parseNexthop } from '../nexthop.js';
import type { CheckContext, Finding } from '../types.js';

export function checkRelayhostSyntax(ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const where = ctx.at('relayhost');
  for (const word of ctx.config
    .get('relayhost')
    .split(/[\s,]+/)
    .filter((w) => w !== '')) {
    const hop = parseNexthop(word);
    if (hop === undefined) {
      findings.push({
        rule: 'relayhost-syntax',
        severity: 'error',
        ...where,
        message: `relayhost "${word}" is not a destination. Write it as "[host]", "[host]:port" or "[host]:submission"`,
      });
      continue;
    }
    if (hop.service !== undefined && hop.port === undefined) {
      findings.push({
        rule: 'relayhost-unknown-service',
        severity: 'error',
        ...where,
        message:
          `relayhost "${word}": "${hop.service}" is not a port number or a known service name. Use a ` +
          `number or one of smtp (25), submission (587), submissions (465)`,
      });
    }
    if (!hop.bracketed && isIP(hop.host) !== 0) {
      findings.push({
        rule: 'relayhost-unbracketed',
        severity: 'error',
        ...where,
        message: `relayhost "${word}" is an IP address without brackets; Postfix needs "[${hop.host}]${hop.service === undefined ? '' : ':' + hop.service}"`,
      });
    } else if (!hop.bracketed) {
      const fixed = `[${hop.host}]${hop.service === undefined ? '' : ':' + hop.service}`;
      findings.push({
        rule: 'relayhost-unbracketed',
        severity: 'warning',
        ...where,
        message:
          `relayhost "${word}" has no brackets, so Outpost looks up MX records for ${hop.host} and may ` +
          `deliver to a different host (and its sasl_passwd key is then the MX host name). For an ISP ` +
          `relay write "relayhost = ${fixed}" and use the same key in sasl_passwd`,
      });
    }
  }
  return findings;
}
