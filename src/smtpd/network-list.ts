// Client address lists as Postfix's mynetworks syntax: "192.168.1.0/28", "10.1.2.3",
// "[::1]/128", "[fe80::]/64", "!pattern" (first match left to right decides; a negated match
// means "not in the list"). Network bits beyond the prefix must be zero (Postfix refuses
// "10.1.2.3/8" with a fatal error); we throw a SmtpdConfigError naming the pattern.
// Hostname patterns, /file/name and type:table entries are not supported here.
import { isIPv6 } from 'node:net';
import { SmtpdConfigError } from './settings.js';

interface NetworkPattern {
  negate: boolean;
  /** Address bytes (4 or 16). */
  bytes: Uint8Array;
  prefix: number;
}

export class NetworkList {
  private readonly patterns: NetworkPattern[];

  constructor(
    entries: string[],
    private readonly parameter = 'mynetworks',
  ) {
    this.patterns = entries.map((e) => this.parse(e));
  }

  private parse(entry: string): NetworkPattern {
    let text = entry;
    let negate = false;
    while (text.startsWith('!')) {
      negate = !negate;
      text = text.slice(1);
    }
    const slash = text.lastIndexOf('/');
    let addr = slash >= 0 ? text.slice(0, slash) : text;
    const prefixText = slash >= 0 ? text.slice(slash + 1) : undefined;
    if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1);
    const bytes = addressBytes(addr);
    if (!bytes) {
      throw new SmtpdConfigError(
        `${this.parameter}: unsupported pattern "${entry}" (use an address or address/prefix; IPv6 in [brackets])`,
      );
    }
    const max = bytes.length * 8;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!/^\d+$/.test(prefixText ?? '0') || prefix > max) {
      throw new SmtpdConfigError(`${this.parameter}: bad network prefix in "${entry}"`);
    }
    for (let bit = prefix; bit < max; bit++) {
      if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) {
        throw new SmtpdConfigError(
          `${this.parameter}: non-null host address bits in "${entry}", perhaps you should use "${formatNetwork(bytes, prefix)}" instead`,
        );
      }
    }
    return { negate, bytes, prefix };
  }

  /** True when the client address matches (and the first matching pattern is not negated). */
  matches(address: string): boolean {
    if (this.patterns.length === 0) return false;
    let bytes = addressBytes(address);
    if (!bytes) return false;
    // An IPv4-mapped IPv6 client (::ffff:1.2.3.4) is matched as IPv4, like Postfix does.
    if (bytes.length === 16 && isV4Mapped(bytes)) bytes = bytes.subarray(12);
    for (const p of this.patterns) {
      if (p.bytes.length !== bytes.length) continue;
      if (prefixEqual(p.bytes, bytes, p.prefix)) return !p.negate;
    }
    return false;
  }
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function prefixEqual(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  const full = prefix >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full]! & mask) === (b[full]! & mask);
}

/** IPv4 or IPv6 text to bytes; undefined when it is not an address. */
export function addressBytes(text: string): Uint8Array | undefined {
  // Every session's client address is matched against mynetworks and friends: a dotted quad
  // is parsed by a plain scan, without splitting the text.
  const v4 = ipv4Bytes(text);
  if (v4) return v4;
  if (!isIPv6(text)) return undefined;
  let head = text;
  let v4tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4tail = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.split('::') as [string, string | undefined];
  const l = left ? left.split(':') : [];
  const r = right !== undefined && right !== '' ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (v4tail.length === 4) out.set(v4tail, 12);
  return out;
}

/** A dotted quad exactly as net.isIPv4 accepts it (0-255, no leading zeros); else undefined. */
function ipv4Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e; // a final "." ends the last part
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined;
      value = value * 10 + (c - 0x30);
      if (value > 255) return undefined;
      digits++;
    } else if (c === 0x2e && digits > 0 && part < 4) {
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

function formatNetwork(bytes: Uint8Array, prefix: number): string {
  const masked = Uint8Array.from(bytes);
  for (let bit = prefix; bit < bytes.length * 8; bit++) masked[bit >> 3]! &= ~(0x80 >> (bit & 7));
  if (masked.length === 4) return `${masked.join('.')}/${prefix}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((masked[i]! << 8) | masked[i + 1]!).toString(16));
  return `[${groups.join(':')}]/${prefix}`;
}
