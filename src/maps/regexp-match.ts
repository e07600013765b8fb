// Runs a translated POSIX regex with POSIX's leftmost-longest rule for the overall match.
//
// JS regexes are leftmost-first: /(a|ab)/ on "ab" matches "a", glibc matches "ab". Whether a
// rule matches at all is the same under both rules (same language, same leftmost start), so
// rules without $n substitution just test. Rules that substitute need the exact span: the
// first JS match gives the leftmost start s and a lower bound for the end; then candidate ends
// are tried from the end of the key downwards with an anchored match, and the first that
// matches is the POSIX span. Within that span the groups are assigned by JS's priority order,
// which can still differ from POSIX's subexpression rule in rare patterns (see
// docs/pattern-tables.md).
import { LONGEST_MATCH_SEARCH_LIMIT, SafeRegExp, type SafeMatch } from './regex-safety.js';
import type { TranslatedRegex } from './posix-regex.js';

export class PosixMatcher {
  private readonly search: SafeRegExp;
  private anchoredAtEnd: SafeRegExp | undefined;
  private readonly endingAt = new Map<number, SafeRegExp>();

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
      if (m) return m.groups;
    }
    return first.groups;
  }

  private matchEndingAt(key: string, start: number, end: number): Promise<SafeMatch | null> {
    if (!this.translated.endSensitive) {
      // Nothing in the pattern looks past the match end, so cutting the key there is exact.
      this.anchoredAtEnd ??= new SafeRegExp(
        new RegExp(`(?:${this.translated.source})$`, `y${this.translated.flags}`),
      );
      return this.anchoredAtEnd.exec(key.slice(0, end), start);
    }
    const tail = key.length - end;
    let re = this.endingAt.get(tail);
    if (!re) {
      if (this.endingAt.size >= 64) this.endingAt.clear();
      const source = `(?:${this.translated.source})(?=[\\s\\S]{${tail}}$)`;
      re = new SafeRegExp(new RegExp(source, `y${this.translated.flags}`));
      this.endingAt.set(tail, re);
    }
    return re.exec(key, start);
  }
}
