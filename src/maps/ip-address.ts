// Text <-> binary IP addresses with exactly the rules of glibc's inet_pton()/inet_ntop(), which
// Postfix's cidr: tables use: IPv4 is four decimal octets without leading zeros ("01" is
// invalid, not octal); IPv6 is up to eight hex groups with one "::" and an optional dotted IPv4
// tail. No zone IDs, no brackets. Written here (not ipaddr.js) because these exact rules decide
// which table lines Postfix skips, and the warning texts need glibc's inet_ntop() output.

/** Parse dotted-quad IPv4 as inet_pton(AF_INET) does; undefined when invalid. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

/** Parse IPv6 as inet_pton(AF_INET6) does; undefined when invalid. */
export function parseIPv6(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let rest = text;
  // A leading ":" must be part of "::".
  if (rest.startsWith(':') && !rest.startsWith('::')) return undefined;
  const double = rest.indexOf('::');
  if (double >= 0 && rest.indexOf('::', double + 1) >= 0) return undefined;
  const parseGroups = (s: string, allowV4Tail: boolean): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      words.push(Number.parseInt(g, 16));
    }
    return words;
  };
  let words: number[];
  if (double >= 0) {
    const head = parseGroups(rest.slice(0, double), false);
    rest = rest.slice(double + 2);
    const tail = parseGroups(rest, true);
    if (!head || !tail) return undefined;
    // "::" stands for at least one zero group.
    if (head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(rest, true);
    if (!all || all.length !== 8) return undefined;
    words = all;
  }
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Postfix's CIDR_MATCH_ADDR_FAMILY(): a colon means IPv6. */
export function parseAddress(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

/** Format as glibc's inet_ntop() does (for warnings). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // Longest run of zero words (first one on a tie), only when at least two long.
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    // An IPv4-compatible or IPv4-mapped address ends in dotted-quad form.
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += Array.from(bytes.subarray(12)).join('.');
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}
