// pcre: lookup tables (Postfix pcre_table(5)): Perl-compatible regular expressions, first match
// wins. Rule syntax, flags and warnings follow Postfix 3.7's dict_pcre.c built with PCRE2
// (Debian's build). Patterns are translated to JS (pcre-regex.ts); features JS cannot express
// make the rule fail to compile, which skips it with a warning. See docs/pattern-tables.md.
import type { LookupTable } from './types.js';
import {
  fromBytes,
  isAlnum,
  isSpace,
  makeWarn,
  readPatternSource,
  toBytes,
  type PatternOpenOptions,
} from './pattern-source.js';
import { expandReplacement, parseReplacement, type ParsedReplacement } from './pattern-replacement.js';
import { addIfOrEndif, RuleList } from './pattern-rules.js';
import { scanDelimitedPattern, skipSpaces, type DelimitedPattern } from './pattern-syntax.js';
import { PcreSyntaxError, translatePcre, type DollarMode, type PcreOptions } from './pcre-regex.js';
import { enableLinearRegexFallback, RegexTimeoutError, SafeRegExp } from './regex-safety.js';

type Warn = (byteText: string) => void;

interface PatternWithOptions extends DelimitedPattern {
  options: PcreOptions;
  anchored: boolean;
}

/**
 * A compiled pattern. "$" in PCRE also matches before a final newline; keys rarely end in a
 * newline, so the plain translation (where "$" is the JS end anchor, eligible for V8's
 * linear-time engine) serves every other key, and the exact variant is built on first need.
 */
class PcreMatcher {
  private readonly variants = new Map<DollarMode, SafeRegExp>();
  readonly groups: number;
  private readonly jsGroup: number[];

  constructor(private readonly pattern: PatternWithOptions) {
    const translated = translatePcre(pattern.body, pattern.options, 'end-only');
    this.groups = translated.groups;
    this.jsGroup = translated.jsGroup;
    this.variants.set('end-only', this.toRegExp(translated.source, translated.ignoreCase));
  }

  private toRegExp(source: string, ignoreCase: boolean): SafeRegExp {
    // PCRE2_ANCHORED: the match must start at the start of the subject (sticky at 0).
    return new SafeRegExp(new RegExp(source, (this.pattern.anchored ? 'y' : '') + (ignoreCase ? 'i' : '')));
  }

  private compile(mode: DollarMode): SafeRegExp {
    const translated = translatePcre(this.pattern.body, this.pattern.options, mode);
    return this.toRegExp(translated.source, translated.ignoreCase);
  }

  private regexFor(key: string): SafeRegExp {
    const mode: DollarMode = key.endsWith('\n') ? 'before-final-newline' : 'end-only';
    let re = this.variants.get(mode);
    if (!re) {
      re = this.compile(mode);
      this.variants.set(mode, re);
    }
    return re;
  }

  /** Throws RegexTimeoutError when the match runs too long (see regex-safety.ts). */
  async test(key: string): Promise<boolean> {
    return (await this.regexFor(key).exec(key)) !== null;
  }

  /** Groups in PCRE numbering (index 0 = whole match), or undefined. */
  async exec(key: string): Promise<(string | undefined)[] | undefined> {
    const m = await this.regexFor(key).exec(key);
    if (!m) return undefined;
    return this.jsGroup.map((js) => m.groups[js]);
  }
}

interface CompiledPattern {
  matcher: PcreMatcher;
  positive: boolean;
  /** "pcre map NAME, line N", for warnings at lookup time. */
  where: string;
}

interface MatchRule {
  pattern: CompiledPattern;
  replacement: ParsedReplacement;
}

