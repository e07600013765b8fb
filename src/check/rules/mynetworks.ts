// Open relay risk from mynetworks: every client in $mynetworks may relay
// (permit_mynetworks in smtpd_relay_restrictions), so 0.0.0.0/0 or ::/0 makes an open relay.
import { isIPv4, isIPv6 } from 'node:net';
import { ipv4ToNumber, ipv6ToGroups } from '../../config/ip-format.js';
import type { CheckContext, Finding } from '../types.js';

/** IPv4 ranges that are not the public Internet (RFC 1918, loopback, CGNAT, link-local). */
const PRIVATE_V4: [string, number][] = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
];

/** A network this wide or wider that is public deserves a warning (65,536 IPv4 hosts). */
const WIDE_V4_PREFIX = 16;
/** IPv6: a /32 is a whole ISP allocation; a site gets /48 or /56. */
const WIDE_V6_PREFIX = 32;

function insideV4(addr: string, prefix: number, net: string, netPrefix: number): boolean {
  if (prefix < netPrefix) return false;
  const size = 2 ** (32 - netPrefix);
  return Math.floor(ipv4ToNumber(addr) / size) === Math.floor(ipv4ToNumber(net) / size);
}

function privateV6(addr: string): boolean {
  const first = ipv6ToGroups(addr)[0] ?? 0;
  // fc00::/7 unique local, fe80::/10 link-local.
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** Parses "a.b.c.d/n", "a.b.c.d", "[v6]/n", "v6/n"; undefined for tables, files, host names. */
function parseNetwork(word: string): { addr: string; prefix: number; v6: boolean } | undefined {
  const m = /^\[?([0-9a-fA-F:.]+)\]?(?:\/(\d+))?$/.exec(word);
  if (m === null) return undefined;
  const addr = m[1] as string;
  if (isIPv4(addr)) return { addr, prefix: m[2] === undefined ? 32 : Number(m[2]), v6: false };
  if (isIPv6(addr)) return { addr, prefix: m[2] === undefined ? 128 : Number(m[2]), v6: true };
  return undefined;
}

export function checkMynetworks(ctx: CheckContext): Finding[] {
  const { config } = ctx;
  const findings: Finding[] = [];
  if (config.isSet('mynetworks')) {
    for (const word of config.list('mynetworks')) {
      const net = parseNetwork(word);
      if (net === undefined) continue;
      if (net.prefix === 0) {
        findings.push({
          rule: 'mynetworks-open-relay',
          severity: 'error',
          ...ctx.at('mynetworks'),
          message:
            `mynetworks contains ${word}: every client on the Internet may relay mail through this host ` +
            `(an open relay). Remove ${word} and list only your own networks, e.g. ` +
            `"mynetworks = 127.0.0.0/8 [::1]/128 192.168.1.0/24"`,
        });
        continue;
      }
      const wide = net.v6
        ? net.prefix <= WIDE_V6_PREFIX && !privateV6(net.addr)
        : net.prefix <= WIDE_V4_PREFIX && !PRIVATE_V4.some(([n, p]) => insideV4(net.addr, net.prefix, n, p));
      if (wide) {
        findings.push({
          rule: 'mynetworks-wide',
          severity: 'warning',
          ...ctx.at('mynetworks'),
          message:
            `mynetworks contains the public network ${word}: every host in it may relay mail through ` +
            `this host. Narrow it to the addresses of your own clients (e.g. your LAN's /24)`,
        });
      }
    }
  } else if (config.get('mynetworks_style') === 'class') {
    findings.push({
      rule: 'mynetworks-style-class',
      severity: 'warning',
      ...ctx.at('mynetworks_style'),
      message:
        'mynetworks_style = class trusts the whole class A/B/C network of each interface, which ' +
        'with a public address includes strangers. Set "mynetworks_style = host" (or subnet), or ' +
        'list your networks in mynetworks',
    });
  }
  return findings;
}
