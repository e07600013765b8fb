// Parameter expansion with the semantics of Postfix 3.7's mac_parse() and
// mac_expand(): `$name`, `${name}`, `$(name)`, `$$`, `${name?text}`,
// `${name:text}`, `${name?{t1}:{t2}}` and relational `${{a} op {b} ? {t1} : {t2}}`
// with == != < <= > >= (numeric when both sides are all digits) and the
// compatibility-level variants <level, <=level, ... Lookups are lazy and, with
// `recurse`, a looked-up value is expanded in turn. Nesting deeper than 100
// levels is Postfix's "unreasonable macro call nesting" error.
//
// Errors do not stop the scan at once: like Postfix, the error status is
// sticky and later macro calls at an excessive depth are reported too, so the
// warnings match Postfix's one for one.
import { parseCompatLevel } from './compat-level.js';

export type LookupMode = 'use' | 'test';

export interface ExpandOptions {
  /** Value of a parameter (unexpanded), or undefined when it has none. */
  lookup: (name: string, mode: LookupMode) => string | undefined;
  /** Expand looked-up values recursively (Postfix MAC_EXP_FLAG_RECURSE). */
  recurse?: boolean;
  /** Receives warnings in Postfix wording (no "program: warning: " prefix). */
  warn?: (message: string) => void;
  /**
   * Scan only (Postfix MAC_EXP_FLAG_SCAN): visit every $name in every branch,
   * calling lookup() for each, without producing a value or recursing into values.
   */
  scan?: boolean;
}

export interface ExpandResult {
  value: string;
  /** A syntax error or runaway recursion was reported through warn(). */
  error: boolean;
  /** A plain $name reference had no value at all (not even empty). */
  undefinedName: boolean;
  /** The first warning, for callers that turn errors into exceptions. */
  firstWarning?: string;
}

const WHITESPACE = ' \t\n\v\f\r';
const MAX_NESTING = 100;
const OPERATORS = ['==', '!=', '<', '<=', '>=', '>'];

function spanOf(s: string, from: number, chars: string): number {
  let i = from;
  while (i < s.length && chars.includes(s[i] as string)) i++;
  return i - from;
}
const isNameChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
const allDigits = (s: string): boolean => /^\d+$/.test(s);

class Expander {
  result = '';
  level = 0;
  error = false;
  undefinedName = false;
  firstWarning: string | undefined;

  constructor(private readonly opts: ExpandOptions) {}

  /** Report a problem and make the error status sticky. */
  problem(message: string): void {
    this.firstWarning ??= message;
    this.opts.warn?.(message);
    this.error = true;
  }

  /** mac_parse(): split text into literals and macro expressions, calling back for each. */
  parse(value: string): void {
    let literal = '';
    let i = 0;
    while (i < value.length) {
      const c = value[i] as string;
      if (c !== '$') {
        literal += c;
        i += 1;
        continue;
      }
      if (value[i + 1] === '$') {
        literal += '$';
        i += 2;
        continue;
      }
      if (literal.length > 0) this.callback('literal', literal);
      literal = '';
      i += 1;
      let expr: string;
      const open = value[i];
      if (open === '(' || open === '{') {
        const close = open === '(' ? ')' : '}';
        let depth = 1;
        let j = i + 1;
        for (; depth > 0 && j < value.length; j++) {
          if (value[j] === open) depth++;
          else if (value[j] === close) depth--;
        }
        if (depth > 0) {
          this.problem(`truncated macro reference: "${value}"`);
          return;
        }
        expr = value.slice(i + 1, j - 1);
        i = j;
      } else {
        let j = i;
        while (isNameChar(value[j])) j++;
        expr = value.slice(i, j);
        i = j;
      }
      if (expr.length === 0) {
        this.problem(`empty macro name: "${value}"`);
        return;
      }
      this.callback('expr', expr);
    }
    if (literal.length > 0 && !this.error) this.callback('literal', literal);
  }