/** dict_pcre_get_pattern(): pattern, then toggling flags up to whitespace. */
function getPattern(text: string, from: number, where: string, warn: Warn): PatternWithOptions | undefined {
  const scanned = scanDelimitedPattern(text, from, false);
  if ('problem' in scanned) {
    if (scanned.problem === 'no regexp') warn(`${where}: no regexp: skipping this rule`);
    else warn(`${where}: no closing regexp delimiter "${scanned.delimiter}": ignoring this rule`);
    return undefined;
  }
  const options: PcreOptions = {
    caseless: true,
    multiline: false,
    dotall: true,
    extended: false,
    ungreedy: false,
    dollarEndOnly: false,
  };
  let anchored = false;
  let p = scanned.end;
  for (; p < text.length && !isSpace(text[p]); p++) {
    const ch = text[p]!;
    if (ch === 'i') options.caseless = !options.caseless;
    else if (ch === 'm') options.multiline = !options.multiline;
    else if (ch === 's') options.dotall = !options.dotall;
    else if (ch === 'x') options.extended = !options.extended;
    else if (ch === 'A') anchored = !anchored;
    else if (ch === 'E') options.dollarEndOnly = !options.dollarEndOnly;
    else if (ch === 'U') options.ungreedy = !options.ungreedy;
    else if (ch === 'X')
      warn(`${where}: ignoring obsolete regexp option "${ch}"`); // PCRE2 build
    else {
      warn(`${where}: unknown regexp option "${ch}": skipping this rule`);
      return undefined;
    }
  }
  return { ...scanned, end: p, options, anchored };
}

function compile(pattern: PatternWithOptions, where: string, warn: Warn): CompiledPattern | undefined {
  try {
    return { matcher: new PcreMatcher(pattern), positive: pattern.positive, where };
  } catch (e) {
    if (e instanceof PcreSyntaxError) {
      warn(`${where}: error in regex at offset ${e.offset}: ${e.message}`);
      return undefined;
    }
    if (e instanceof SyntaxError) {
      // A construct PCRE accepts but the JS engine rejects after translation.
      warn(`${where}: error in regex at offset 0: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

function parseLine(
  rules: RuleList<MatchRule, CompiledPattern>,
  text: string,
  lineno: number,
  where: string,
  options: PatternOpenOptions,
  warn: Warn,
): void {
  if (!isAlnum(text[0])) {
    const pattern = getPattern(text, 0, where, warn);
    if (!pattern) return;
    const result = text.slice(skipSpaces(text, pattern.end));
    if (result.length === 0) warn(`${where}: no replacement text: using empty string`);
    const replacement = parseReplacement(result, where, 'out of range', warn);
    if (!replacement) {
      warn(`${where}: bad replacement syntax: skipping this rule`);
      return;
    }
    if (replacement.maxGroup > 0 && !pattern.positive) {
      warn(`${where}: $number found in negative match replacement text: skipping this rule`);
      return;
    }
    if (replacement.maxGroup > 0 && options.noRegexpSubstitution) {
      warn(`${where}: regular expression substitution is not allowed: skipping this rule`);
      return;
    }
    const compiled = compile(pattern, where, warn);
    if (!compiled) return;
    if (replacement.maxGroup > compiled.matcher.groups) {
      warn(`${where}: out of range replacement index "${replacement.maxGroup}": skipping this rule`);
      return;
    }
    rules.add({ kind: 'match', lineno, rule: { pattern: compiled, replacement } });
    return;
  }
  const parse = (from: number) => getPattern(text, from, where, warn);
  if (addIfOrEndif(text, lineno, where, warn, rules, parse, (p) => compile(p, where, warn))) return;
  warn(`${where}: ignoring unrecognized request`);
}

/**
 * Run a match; one that exceeds the time limit counts as "no match" for positive and negative
 * rules alike, with the warning Postfix logs when PCRE's backtracking limit is hit.
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
    warn(`${pattern.where}: backtracking limit exceeded`);
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
  const source = await readPatternSource('pcre', name, options, warn);
  const rules = new RuleList<MatchRule, CompiledPattern>();
  for (const line of source.lines) {
    parseLine(rules, line.text, line.lineno, `pcre map ${source.label}, line ${line.lineno}`, options, warn);
  }
  for (const lineno of rules.unclosedIfLines()) {
    warn(`pcre map ${source.label}, line ${lineno}: IF has no matching ENDIF`);
  }

  const test = (key: string) => async (rule: MatchRule) => {
    if (rule.replacement.maxGroup === 0) {
      return (await holds(rule.pattern, key, warn)) ? expandReplacement(rule.replacement, []) : undefined;
    }
    const groups = await guarded(rule.pattern, warn, () => rule.pattern.matcher.exec(key));
    return groups ? expandReplacement(rule.replacement, groups) : undefined;
  };

  return {
    type: 'pcre',
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
