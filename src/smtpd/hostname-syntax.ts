// Host name and address syntax as Postfix's valid_hostname() / valid_hostaddr() judge it,
// for reject_invalid_helo_hostname, reject_non_fqdn_* and friends.
import { isIPv4, isIPv6 } from 'node:net';

const LABEL_MAX = 63;
const NAME_MAX = 255;

/** Letters, digits, '_' and inner '-' in dot-separated labels; not all-numeric. */
export function validHostname(name: string): boolean {
  if (name === '' || name.length > NAME_MAX) return false;
  let numeric = true;
  for (const label of name.split('.')) {
    if (label === '' || label.length > LABEL_MAX) return false;
    if (!/^[A-Za-z0-9_-]+$/.test(label) || label.startsWith('-') || label.endsWith('-')) return false;
    if (!/^\d+$/.test(label)) numeric = false;
  }
  return !numeric;
}

/** An IPv4 address, or an IPv6 address with or without the "IPv6:" prefix of RFC 5321. */
export function validHostAddress(addr: string): boolean {
  if (isIPv4(addr)) return true;
  const v6 = addr.replace(/^ipv6:/i, '');
  return v6 !== addr && isIPv6(v6) ? true : isIPv6(addr);
}

/** valid_utf8_hostname(): non-ASCII names count only when the client asked for SMTPUTF8. */
export function validUtf8Hostname(smtputf8: boolean, name: string): boolean {
  if (/^[\x00-\x7f]*$/.test(name)) return validHostname(name);
  if (!smtputf8) return false;
  return validHostname(name.replace(/[^\x00-\x7f]/g, 'x'));
}

/** "host." -> "host" (but not "host.."), as Postfix's dup_if_truncate(). */
export function withoutTrailingDot(name: string): string {
  return name.length > 1 && name.endsWith('.') && !name.endsWith('..') ? name.slice(0, -1) : name;
}
