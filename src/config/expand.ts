// Parameter expansion with the semantics of Postfix's mac_parse()/mac_expand():
// `$name`, `${name}`, `$(name)`, `$$`, `${name?text}`, `${name:text}`,
// `${name?{t1}:{t2}}` and relational `${{a} op {b} ? {t1} : {t2}}` with
// == != < <= > >= (numeric when both sides are all digits) and the
// compatibility-level variants <level, <=level, ... Lookups are lazy and, with
// `recurse`, the looked-up value is expanded in turn; nesting deeper than 100
// levels is Postfix's "unreasonable macro call nesting" error.
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
  /** Names whose values are inserted literally instead of being expanded again (raw parameters). */
  dontParse?: (name: string) => boolean;
}

export interface ExpandResult {
  value: string;
  /** A syntax error or runaway recursion was reported through warn(). */
  error: boolean;
  /** A plain $name reference had no value at all (not even empty). */
  undefinedName: boolean;
}

const WHITESPACE = ' \t\n\v\f\r';
const MAX_NESTING = 100;

function spanOf(s: string, from: number, chars: string): number {
  let i = from;
  while (i < s.length && chars.includes(s[i] as string)) i++;
  return i - from;
}
const isNameChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
const allDigits = (s: string): boolean => /^\d+$/.test(s);

class ExpandError extends Error {}

class Expander {
  result = '';
  level = 0;
  undefinedName = false;

  constructor(private readonly opts: ExpandOptions) {}

  fail(message: string): never {
    this.opts.warn?.(message);
    throw new ExpandError(message);
  }

