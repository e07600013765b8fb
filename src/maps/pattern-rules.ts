// The rule list shared by regexp:, pcre: and cidr: tables: ordinary rules, "if" ... "endif"
// blocks (nestable), first match wins. Mirrors the IF/ENDIF bookkeeping of Postfix's
// dict_regexp.c / dict_pcre.c / dict_cidr.c: an ENDIF without IF is reported and ignored, an IF
// without ENDIF is reported at the end and, when its condition fails, ends the search.

import { skipSpaces, startsWithKeyword } from './pattern-syntax.js';

export type ParsedRule<M, C> =
  | { kind: 'match'; lineno: number; rule: M }
  | { kind: 'if'; lineno: number; condition: C }
  | { kind: 'endif'; lineno: number };

type Compiled<M, C> =
  | { kind: 'match'; rule: M }
  | { kind: 'if'; condition: C; endifIndex: number | undefined }
  | { kind: 'endif' };

export class RuleList<M, C> {
  private readonly rules: Compiled<M, C>[] = [];
  private readonly openIfs: { index: number; lineno: number }[] = [];

  /** Current if/endif depth; parsers need it to report "ENDIF without matching IF". */
  get nesting(): number {
    return this.openIfs.length;
  }

  add(parsed: ParsedRule<M, C>): void {
    switch (parsed.kind) {
      case 'match':
        this.rules.push({ kind: 'match', rule: parsed.rule });
        break;
      case 'if':
        this.openIfs.push({ index: this.rules.length, lineno: parsed.lineno });
        this.rules.push({ kind: 'if', condition: parsed.condition, endifIndex: undefined });
        break;
      case 'endif': {
        const open = this.openIfs.pop();
        if (open === undefined) throw new Error('endif without if: the parser must reject it');
        const ifRule = this.rules[open.index] as { kind: 'if'; endifIndex: number | undefined };
        ifRule.endifIndex = this.rules.length;
        this.rules.push({ kind: 'endif' });
        break;
      }
    }
  }

  /** Line numbers of IFs that never saw their ENDIF, innermost first (Postfix's order). */
  unclosedIfLines(): number[] {
    return this.openIfs.map((o) => o.lineno).reverse();
  }

  /**
   * First-match search. `test` decides a match rule (returning a result or undefined);
   * `holds` decides an if condition.
   */
  async search<R>(
    test: (rule: M) => R | undefined | Promise<R | undefined>,
    holds: (condition: C) => boolean | Promise<boolean>,
  ): Promise<R | undefined> {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (rule.kind === 'match') {
        const result = await test(rule.rule);
        if (result !== undefined) return result;
      } else if (rule.kind === 'if') {
        if (await holds(rule.condition)) continue;
        if (rule.endifIndex === undefined) return undefined;
        i = rule.endifIndex;
      }
    }
    return undefined;
  }
}

/**
 * IF and ENDIF lines of regexp: and pcre: tables, which share their syntax and warnings in
 * Postfix. `parse` reads the pattern after "if" (warning itself on failure); `compile` turns it
 * into a condition (likewise). Returns false when the line is neither IF nor ENDIF.
 */
export function addIfOrEndif<M, C, P extends { end: number }>(
  text: string,
  lineno: number,
  where: string,
  warn: (text: string) => void,
  rules: RuleList<M, C>,
  parse: (from: number) => P | undefined,
  compile: (pattern: P) => C | undefined,
): boolean {
  if (startsWithKeyword(text, 'if')) {
    const pattern = parse(skipSpaces(text, 2));
    if (!pattern) return true;
    const p = skipSpaces(text, pattern.end);
    if (p < text.length) {
      warn(`${where}: ignoring extra text after IF statement: "${text.slice(p)}"`);
      warn(`${where}: do not prepend whitespace to statements between IF and ENDIF`);
    }
    const condition = compile(pattern);
    if (condition !== undefined) rules.add({ kind: 'if', lineno, condition });
    return true;
  }
  if (startsWithKeyword(text, 'endif')) {
    if (rules.nesting === 0) {
      warn(`${where}: ignoring ENDIF without matching IF`);
      return true;
    }
    if (skipSpaces(text, 5) < text.length) warn(`${where}: ignoring extra text after ENDIF`);
    rules.add({ kind: 'endif', lineno });
    return true;
  }
  return false;
}
