// regexp: lookup tables (Postfix regexp_table(5)): POSIX regular expressions, first match wins.
// Rule syntax and every warning follow Postfix 3.7's dict_regexp.c; a bad rule is skipped with
// a warning naming the map and line, as Postfix does. See docs/pattern-tables.md.
import type { LookupTable } from './types.js';
import {
  fromBytes,
  isAlnum,
  makeWarn,
  readPatternSource,
  toBytes,
  type PatternOpenOptions,
} from './pattern-source.js';
import { expandReplacement, parseReplacement, type ParsedReplacement } from './pattern-replacement.js';
import { addIfOrEndif, RuleList } from './pattern-rules.js';
import { scanDelimitedPattern, skipSpaces, type DelimitedPattern } from './pattern-syntax.js';
import { PosixRegexError, translatePosix, type PosixFlags } from './posix-regex.js';
import { PosixMatcher } from './regexp-match.js';
import { enableLinearRegexFallback, RegexTimeoutError } from './regex-safety.js';

interface CompiledPattern {
  matcher: PosixMatcher;
  positive: boolean;
  /** "regexp map NAME, line N", for warnings at lookup time. */
  where: string;
  /** Capturing groups in the pattern (re_nsub). */
  groups: number;
}

interface MatchRule {
  first: CompiledPattern;
  second: CompiledPattern | undefined;
  replacement: ParsedReplacement;
}

type Warn = (byteText: string) => void;

interface PatternWithFlags extends DelimitedPattern {
  flags: PosixFlags;
}

/** dict_regexp_get_pat(): pattern, then toggling flags up to whitespace or "!". */
function getPattern(text: string, from: number, where: string, warn: Warn): PatternWithFlags | undefined {
  const scanned = scanDelimitedPattern(text, from, true);
  if ('problem' in scanned) {
    if (scanned.problem === 'no regexp') warn(`${where}: no regexp: skipping this rule`);
    else warn(`${where}: no closing regexp delimiter "${scanned.delimiter}": skipping this rule`);
    return undefined;
  }
  const flags: PosixFlags = { extended: true, icase: true, newline: false };
  let p = scanned.end;
  for (; p < text.length && !/[ \t\n\r\v\f!]/.test(text[p]!); p++) {
    const ch = text[p]!;
    if (ch === 'i') flags.icase = !flags.icase;
    else if (ch === 'm') flags.newline = !flags.newline;
    else if (ch === 'x') flags.extended = !flags.extended;
    else {
      warn(`${where}: unknown regexp option "${ch}": skipping this rule`);
      return undefined;
    }
  }
  return { ...scanned, end: p, flags };
}

function compile(pattern: PatternWithFlags, where: string, warn: Warn): CompiledPattern | undefined {
  try {
    const translated = translatePosix(pattern.body, pattern.flags);
    return {
      matcher: new PosixMatcher(translated),
      positive: pattern.positive,
      groups: translated.groups,
      where,
    };
  } catch (e) {
    if (!(e instanceof PosixRegexError)) throw e;
    warn(`${where}: ${e.message}`);
    return undefined;
  }
}

/** Parse one logical line into the rule list (or warn and skip it). */
function parseLine(
  rules: RuleList<MatchRule, CompiledPattern>,
  text: string,
  lineno: number,
  where: string,
  options: PatternOpenOptions,
  warn: Warn,
): void {
  if (!isAlnum(text[0])) {
    const first = getPattern(text, 0, where, warn);
    if (!first) return;
    let p = first.end;
    let second: PatternWithFlags | undefined;
    if (text[p] === '!') {
      // The old "/pattern1/!/pattern2/" form: both must hold.
      second = getPattern(text, p, where, warn);
      if (!second) return;
      p = second.end;
    }
    p = skipSpaces(text, p);
    const result = text.slice(p);
    if (result.length === 0) warn(`${where}: no replacement text: using empty string`);
    const replacement = parseReplacement(result, where, 'out-of-range', warn);
    if (!replacement) {
      warn(`${where}: bad replacement syntax: skipping this rule`);
      return;
    }
    if (replacement.maxGroup > 0 && !first.positive) {
      warn(`${where}: $number found in negative match replacement text: skipping this rule`);
      return;
    }
    if (replacement.maxGroup > 0 && options.noRegexpSubstitution) {
      warn(`${where}: regular expression substitution is not allowed: skipping this rule`);
      return;
    }
    const firstCompiled = compile(first, where, warn);
    if (!firstCompiled) return;
    if (replacement.maxGroup > firstCompiled.groups) {
      warn(`${where}: out of range replacement index "${replacement.maxGroup}": skipping this rule`);
      return;
    }
    const secondCompiled = second ? compile(second, where, warn) : undefined;
    if (second && !secondCompiled) return;
    rules.add({ kind: 'match', lineno, rule: { first: firstCompiled, second: secondCompiled, replacement } });
    return;
  }
  const parse = (from: number) => getPattern(text, from, where, warn);
  if (addIfOrEndif(text, lineno, where, warn, rules, parse, (p) => compile(p, where, warn))) return;
  warn(`${where}: ignoring unrecognized request`);
}

/**
 * Run a match; a match that exceeds the time limit counts as "no match" for positive and
 * negative rules alike, as a regexec() error does in Postfix.
 */
async function guarded<T>(
  pattern: CompiledPattern,
  warn: Warn,
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof RegexTimeoutError)) throw e;
    warn(`${pattern.where}: ${e.message}: treating as no match`);
    return undefined;
  }
}

async function holds(pattern: CompiledPattern, key: string, warn: Warn): Promise<boolean> {
  const matched = await guarded(pattern, warn, () => pattern.matcher.test(key));
  return matched !== undefined && matched === pattern.positive;
}

export async function open(name: string, options: PatternOpenOptions = {}): Promise<LookupTable> {
  enableLinearRegexFallback();
  const warn = makeWarn(options);
  const source = await readPatternSource('regexp', name, options, warn);
  const rules = new RuleList<MatchRule, CompiledPattern>();
  for (const line of source.lines) {
    parseLine(
      rules,
      line.text,
      line.lineno,
      `regexp map ${source.label}, line ${line.lineno}`,
      options,
      warn,
    );
  }
  for (const lineno of rules.unclosedIfLines()) {
    warn(`regexp map ${source.label}, line ${lineno}: IF has no matching ENDIF`);
  }

  const test = (key: string) => async (rule: MatchRule) => {
    let groups: (string | undefined)[] = [];
    if (rule.replacement.maxGroup > 0) {
      // Only positive rules can substitute (checked at load time).
      const m = await guarded(rule.first, warn, () => rule.first.matcher.exec(key));
      if (!m) return undefined;
      groups = m;
    } else if (!(await holds(rule.first, key, warn))) {
      return undefined;
    }
    if (rule.second && !(await holds(rule.second, key, warn))) return undefined;
    return expandReplacement(rule.replacement, groups);
  };

  return {
    type: 'regexp',
    name,
    fixedKeys: false,
    async lookup(key: string): Promise<string | undefined> {
      const bytes = toBytes(key);
      const result = await rules.search(test(bytes), (condition) => holds(condition, bytes, warn));
      return result === undefined ? undefined : fromBytes(result);
    },
    async close(): Promise<void> {},
  };
}
