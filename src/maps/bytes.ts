// Keys and values of compiled tables are handled as "byte strings": JavaScript strings whose
// every char code is one byte (0..255) of the UTF-8 encoding. Comparing two byte strings with
// `<` is then exactly memcmp order (what LMDB sorts by), hashing walks the bytes that are on disk,
// and Buffer's latin1 codec converts both ways without a UTF-8 encoder on the hot path.
import { isUtf8 } from 'node:buffer';

const NON_ASCII = /[^\x00-\x7f]/;

/** True when every char code of `s` is below 0x80. */
export function isAscii(s: string): boolean {
  return !NON_ASCII.test(s);
}

/** A JavaScript string as the byte string of its UTF-8 encoding. */
export function toByteString(s: string): string {
  return isAscii(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** A byte string decoded as UTF-8 (invalid sequences become U+FFFD). */
export function fromByteString(b: string): string {
  return isAscii(b) ? b : Buffer.from(b, 'latin1').toString('utf8');
}

/** True when a byte string holds well-formed UTF-8 (RFC 3629: no surrogates, no overlongs). */
export function isUtf8ByteString(b: string): boolean {
  return isAscii(b) || isUtf8(Buffer.from(b, 'latin1'));
}

/** Removes one trailing NUL (Postfix writes C strings with their terminator into some tables). */
export function stripNul(b: string): string {
  return b.length > 0 && b.charCodeAt(b.length - 1) === 0 ? b.slice(0, -1) : b;
}
