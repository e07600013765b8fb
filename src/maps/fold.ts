// Case folding of lookup keys, as Postfix's casefold(): with smtputf8_enable=yes full Unicode
// case folding (ICU, en_US: "Straße" -> "strasse", "ΣΑΣ" -> "σασ"), otherwise ASCII only.
// JavaScript has no fold-case API; upper-casing then lower-casing one code point at a time gives
// ICU's full folding for the letters that matter in mail (ß, ς, İ, ligatures, Kelvin sign) and
// avoids toLowerCase()'s context rule that would turn a final Σ into ς.
import { isAscii } from './bytes.js';

const ASCII_UPPER = /[A-Z]/;

function foldAsciiOnly(s: string): string {
  if (!ASCII_UPPER.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

/** Folds a JavaScript (UTF-16) string. */
export function foldText(s: string, utf8: boolean): string {
  if (isAscii(s)) return s.toLowerCase();
  if (!utf8) return foldAsciiOnly(s);
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    out += cp < 0x80 ? ch.toLowerCase() : ch.toUpperCase().toLowerCase();
  }
  return out;
}

/**
 * Folds a byte string (see bytes.ts). Non-ASCII input must already be valid UTF-8 when `utf8`
 * is set (the source parser and lookups check that first, like Postfix's dict_utf8 layer).
 */
export function foldBytes(b: string, utf8: boolean): string {
  if (isAscii(b)) return b.toLowerCase();
  if (!utf8) return foldAsciiOnly(b);
  const folded = foldText(Buffer.from(b, 'latin1').toString('utf8'), true);
  return Buffer.from(folded, 'utf8').toString('latin1');
}
