// Defaults that Postfix computes on the running host instead of compiling in:
// myhostname (gethostname(); a name without a dot gets ".localdomain"),
// mydomain (myhostname minus its first label, else "localdomain"), mynetworks
// (from mynetworks_style and the host's interfaces), process_id, process_name.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { ConfigError } from './errors.js';
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

/** Addresses of a host name from /etc/hosts (no DNS: configuration loading stays synchronous and local). */
export function hostsFileAddresses(name: string, hostsText?: string): string[] {
  let text = hostsText;
  if (text === undefined) {
    try {
      text = readFileSync('/etc/hosts', 'utf8');
    } catch {
      return [];
    }
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    const addr = words[0];
    if (addr === undefined || isIP(addr) === 0) continue;
    if (words.slice(1).some((w) => w.toLowerCase() === name.toLowerCase()) && !out.includes(addr))
      out.push(addr);
  }
  return out;
}

/** mynetworks_style as Postfix parses it: exactly one of host, subnet, class (case matters). */
export function parseMyNetworksStyle(style: string): 'host' | 'subnet' | 'class' {
  const words = style.split(/[, \t\r\n]+/).filter(Boolean);
  for (const w of words) {
    if (w !== 'host' && w !== 'subnet' && w !== 'class') {
      throw new ConfigError(`unknown mynetworks mask style value "${w}" in "${style}"`);
    }
  }
  const distinct = [...new Set(words)];
  if (distinct.length !== 1) {
    throw new ConfigError(`bad mynetworks_style value: ${style}; specify exactly one value`);
  }
  return distinct[0] as 'host' | 'subnet' | 'class';
}

/**
 * mynetworks for a style ("host", "subnet", "class"), IPv4 first then IPv6 as
 * Postfix lists them; IPv6 networks in brackets ("[fd00::]/64").
 * `protocols` is the expanded inet_protocols; `interfaces` the expanded inet_interfaces.
 */
export function computeMyNetworks(
  styleText: string,
  protocols = 'all',
  interfaces = 'all',
  addrs: InterfaceAddress[] = hostInterfaceAddresses(),
): string {
  const style = parseMyNetworksStyle(styleText);
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
  const wanted = new Set<string>();
  for (const w of ifWords) {
    const bare = w.replace(/^\[(.*)\]$/, '$1');
    if (isIP(bare) !== 0) wanted.add(bare);
    else for (const a of hostsFileAddresses(bare)) wanted.add(a.toLowerCase());
  }
  const selected = addrs.filter((a) => {
    if (ifWords.includes('all') || ifWords.length === 0) return true;
    if (ifWords.includes('loopback-only')) return a.internal;
    return wanted.has(a.address.toLowerCase());
  });
  const result: string[] = [];
  const add = (s: string): void => {
    if (!result.includes(s)) result.push(s);
  };
  for (const a of selected.filter((x) => x.family === 'IPv4' && v4)) {
    if (style === 'host') add(`${a.address}/32`);
    else if (style === 'class') {
      const first = Number(a.address.split('.')[0]);
      const prefix = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
      add(`${networkOf(a.address, prefix)}/${prefix}`);
    } else {
      const prefix = prefixFromNetmask(a.netmask);
      add(`${networkOf(a.address, prefix)}/${prefix}`);
    }
  }
  for (const a of selected.filter((x) => x.family === 'IPv6' && v6)) {
    if (style === 'host') add(`[${networkOf(a.address, 128)}]/128`);
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
