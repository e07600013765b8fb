// Postfix's mail_addr_find() key order over a list of tables, for canonical, virtual, generic,
// relocated, sender_dependent_relayhost_maps, smtp_sasl_password_maps (spec: addresses.md,
// "Lookup key order"). For "user+ext@domain" with recipient_delimiter "+":
//   1. user+ext@domain   (every table, pattern tables too)
//   2. user@domain       (only when a delimiter is configured and present)
//   3. user+ext, user    (only when the domain is local: $myorigin, $mydestination,
//                         $inet_interfaces, $proxy_interfaces; decided by the caller's callback)
//   4. @domain
// Each key is tried against every table before the next key; keys 2-4 are "partial" and skip
// pattern tables (regexp, pcre, cidr), as maps_find(..., DICT_FLAG_FIXED) does.
// Keys are given to the tables as is (tables fold case themselves); the address should be in the
// external (quoted) form the table was written in, e.g. "joe smith"@example.com with quotes.
import { TableList } from './registry.js';
import type { LookupTable } from './types.js';

export interface AddressLookupOptions {
  /** recipient_delimiter: a set of characters, any of which starts the extension. '' = none. */
  recipientDelimiter?: string;
  /**
   * Whether the domain counts as local for the localpart-only keys (Postfix: equal to
   * $myorigin, or resolve_local(): $mydestination and the interface addresses). Default: never.
   */
  isLocalDomain?: (domain: string) => boolean | Promise<boolean>;
  /** double_bounce_sender (never split). Default "double-bounce". */
  doubleBounceSender?: string;
  /** owner_request_special (default true): "owner-x" and "x-request" are not split on "-". */
  ownerRequestSpecial?: boolean;
}

export interface AddressLookupResult {
  value: string;
  /** The key that matched. */
  key: string;
  /**
   * The extension (with its delimiter, e.g. "+ext") when the match used a key without it; for
   * propagate_unmatched_extensions.
   */
  extension?: string;
}

/** split_addr(): the extension start in a localpart, or -1 when it must not be split. */
export function extensionStart(localpart: string, options: AddressLookupOptions): number {
  const delims = options.recipientDelimiter ?? '';
  if (delims === '') return -1;
  const lower = localpart.toLowerCase();
  if (lower === 'postmaster' || lower === 'mailer-daemon') return -1;
  if (lower === (options.doubleBounceSender ?? 'double-bounce').toLowerCase()) return -1;
  if (delims.includes('-') && (options.ownerRequestSpecial ?? true)) {
    if (lower.startsWith('owner-')) return -1;
    if (lower.length > 8 && lower.endsWith('-request')) return -1;
  }
  for (let i = 0; i < localpart.length; i++) {
    if (delims.includes(localpart[i]!)) return i === 0 ? -1 : i;
  }
  return -1;
}

async function find(
  tables: readonly LookupTable[],
  key: string,
  partial: boolean,
): Promise<string | undefined> {
  if (key === '') return undefined;
  for (const t of tables) {
    if (partial && !t.fixedKeys) continue;
    const v = await t.lookup(key);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * Looks an address up in the Postfix order. Undefined = not found; a TableError from any table
 * propagates (the caller must defer, never treat it as not found).
 */
export async function findAddress(
  tables: TableList | readonly LookupTable[],
  address: string,
  options: AddressLookupOptions = {},
): Promise<AddressLookupResult | undefined> {
  const list = tables instanceof TableList ? tables.tables : tables;
  const at = address.lastIndexOf('@');
  const localpart = at < 0 ? address : address.slice(0, at);
  const domainPart = at < 0 ? '' : address.slice(at); // "@domain"
  const ext = extensionStart(localpart, options);
  const bareLocal = ext < 0 ? undefined : localpart.slice(0, ext);
  const extension = ext < 0 ? undefined : localpart.slice(ext);

  const hit = (value: string | undefined, key: string, withExt?: string): AddressLookupResult | undefined =>
    value === undefined
      ? undefined
      : { value, key, ...(withExt !== undefined ? { extension: withExt } : {}) };

  // 1. The full address.
  let r = hit(await find(list, address, false), address);
  if (r) return r;
  // 2. Without the extension.
  if (bareLocal !== undefined) {
    const key = bareLocal + domainPart;
    r = hit(await find(list, key, true), key, extension);
    if (r) return r;
  }
  // 3. Localpart alone, only for local domains.
  if (
    at >= 0 &&
    options.isLocalDomain !== undefined &&
    (await options.isLocalDomain(address.slice(at + 1)))
  ) {
    r = hit(await find(list, localpart, true), localpart);
    if (r) return r;
    if (bareLocal !== undefined) {
      r = hit(await find(list, bareLocal, true), bareLocal, extension);
      if (r) return r;
    }
  }
  // 4. @domain.
  if (at >= 0) {
    r = hit(await find(list, domainPart, true), domainPart);
    if (r) return r;
  }
  return undefined;
}
