// ReDoS protection for pattern tables. V8's RegExp engine backtracks, so a pattern such as
// /^(a+)+$/ can take exponential time on a crafted key (an address or a hostname an attacker
// chooses). V8 also has a linear-time engine; this flag makes V8 switch a regex to it once a
// match has backtracked too often (--regexp-backtracks-before-fallback, default 50000).
// The linear engine cannot run back-references or lookaround; patterns using them keep the
// backtracking engine, which docs/pattern-tables.md lists as the remaining risk.
// The flag is process-wide and only changes how long a match takes, never its result.
import { setFlagsFromString } from 'node:v8';

let enabled = false;

export function enableLinearRegexFallback(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  enabled = true;
}

/**
 * Longest key a pattern table examines when it searches for the POSIX leftmost-longest match
 * (regexp: with $n substitution): the search runs one anchored match per candidate end, so it
 * is bounded to keep a lookup's cost linear in practice. Longer keys use the first match.
 */
export const LONGEST_MATCH_SEARCH_LIMIT = 4096;
