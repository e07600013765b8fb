// Sender-dependent relaying needs sender-dependent credentials (SASL_README, "Configuring
// Sender-Dependent SASL authentication"): sender_dependent_relayhost_maps picks the relay, and
// with smtp_sender_dependent_authentication = yes the password table is searched by sender first.
import { parseNexthop } from '../nexthop.js';
import { listEntries, openForKeyCheck, tableSpecsIn } from '../tables.js';
import type { CheckContext, Finding } from '../types.js';
import { missingKeyFinding } from './sasl-passwd-key.js';

export async function checkSenderRelayAuth(ctx: CheckContext): Promise<Finding[]> {
  const { config } = ctx;
  const relayMaps = config.get('sender_dependent_relayhost_maps');
  if (relayMaps.trim() === '' || !config.bool('smtp_sasl_auth_enable')) return [];
  if (!config.bool('smtp_sender_dependent_authentication')) {
    return [
      {
        rule: 'sender-relay-without-sender-auth',
        severity: 'warning',
        ...ctx.at('sender_dependent_relayhost_maps'),
        message:
          'sender_dependent_relayhost_maps picks a relay per sender, but smtp_sender_dependent_authentication ' +
          '= no, so per-sender entries in smtp_sasl_password_maps are never used and every relay gets ' +
          'the credentials keyed by its host name. Set "smtp_sender_dependent_authentication = yes"',
      },
    ];
  }
  const maps = config.get('smtp_sasl_password_maps');
  if (maps.trim() === '') return []; // sasl-password-maps-empty
  const list = await openForKeyCheck(maps);
  if (list === undefined) return [];
  const findings: Finding[] = [];
  try {
    for (const t of tableSpecsIn(relayMaps)) {
      const entries = await listEntries(t.type, t.name);
      for (const { key: sender, value: nexthop } of entries ?? []) {
        if (nexthop.toUpperCase() === 'DUNNO') continue;
        const hop = parseNexthop(nexthop);
        if (hop === undefined) continue;
        // Sender keys the way mail_addr_find() tries them: the address, then "@domain".
        const at = sender.indexOf('@');
        const senderKeys = at > 0 ? [sender, sender.slice(at)] : [sender];
        const f = await missingKeyFinding(
          ctx,
          list,
          hop,
          'sender-relay-sasl-key-missing',
          'warning',
          `the relay for sender "${sender}" (${t.name})`,
          senderKeys,
        );
        if (f !== undefined) findings.push(f);
      }
    }
  } finally {
    await list.close();
  }
  return findings;
}
