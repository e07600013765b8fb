// Small IP helpers for host-derived defaults (mynetworks): network masking and
// the text forms Postfix prints (inet_ntop(), IPv6 in brackets).
import { isIPv4, isIPv6 } from 'node:net';

export function ipv4ToNumber(addr: string): number {
  return addr.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses IPv6 text (with optional embedded IPv4 tail) into eight 16-bit groups. */
export function ipv6ToGroups(addr: string): number[] {
  let text = addr;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const n = ipv4ToNumber(v4[1] as string);
    tail.push(Math.floor(n / 65536), n % 65536);
    text = text.slice(0, -(v4[1] as string).length) + (text.endsWith(':' + v4[1]) ? '0' : '');
    text = text.replace(/:0$/, '');
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parse(head);
  if (rest === undefined) return [...h, ...tail].slice(0, 8);
  const r = [...parse(rest), ...tail];
  return [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
}

/** inet_ntop()-style text: the longest run (>= 2) of zero groups becomes "::". */
export function groupsToIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function prefixFromNetmask(mask: string): number {
  if (isIPv4(mask)) {
    return ipv4ToNumber(mask).toString(2).replace(/0+$/, '').length;
  }
  return ipv6ToGroups(mask).reduce((acc, g) => acc + g.toString(2).replace(/0+$/, '').length, 0);
}

/** Network address of `addr`/`prefix` in text form. */
export function networkOf(addr: string, prefix: number): string {
  if (isIPv4(addr)) {
    const n = ipv4ToNumber(addr);
    // Bitwise ops are 32-bit signed in JS; mask arithmetically instead.
    return numberToIpv4(n - (n % 2 ** (32 - prefix)));
  }
  if (!isIPv6(addr)) return addr;
  const groups = ipv6ToGroups(addr).map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 16 ? g : bits === 0 ? 0 : g & (0xffff << (16 - bits)) & 0xffff;
  });
  return groupsToIpv6(groups);
}
