// The keys an access(5) table is searched with, in Postfix's order. Each key says whether it
// is "partial" (derived from the original string): partial keys skip pattern tables (regexp,
// pcre, cidr), which only ever see the full string, as maps_find(..., DICT_FLAG_FIXED) does.
//
// Domains (check_helo_access, client host names): the name, then its parent domains, either
// as "example.com" (smtpd_access_maps in parent_domain_matches_subdomains, the default) or as
// ".example.com". Addresses (check_sender/recipient_access): user+ext@domain, user@domain,
// then the domain and its parents, then user+ext@ and user@. Client IP addresses: the address,
// then shorter forms ("1.2.3.4", "1.2.3", "1.2", "1"; IPv6 cut at each ':').
import { quoteLocalPart } from './address.js';

export interface LookupKey {
  key: string;
  partial: boolean;
}

/** An IPv4 or IPv6 address (no brackets): no subdomain magic for those. */
export function isHostAddress(s: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split('.').every((o) => Number(o) <= 255);
  return s.includes(':') && /^[0-9a-f:.]+$/i.test(s) && (s.match(/::/g) ?? []).length <= 1;
}

/** check_domain_access(): the name, then parent domains (not for numeric addresses). */
export function domainKeys(domain: string, parentStyle: boolean): LookupKey[] {
  const keys: LookupKey[] = [];
  let name = domain;
  let partial = false;
  while (name !== '') {
    keys.push({ key: name, partial });
    if (keys.length === 1 && isHostAddress(domain)) break;
    const dot = name.indexOf('.', 1);
    if (dot < 0) break;
    name = parentStyle ? name.slice(dot + 1) : name.slice(dot);
    partial = true;
  }
  return keys;
}

/** check_addr_access(): the address, then the address cut at each delimiter from the right. */
export function hostAddressKeys(address: string): LookupKey[] {
  const delim = address.includes(':') ? ':' : '.';
  const keys: LookupKey[] = [{ key: address, partial: false }];
  for (let a = address, i = a.lastIndexOf(delim); i >= 0; i = a.lastIndexOf(delim)) {
    a = a.slice(0, i);
    keys.push({ key: a, partial: true });
  }
  return keys;
}

/**
 * mail_addr_find() with the access-map strategy (full, no-extension, domain with parents,
 * localpart@). `address` is the resolved internal form ("user@domain"). Each key is tried in
 * its quoted (external) form first, then unquoted when that differs.
 */
export function mailAddressKeys(address: string, delimiters: string, parentStyle: boolean): LookupKey[] {
  const keys: LookupKey[] = [];
  const add = (key: string, partial: boolean): void => {
    const quoted = quoteLocalPart(key);
    keys.push({ key: quoted, partial });
    if (quoted !== key) keys.push({ key, partial });
  };
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const domain = at < 0 ? undefined : address.slice(at + 1);
  const ext = extensionStart(local, delimiters);
  const bare = ext > 0 ? local.slice(0, ext) : undefined;
  const withDomain = (l: string): string => (domain === undefined ? l : `${l}@${domain}`);
  add(address, false);
  if (bare !== undefined) add(withDomain(bare), true);
  if (domain !== undefined) {
    let name = domain;
    while (name !== '') {
      keys.push({ key: name, partial: true });
      const dot = name.indexOf('.', 1);
      if (dot < 0) break;
      name = parentStyle ? name.slice(dot + 1) : name.slice(dot);
    }
    add(`${local}@`, true);
    if (bare !== undefined) add(`${bare}@`, true);
  }
  return keys;
}

/** split_addr(): where the address extension starts, or -1 (postmaster etc. are never split). */
function extensionStart(local: string, delimiters: string): number {
  if (delimiters === '') return -1;
  const lower = local.toLowerCase();
  if (lower === 'postmaster' || lower === 'mailer-daemon' || lower === 'double-bounce') return -1;
  if (
    delimiters.includes('-') &&
    (lower.startsWith('owner-') || (lower.length > 8 && lower.endsWith('-request')))
  )
    return -1;
  for (let i = 0; i < local.length; i++) if (delimiters.includes(local[i]!)) return i === 0 ? -1 : i;
  return -1;
}
