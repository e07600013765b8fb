// Rule-line syntax shared by regexp: and pcre: tables: "!" negation, a delimited pattern
// ("/re/", "#re#", any non-alphanumeric delimiter), and "if" / "endif" keywords.
// Postfix's dict_regexp_get_pat() / dict_pcre_get_pattern() in TypeScript; byte strings.
import { isAlnum, isSpace } from './pattern-source.js';

export interface DelimitedPattern {
  /** The text between the delimiters; backslashes are kept (the regex compiler sees them). */
  body: string;
  /** False for "!/re/": the rule applies when the pattern does NOT match. */
  positive: boolean;
  /** Position just after the closing delimiter. */
  end: number;
}

export type ScanResult =
  | DelimitedPattern
  | { problem: 'no regexp' }
  | { problem: 'no closing'; delimiter: string };

/**
 * Scan "[!...] <delim> body <delim>" starting at `from`. With `backslashAtEndCloses` (regexp:),
 * a backslash that ends the line acts as the closing delimiter, a quirk of dict_regexp.c;
 * pcre: reports the missing delimiter instead.
 */
export function scanDelimitedPattern(text: string, from: number, backslashAtEndCloses: boolean): ScanResult {
  let p = from;
  let positive = true;
  for (; p < text.length; p++) {
    if (text[p] === '!') positive = !positive;
    else if (!isSpace(text[p])) break;
  }
  if (p >= text.length) return { problem: 'no regexp' };
  const delimiter = text[p++]!;
  const start = p;
  while (p < text.length) {
    if (text[p] === '\\') {
      if (p + 1 < text.length) p++;
      else if (backslashAtEndCloses) return { body: text.slice(start, p), positive, end: p + 1 };
      else break;
    } else if (text[p] === delimiter) {
      break;
    }
    p++;
  }
  if (p >= text.length) return { problem: 'no closing', delimiter };
  return { body: text.slice(start, p), positive, end: p + 1 };
}

/** Does the rule start with the keyword (case-insensitive, not followed by a letter/digit)? */
export function startsWithKeyword(text: string, keyword: string): boolean {
  return text.slice(0, keyword.length).toLowerCase() === keyword && !isAlnum(text[keyword.length]);
}

export function skipSpaces(text: string, p: number): number {
  while (p < text.length && isSpace(text[p])) p++;
  return p;
}
