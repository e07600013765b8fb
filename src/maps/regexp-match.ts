// Runs a translated POSIX regex with POSIX's leftmost-longest rule for the overall match.
//
// JS regexes are leftmost-first: /(a|ab)/ on "ab" matches "a", glibc matches "ab". Whether a
// rule matches at all is the same under both rules (same language, same leftmost start), so
// rules without $n substitution just test. Rules that substitute need the exact span: the
// first JS match gives the leftmost start s and a lower bound for the end; then candidate ends
// are tried from the end of the key downwards with an anchored match, and the first that
// matches is the POSIX span. Within that span the groups are assigned by JS's priority order
// (see docs/pattern-tables.md for where that differs).
//
// "The match ends at e" is tested without a lookahead (which would keep V8's linear-time engine
// away): the key is cut after e + 1 and the regex must be followed by exactly one character.
// Nothing in a translated POSIX pattern looks further ahead than one character ($, \b, \<, \>,
// and the "m" flag anchors all look at one), so the cut is exact.
import { LONGEST_MATCH_SEARCH_LIMIT, SafeRegExp } from './regex-safety.js';
import type { TranslatedRegex } from './posix-regex.js';

export class PosixMatcher {
  private readonly search: SafeRegExp;
  private endingAtEnd: SafeRegExp | undefined;
  private endingBeforeOneMore: SafeRegExp | undefined;

  constructor(private readonly translated: TranslatedRegex) {
    this.search = new SafeRegExp(new RegExp(translated.source, translated.flags));
  }

  /** Throws RegexTimeoutError when the match runs too long (see regex-safety.ts). */
  async test(key: string): Promise<boolean> {
    return (await this.search.exec(key)) !== null;
  }

  /** Groups of the leftmost-longest match (index 0 = whole match), or undefined. */
  async exec(key: string): Promise<(string | undefined)[] | undefined> {
    const first = await this.search.exec(key);
    if (!first) return undefined;
    const start = first.index;
    const firstEnd = start + first.groups[0]!.length;
    if (firstEnd === key.length || key.length - firstEnd > LONGEST_MATCH_SEARCH_LIMIT) return first.groups;
    for (let end = key.length; end > firstEnd; end--) {
      const m = await this.matchEndingAt(key, start, end);
      if (m) return m.groups.slice(0, this.translated.groups + 1);
    }
    return first.groups;
  }

  private matchEndingAt(key: string, start: number, end: number) {
    const { source, flags } = this.translated;
    if (end === key.length) {
      this.endingAtEnd ??= new SafeRegExp(new RegExp(`(?:${source})$`, `y${flags}`));
      return this.endingAtEnd.exec(key, start);
    }
    // Followed by exactly one character: the real key[end], so one-character look-ahead works.
    this.endingBeforeOneMore ??= new SafeRegExp(new RegExp(`(?:${source})[\\s\\S]$`, `y${flags}`));
    return this.endingBeforeOneMore.exec(key.slice(0, end + 1), start);
  }
}
