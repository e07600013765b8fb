// cidr: lookup tables (Postfix cidr_table(5)): "network/prefix result", "address result",
// "!pattern result", "if pattern" ... "endif"; IPv4 and IPv6; first match wins. Addresses are
// compared in binary, so "2001:0db8:0::1" matches "[2001:db8::]/32". As in Postfix, a key
// matches only rules of its own family: "::ffff:1.2.3.4" is IPv6 and does not match
// "1.2.3.0/24" (Postfix's smtpd strips the ::ffff: prefix before it asks, not the table).
// Rule parsing and warnings follow Postfix 3.7's dict_cidr.c and cidr_match.c.
import type { LookupTable } from './types.js';
import {
  fromBytes,
  isSpace,
  makeWarn,
  readPatternSource,
  trimTrailingBlanks,
  type PatternOpenOptions,
} from './pattern-source.js';
import { RuleList } from './pattern-rules.js';
import { startsWithKeyword, skipSpaces } from './pattern-syntax.js';
import { formatAddress, parseAddress } from './ip-address.js';

interface NetworkPattern {
  ipv6: boolean;
  network: Uint8Array;
  prefix: number;
  positive: boolean;
}

interface MatchRule {
  pattern: NetworkPattern;
  value: string;
}

/** Parse "addr", "addr/len", "[addr]", "[addr]/len", "[addr/len]"; returns the problem text. */
function parseNetwork(text: string, positive: boolean): NetworkPattern | string {
  let pattern = text;
  let maskSearch: string;
  if (pattern.startsWith('[')) {
    pattern = pattern.slice(1);
    const close = pattern.indexOf(']');
    if (close < 0) return `missing ']' character after "[${pattern}"`;
    const after = pattern.slice(close + 1);
    pattern = pattern.slice(0, close);
    if (after.startsWith('/')) {
      maskSearch = after;
    } else {
      if (after !== '') return `garbage after "[${pattern}]"`;
      maskSearch = pattern;
    }
  } else {
    maskSearch = pattern;
  }
  const slash = maskSearch.indexOf('/');
  if (slash < 0) {
    const network = parseAddress(pattern);
    if (!network) return `bad address pattern: "${pattern}"`;
    return { ipv6: network.length === 16, network, prefix: network.length * 8, positive };
  }
  const mask = maskSearch.slice(slash + 1);
  if (maskSearch === pattern) pattern = pattern.slice(0, slash);
  const ipv6 = pattern.includes(':');
  const bits = ipv6 ? 128 : 32;
  let problem: string | undefined;
  const network = parseAddress(pattern);
  if (!/^[0-9]+$/.test(mask)) problem = 'bad mask value';
  else if (Number(mask) > bits) problem = 'bad mask length';
  else if (!network) problem = 'bad network value';
  if (problem || !network) return `${problem} in "${pattern}/${mask}"`;
  const prefix = Number(mask);
  const masked = applyPrefix(network, prefix);
  if (masked.some((byte, i) => byte !== network[i])) {
    return (
      `non-null host address bits in "${pattern}/${mask}", ` +
      `perhaps you should use "${formatAddress(masked)}/${prefix}" instead`
    );
  }
  return { ipv6, network, prefix, positive };
}

function applyPrefix(address: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(address.length);
  for (let i = 0; i < address.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = address[i]! & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return out;
}

/** cidr_match_entry(): a family mismatch never matches, not even a negated pattern. */
function matches(pattern: NetworkPattern, key: Uint8Array): boolean {
  if ((key.length === 16) !== pattern.ipv6) return false;
  const masked = applyPrefix(key, pattern.prefix);
  const inside = masked.every((byte, i) => byte === pattern.network[i]);
  return inside === pattern.positive;
}

/** Strip leading "!"s and whitespace, toggling the sense. */
function negations(text: string, from: number): { positive: boolean; at: number } {
  let positive = true;
  let p = from;
  for (; p < text.length; p++) {
    if (text[p] === '!') positive = !positive;
    else if (!isSpace(text[p])) break;
  }
  return { positive, at: p };
}

function parseLine(
  rules: RuleList<MatchRule, NetworkPattern>,
  text: string,
  lineno: number,
): string | undefined {
  if (startsWithKeyword(text, 'if')) {
    const { positive, at } = negations(text, 2);
    if (at >= text.length) return 'no address pattern';
    const parsed = parseNetwork(trimTrailingBlanks(text.slice(at)), positive);
    if (typeof parsed === 'string') return parsed;
    rules.add({ kind: 'if', lineno, condition: parsed });
    return undefined;
  }
  if (startsWithKeyword(text, 'endif')) {
    if (skipSpaces(text, 5) < text.length) return 'garbage after ENDIF';
    if (rules.nesting === 0) return 'ENDIF without IF';
    rules.add({ kind: 'endif', lineno });
    return undefined;
  }
  const { positive, at } = negations(text, 0);
  let p = at;
  while (p < text.length && !isSpace(text[p])) p++;
  const patternText = text.slice(at, p);
  const value = trimTrailingBlanks(text.slice(skipSpaces(text, p)));
  if (patternText === '') return 'no address pattern';
  const parsed = parseNetwork(patternText, positive);
  if (typeof parsed === 'string') return parsed;
  if (value === '') return 'no lookup result';
  rules.add({ kind: 'match', lineno, rule: { pattern: parsed, value } });
  return undefined;
}

export async function open(name: string, options: PatternOpenOptions = {}): Promise<LookupTable> {
  const warn = makeWarn(options);
  const source = await readPatternSource('cidr', name, options, warn);
  const rules = new RuleList<MatchRule, NetworkPattern>();
  for (const line of source.lines) {
    const problem = parseLine(rules, line.text, line.lineno);
    if (problem) warn(`cidr map ${source.label}, line ${line.lineno}: ${problem}: skipping this rule`);
  }
  for (const lineno of rules.unclosedIfLines()) {
    warn(`cidr map ${source.label}, line ${lineno}: IF has no matching ENDIF`);
  }

  return {
    type: 'cidr',
    name,
    fixedKeys: false,
    async lookup(key: string): Promise<string | undefined> {
      const address = parseAddress(key);
      if (!address) return undefined;
      const value = await rules.search(
        (rule) => (matches(rule.pattern, address) ? rule.value : undefined),
        (condition) => matches(condition, address),
      );
      return value === undefined ? undefined : fromBytes(value);
    },
    async close(): Promise<void> {},
  };
}
