// Defaults that Postfix computes on the running host instead of compiling in:
// myhostname (gethostname(); a name without a dot gets ".localdomain"),
// mydomain (myhostname minus its first label, else "localdomain"), mynetworks
// (from mynetworks_style and the host's interfaces), process_id, process_name.
import { hostname, networkInterfaces } from 'node:os';
import { basename } from 'node:path';
import { networkOf, prefixFromNetmask } from './ip-format.js';

const DEFAULT_DOMAIN = 'localdomain';

/** gethostname(), completed with `mydomain` (explicit setting, else "localdomain") when it has no dot. */
export function defaultMyHostname(host = hostname(), mydomain?: string): string {
  return host.includes('.') ? host : `${host}.${mydomain ?? DEFAULT_DOMAIN}`;
}

/** Everything after the first dot of myhostname, else "localdomain". */
export function defaultMyDomain(myhostname: string): string {
  const dot = myhostname.indexOf('.');
  return dot >= 0 ? myhostname.slice(dot + 1) : DEFAULT_DOMAIN;
}

export interface InterfaceAddress {
  address: string;
  netmask: string;
  family: 'IPv4' | 'IPv6';
  internal: boolean;
}

export function hostInterfaceAddresses(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      out.push({ address: a.address, netmask: a.netmask, family: a.family, internal: a.internal });
    }
  }
  return out;
}

/**
 * mynetworks for a style ("host", "subnet", "class"), IPv4 first then IPv6 as
 * Postfix lists them; IPv6 networks in brackets ("[fd00::]/64").
 * `protocols` is the expanded inet_protocols; `interfaces` the expanded inet_interfaces.
 */
export function computeMyNetworks(
  style: string,
  protocols = 'all',
  interfaces = 'all',
  addrs: InterfaceAddress[] = hostInterfaceAddresses(),
): string {
  const protoWords = protocols
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  const v4 = protoWords.includes('all') || protoWords.includes('ipv4');
  const v6 = protoWords.includes('all') || protoWords.includes('ipv6');
  const ifWords = interfaces
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean);
  const selected = addrs.filter((a) => {
    if (ifWords.includes('all') || ifWords.length === 0) return true;
    if (ifWords.includes('loopback-only')) return a.internal;
    return ifWords.includes(a.address.toLowerCase()) || ifWords.includes(`[${a.address.toLowerCase()}]`);
  });
  const result: string[] = [];
  const add = (s: string): void => {
    if (!result.includes(s)) result.push(s);
  };
  const st = style.toLowerCase();
  for (const a of selected.filter((x) => x.family === 'IPv4' && v4)) {
    if (st === 'host') add(`${a.address}/32`);
    else if (st === 'class') {
      const first = Number(a.address.split('.')[0]);
      const prefix = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
      add(`${networkOf(a.address, prefix)}/${prefix}`);
    } else {
      const prefix = prefixFromNetmask(a.netmask);
      add(`${networkOf(a.address, prefix)}/${prefix}`);
    }
  }
  for (const a of selected.filter((x) => x.family === 'IPv6' && v6)) {
    if (st === 'host') add(`[${networkOf(a.address, 128)}]/128`);
    else {
      const prefix = prefixFromNetmask(a.netmask);
      add(`[${networkOf(a.address, prefix)}]/${prefix}`);
    }
  }
  return result.join(' ');
}

export function defaultProcessName(argv1 = process.argv[1]): string {
  return argv1 === undefined ? 'node' : basename(argv1).replace(/\.js$/, '');
}