  /** `{...}` payload at s[pos] and the index after the following blanks; undefined when unbalanced. */
  curly(s: string, pos: number): [string, number] | undefined {
    let depth = 1;
    let j = pos + 1;
    for (; ; j++) {
      if (j >= s.length) {
        this.problem(`unbalanced {} in attribute expression: "${s.slice(pos)}"`);
        return undefined;
      }
      if (s[j] === '{') depth++;
      else if (s[j] === '}' && --depth <= 0) break;
    }
    const payload = s.slice(pos + 1, j);
    j += 1;
    return [payload, j + spanOf(s, j, WHITESPACE)];
  }

  /** Index of '{' after optional blanks at s[pos], or -1. */
  findCurly(s: string, pos: number): number {
    const p = pos + spanOf(s, pos, WHITESPACE);
    return s[p] === '{' ? p : -1;
  }

  /** A relational operand, expanded in a context of its own (mac_expand() call). */
  operand(text: string): string {
    const sub = new Expander(this.opts);
    sub.parse(text);
    if (sub.error) {
      this.error = true;
      this.firstWarning ??= sub.firstWarning;
    }
    return sub.result;
  }

  /** Returns [lookup result ("true"/""/undefined in scan), index after] or undefined on error. */
  relational(s: string, pos: number): [string | undefined, number] | undefined {
    const leftPart = this.curly(s, pos);
    if (leftPart === undefined) return undefined;
    const [left, afterLeft] = leftPart;
    let cp = afterLeft;
    const opLen = spanOf(s, cp, '<>!=?+-*/~&|%');
    const opPos = cp;
    const op = s.slice(cp, cp + opLen);
    if (!OPERATORS.includes(op)) {
      this.problem(
        `"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...${left}}>>>${s.slice(cp, cp + 20)}"`,
      );
      return undefined;
    }
    cp += opLen;
    let compat = false;
    if (/[A-Za-z0-9]/.test(s[cp] ?? '')) {
      let typeLen = 1;
      while (/[A-Za-z0-9]/.test(s[cp + typeLen] ?? '')) typeLen++;
      const suffix = s.slice(cp, cp + typeLen);
      if (suffix !== 'level') {
        this.problem(`bad operator suffix at: "...${op}>>>${suffix}"`);
        return undefined;
      }
      compat = true;
      cp += typeLen;
    }
    const rightPos = this.findCurly(s, cp);
    if (rightPos < 0) {
      this.problem(
        `"{expression}" expected at: "...{${left}} ${s.slice(opPos, opPos + opLen)}>>>${s.slice(cp, cp + 20)}"`,
      );
      return undefined;
    }
    const rightPart = this.curly(s, rightPos);
    if (rightPart === undefined) return undefined;
    const [right, afterRight] = rightPart;
    const l = this.operand(left);
    const r = this.operand(right);
    if (this.opts.scan === true) return this.error ? undefined : [undefined, afterRight];
    let delta = 0;
    if (compat) {
      const a = parseCompatLevel(l);
      const b = a === undefined ? undefined : parseCompatLevel(r);
      if (a === undefined) this.problem(`malformed compatibility level syntax: "${l}"`);
      else if (b === undefined) this.problem(`malformed compatibility level syntax: "${r}"`);
      else delta = a - b;
    } else if (allDigits(l) && allDigits(r)) {
      const a = BigInt(l);
      const b = BigInt(r);
      delta = a === b ? 0 : a < b ? -1 : 1;
    } else {
      delta = l === r ? 0 : l < r ? -1 : 1;
    }
    if (this.error) return undefined;
    const truth =
      op === '=='
        ? delta === 0
        : op === '!='
          ? delta !== 0
          : op === '<'
            ? delta < 0
            : op === '<='
              ? delta <= 0
              : op === '>='
                ? delta >= 0
                : delta > 0;
    return [truth ? 'true' : '', afterRight];
  }