  /** mac_parse(): split text into literals and macro expressions. */
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
      let expr = '';
      const open = value[i];
      if (open === '(' || open === '{') {
        const close = open === '(' ? ')' : '}';
        let depth = 1;
        let j = i + 1;
        for (; depth > 0; j++) {
          if (j >= value.length) this.fail(`truncated macro reference: "${value}"`);
          if (value[j] === open) depth++;
          if (value[j] === close) depth--;
        }
        expr = value.slice(i + 1, j - 1);
        i = j;
      } else {
        let j = i;
        while (isNameChar(value[j])) j++;
        expr = value.slice(i, j);
        i = j;
      }
      if (expr.length === 0) this.fail(`empty macro name: "${value}"`);
      this.callback('expr', expr);
    }
    if (literal.length > 0) this.callback('literal', literal);
  }

  /** Extract `{...}` at s[pos] (caller skipped blanks); returns payload and the index after trailing blanks. */
  curly(s: string, pos: number, stripSpace: boolean): [string, number] {
    let start = pos + 1;
    if (stripSpace) start += spanOf(s, start, WHITESPACE);
    let depth = 1;
    let j = start;
    for (; ; j++) {
      if (j >= s.length) this.fail(`unbalanced {} in attribute expression: "${s.slice(pos)}"`);
      if (s[j] === '{') depth++;
      else if (s[j] === '}' && --depth <= 0) break;
    }
    let payload = s.slice(start, j);
    if (stripSpace) payload = payload.replace(/[ \t\n\v\f\r]+$/, '');
    j += 1;
    j += spanOf(s, j, WHITESPACE);
    return [payload, j];
  }

  /** Position of '{' after optional blanks at s[pos], or -1. */
  findCurly(s: string, pos: number): number {
    const p = pos + spanOf(s, pos, WHITESPACE);
    return s[p] === '{' ? p : -1;
  }

  subExpand(text: string): string {
    const saved = this.result;
    const savedLevel = this.level;
    this.result = '';
    this.level = 0;
    const savedUndef = this.undefinedName;
    try {
      this.parse(text);
      return this.result;
    } finally {
      this.result = saved;
      this.level = savedLevel;
      this.undefinedName = savedUndef;
    }
  }

  relational(s: string, pos: number): [string | undefined, number] {
    const [left, afterLeft] = this.curly(s, pos, false);
    let cp = afterLeft;
    const opLen = spanOf(s, cp, '<>!=?+-*/~&|%');
    const op = s.slice(cp, cp + opLen);
    const ops = ['==', '!=', '<', '<=', '>=', '>'];
    if (!ops.includes(op)) {
      this.fail(
        `"==" or "!="" or "<"" or "<="" or ">="" or ">" expected at: "...${left}}>>>${s.slice(cp, cp + 20)}"`,
      );
    }
    const opPos = cp;
    cp += opLen;
    let compat = false;
    if (/[A-Za-z0-9]/.test(s[cp] ?? '')) {
      let typeLen = 1;
      while (/[A-Za-z0-9]/.test(s[cp + typeLen] ?? '')) typeLen++;
      const suffix = s.slice(cp, cp + typeLen);
      if (suffix !== 'level') {
        this.fail(`bad operator suffix at: "...${op}>>>${suffix}"`);
      }
      compat = true;
      cp += typeLen;
    }
    const rightPos = this.findCurly(s, cp);
    if (rightPos < 0) {
      this.fail(
        `"{expression}" expected at: "...{${left}} ${s.slice(opPos, opPos + opLen)}>>>${s.slice(cp, cp + 20)}"`,
      );
    }
    const [right, afterRight] = this.curly(s, rightPos, false);
    const l = this.subExpand(left);
    const r = this.subExpand(right);
    if (this.opts.scan) return [undefined, afterRight];
    let delta: number;
    if (compat) {
      const a = parseCompatLevel(l);
      if (a === undefined) this.fail(`malformed compatibility level syntax: "${l}"`);
      const b = parseCompatLevel(r);
      if (b === undefined) this.fail(`malformed compatibility level syntax: "${r}"`);
      delta = a - b;
    } else if (allDigits(l) && allDigits(r)) {
      const a = BigInt(l);
      const b = BigInt(r);
      delta = a === b ? 0 : a < b ? -1 : 1;
    } else {
      delta = compareBytes(l, r);
    }
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

  callback(type: 'literal' | 'expr', text: string): void {
    if (this.level++ > MAX_NESTING) this.fail(`unreasonable macro call nesting: "${text}"`);
    if (type === 'literal') {
      if (!this.opts.scan) this.result += text;
      this.level--;
      return;
    }
    let lookup: string | undefined;
    let dontParse = false;
    let cp: number;
    let op: string;
    const curlyAt = this.findCurly(text, 0);
    if (curlyAt >= 0) {
      [lookup, cp] = this.relational(text, curlyAt);
      op = text[cp] ?? '';
      if (op !== '') {
        if (op !== '?' && op !== ':')
          this.fail(`"?" or ":" expected at: "...}>>>${text.slice(cp, cp + 20)}"`);
        cp++;
      }
    } else {
      const start = spanOf(text, 0, WHITESPACE);
      cp = start;
      let mode: LookupMode = 'use';
      let name = '';
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
          this.fail(`attribute name syntax error at: "...${text.slice(0, cp)}>>>${text.slice(cp, cp + 20)}"`);
        }
      }
      dontParse = this.opts.dontParse?.(name) ?? false;
      lookup = this.opts.lookup(name, mode);
    }
    const scan = this.opts.scan === true;
    switch (op) {
      case '?':
      case ':': {
        let rest = text;
        if (op === '?') {
          let ifTrue: string;
          const at = this.findCurly(rest, cp);
          if (at >= 0) {
            [ifTrue, cp] = this.curly(rest, at, false);
          } else {
            ifTrue = rest.slice(cp);
            rest = '';
            cp = 0;
          }
          if ((lookup !== undefined && lookup !== '') || scan) this.parse(ifTrue);
          if (cp >= rest.length) break;
          if (rest[cp] !== ':') this.fail(`":" expected at: "...${ifTrue}}>>>${rest.slice(cp, cp + 20)}"`);
          cp += 1;
        }
        let ifFalse: string;
        const at = this.findCurly(rest, cp);
        if (at >= 0) {
          [ifFalse, cp] = this.curly(rest, at, false);
        } else {
          ifFalse = rest.slice(cp);
          rest = '';
          cp = 0;
        }
        if (lookup === undefined || lookup === '' || scan) this.parse(ifFalse);
        if (cp < rest.length) this.fail(`unexpected input at: "...${ifFalse}}>>>${rest.slice(cp, cp + 20)}"`);
        break;
      }
      default:
        if (lookup === undefined) this.undefinedName = true;
        else if (lookup === '' || scan) break;
        else if (this.opts.recurse && !dontParse) this.parse(lookup);
        else this.result += lookup;
    }
    this.level--;
  }
}

/** strcmp() on the byte values (main.cf is read as latin1, one char per byte). */
function compareBytes(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

export function expandValue(pattern: string, opts: ExpandOptions): ExpandResult {
  const ex = new Expander(opts);
  try {
    ex.parse(pattern);
    return { value: ex.result, error: false, undefinedName: ex.undefinedName };
  } catch (err) {
    if (err instanceof ExpandError) return { value: ex.result, error: true, undefinedName: ex.undefinedName };
    throw err;
  }
}
