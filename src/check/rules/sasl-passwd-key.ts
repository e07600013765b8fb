// The smtp client finds relayhost credentials only under the keys it looks up
// (smtp_sasl_glue.c): the host name without brackets and port, then the destination exactly as
// written in relayhost. "[mail.isp.example]:587" and "[mail.isp.example]:submission" differ.
import type { TableList } from '../../maps/registry.js';
import { alternativeForms, parseNexthopList, saslKeysFor, type Nexthop } from '../nexthop.js';
import { listEntries, openForKeyCheck, tableSpecsIn } from '../tables.js';
import type { CheckContext, Finding, Location } from '../types.js';

/** The first key that has a value; undefined when none does or the table cannot answer. */
export async function firstHit(list: TableList, keys: string[]): Promise<string | undefined | Error> {
  for (const key of keys) {
    try {
      if ((await list.lookup(key)) !== undefined) return key;
    } catch (err) {
      return err as Error;
    }
  }
  return undefined;
}

/** file/line of a key in the first file-based password table that has it. */
async function sourceLineOf(ctx: CheckContext, key: string): Promise<Location | undefined> {
  for (const t of tableSpecsIn(ctx.config.get('smtp_sasl_password_maps'))) {
    const entries = await listEntries(t.type, t.name);
    const hit = entries?.find((e) => e.key.toLowerCase() === key.toLowerCase());
    if (hit?.line !== undefined)
      return { file: t.name, line: hit.line, parameter: 'smtp_sasl_password_maps' };
  }
  return undefined;
}

/** A short name for the password table in messages: the first file named, else the setting. */
export function passwordFile(ctx: CheckContext): string {
  const first = tableSpecsIn(ctx.config.get('smtp_sasl_password_maps'))[0];
  return first === undefined ? 'the smtp_sasl_password_maps table' : first.name;
}

/** Finding for a destination whose credentials are missing, naming the key to add. */
export async function missingKeyFinding(
  ctx: CheckContext,
  list: TableList,
  hop: Nexthop,
  rule: string,
  severity: Finding['severity'],
  what: string,
  extraKeys: string[] = [],
): Promise<Finding | undefined> {
  const keys = [...extraKeys, ...saslKeysFor(hop)];
  const hit = await firstHit(list, keys);
  if (typeof hit === 'string' || hit instanceof Error) return undefined; // found, or table-open reports it
  const file = passwordFile(ctx);
  const near = await firstHit(list, alternativeForms(hop));
  const quoted = keys.map((k) => `"${k}"`);
  const tried = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
  const postmap = `then run "postmap ${file}"`;
  const message =
    typeof near === 'string'
      ? `${what} is "${hop.text}" but ${file} has the key "${near}"; the smtp client looks up only ` +
        `${tried} and will send mail unauthenticated. Change the key to "${hop.text}", ${postmap}`
      : `${what} is "${hop.text}" but ${file} has no entry for it (looked up ${tried}); mail will be ` +
        `sent unauthenticated. Add "${hop.text} username:password" to ${file}, ${postmap}`;
  // Point at the misspelt key in the source file when there is one: that is where the fix goes.
  const at = typeof near === 'string' ? await sourceLineOf(ctx, near) : undefined;
  return { rule, severity, ...(at ?? ctx.at('smtp_sasl_password_maps')), message };
}

export async function checkSaslPasswdKey(ctx: CheckContext): Promise<Finding[]> {
  const { config } = ctx;
  if (!config.bool('smtp_sasl_auth_enable')) return [];
  const maps = config.get('smtp_sasl_password_maps');
  if (maps.trim() === '') {
    return [
      {
        rule: 'sasl-password-maps-empty',
        severity: 'error',
        ...ctx.at('smtp_sasl_auth_enable'),
        message:
          'smtp_sasl_auth_enable = yes but smtp_sasl_password_maps is empty: the smtp client stops ' +
          'with "specify a password table via the `smtp_sasl_password_maps\' configuration parameter". ' +
          'Set "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd" and create that file',
      },
    ];
  }
  const hops = parseNexthopList(config.get('relayhost'));
  if (hops.length === 0) return [];
  const list = await openForKeyCheck(maps);
  if (list === undefined) return []; // reported by table-open
  try {
    const findings: Finding[] = [];
    for (const hop of hops) {
      const f = await missingKeyFinding(ctx, list, hop, 'sasl-passwd-key-mismatch', 'error', 'relayhost');
      if (f !== undefined) findings.push(f);
    }
    return findings;
  } finally {
    await list.close();
  }
}