  /** mac_expand_callback(). Returns early (without unwinding the level) on errors, as Postfix does. */
  callback(type: 'literal' | 'expr', text: string): void {
    if (this.level++ > MAX_NESTING) this.problem(`unreasonable macro call nesting: "${text}"`);
    if (this.error) return;
    const scan = this.opts.scan === true;
    if (type === 'literal') {
      if (!scan) this.result += text;
      this.level--;
      return;
    }
    let lookup: string | undefined;
    let cp: number;
    let op: string;
    const curlyAt = this.findCurly(text, 0);
    if (curlyAt >= 0) {
      const rel = this.relational(text, curlyAt);
      if (rel === undefined) return;
      [lookup, cp] = rel;
      op = text[cp] ?? '';
      if (op !== '') {
        if (op !== '?' && op !== ':') {
          this.problem(`"?" or ":" expected at: "...}>>>${text.slice(cp, cp + 20)}"`);
          return;
        }
        cp++;
      }
    } else {
      const start = spanOf(text, 0, WHITESPACE);
      cp = start;
      let mode: LookupMode = 'use';
      let name: string;
      for (; ; cp++) {
        const blanks = spanOf(text, cp, WHITESPACE);
        const ch = text[cp + blanks];
        if (ch === undefined) {
          name = text.slice(start, cp);
          op = '';
          break;
        }
        if (ch === '?' || ch === ':') {
          name = text.slice(start, cp);
          op = ch;
          cp = cp + blanks + 1;
          mode = 'test';
          break;
        }
        if (!isNameChar(text[cp])) {
          this.problem(
            `attribute name syntax error at: "...${text.slice(0, cp)}>>>${text.slice(cp, cp + 20)}"`,
          );
          return;
        }
      }
      lookup = this.opts.lookup(name, mode);
    }
    if (op === '?' || op === ':') {
      let rest = text;
      if (op === '?') {
        let ifTrue: string;
        const at = this.findCurly(rest, cp);
        if (at >= 0) {
          const part = this.curly(rest, at);
          if (part === undefined) return;
          [ifTrue, cp] = part;
        } else {
          ifTrue = rest.slice(cp);
          rest = '';
          cp = 0;
        }
        if ((lookup !== undefined && lookup !== '') || scan) this.parse(ifTrue);
        if (cp < rest.length) {
          if (rest[cp] !== ':') {
            this.problem(`":" expected at: "...${ifTrue}}>>>${rest.slice(cp, cp + 20)}"`);
            return;
          }
          cp += 1;
          if (!this.ifFalse(rest, cp, lookup, scan)) return;
        }
      } else if (!this.ifFalse(rest, cp, lookup, scan)) {
        return;
      }
    } else if (lookup === undefined) {
      this.undefinedName = true;
    } else if (lookup !== '' && !scan) {
      if (this.opts.recurse === true) this.parse(lookup);
      else this.result += lookup;
    }
    this.level--;
  }

  /** The text after ':'; false when Postfix would return at once (skipping the level unwind). */
  private ifFalse(text: string, start: number, lookup: string | undefined, scan: boolean): boolean {
    let cp = start;
    let rest = text;
    let ifFalse: string;
    const at = this.findCurly(rest, cp);
    if (at >= 0) {
      const part = this.curly(rest, at);
      if (part === undefined) return false;
      [ifFalse, cp] = part;
    } else {
      ifFalse = rest.slice(cp);
      rest = '';
      cp = 0;
    }
    if (lookup === undefined || lookup === '' || scan) this.parse(ifFalse);
    if (cp < rest.length) {
      this.problem(`unexpected input at: "...${ifFalse}}>>>${rest.slice(cp, cp + 20)}"`);
      return false;
    }
    return true;
  }
}

export function expandValue(pattern: string, opts: ExpandOptions): ExpandResult {
  const ex = new Expander(opts);
  ex.parse(pattern);
  const result: ExpandResult = { value: ex.result, error: ex.error, undefinedName: ex.undefinedName };
  if (ex.firstWarning !== undefined) result.firstWarning = ex.firstWarning;
  return result;
}
