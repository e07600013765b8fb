// Translates a POSIX regular expression, as glibc's regcomp() reads it for Postfix regexp:
// tables, into a JavaScript RegExp source over byte strings (see pattern-source.ts).
//
// Postfix compiles with REG_EXTENDED | REG_ICASE by default; the rule flags toggle them (x, i)
// and REG_NEWLINE (m). glibc adds GNU extensions that Postfix users rely on without knowing:
// \w \W \s \S \b \B \< \> \` \' and back-references \1..\9, also in ERE. Compile errors carry
// glibc's regerror() text so the warnings read exactly like Postfix's.
//
// Case-insensitive matching is done in the translation (each letter becomes [xX]) instead of
// with the JS "i" flag, so only ASCII letters fold, as in the C locale. Matching semantics
// (POSIX leftmost-longest versus JS leftmost-first) are handled by regexp-match.ts.
import { ByteSet, literalByte, posixClass } from './byte-class.js';

export interface PosixFlags {
  /** REG_EXTENDED (Postfix default on; flag "x" turns it off, giving a basic RE). */
  extended: boolean;
  /** REG_ICASE (Postfix default on; flag "i" turns it off). */
  icase: boolean;
  /** REG_NEWLINE (flag "m"): ^ and $ match at newlines; . and [^...] do not match newline. */
  newline: boolean;
}

export interface TranslatedRegex {
  /** JS RegExp source, to be compiled without flags. */
  source: string;
  /** Number of capturing groups (re_nsub). */
  groups: number;
  /** True when the translation uses back-references (never linear-time in V8). */
  backrefs: boolean;
  /**
   * JS flags to compile with: "i" when a case-insensitive pattern uses back-references, which
   * glibc compares case-insensitively (JS only does so under "i").
   */
  flags: string;
}

/** glibc regerror() texts. */
export const REG_ERRORS = {
  BADPAT: 'Invalid regular expression',
  ECOLLATE: 'Invalid collation character',
  ECTYPE: 'Invalid character class name',
  EESCAPE: 'Trailing backslash',
  ESUBREG: 'Invalid back reference',
  EBRACK: 'Unmatched [, [^, [:, [., or [=',
  EPAREN: 'Unmatched ( or \\(',
  EBRACE: 'Unmatched \\{',
  BADBR: 'Invalid content of \\{\\}',
  ERANGE: 'Invalid range end',
  BADRPT: 'Invalid preceding regular expression',
  ERPAREN: 'Unmatched ) or \\)',
  ESIZE: 'Regular expression too big',
} as const;

export class PosixRegexError extends Error {}

const RE_DUP_MAX = 0x7fff;
const WORD = '[0-9A-Z_a-z]';

/** A translated piece: its JS text and whether a quantifier may follow it. */
interface Atom {
  js: string;
  quantifiable: boolean;
}

class Translator {
  private pos = 0;
  private groupsOpened = 0;
  private readonly closedGroups = new Set<number>();
  backrefs = false;

  constructor(
    private readonly re: string,
    private readonly flags: PosixFlags,
  ) {}

  run(): TranslatedRegex {
    const source = this.alternation(0);
    if (this.pos < this.re.length) {
      // Only an unmatched close of a group can stop the top level.
      throw new PosixRegexError(REG_ERRORS.EPAREN);
    }
    return {
      source,
      groups: this.groupsOpened,
      backrefs: this.backrefs,
      flags: this.backrefs && this.flags.icase ? 'i' : '',
    };
  }

  private peek(offset = 0): string | undefined {
    return this.re[this.pos + offset];
  }

  private atGroupClose(depth: number): boolean {
    if (depth === 0) return false;
    return this.flags.extended ? this.peek() === ')' : this.peek() === '\\' && this.peek(1) === ')';
  }

  private atAlternation(): boolean {
    return this.flags.extended ? this.peek() === '|' : this.peek() === '\\' && this.peek(1) === '|';
  }

  private alternation(depth: number): string {
    const branches = [this.branch(depth)];
    while (this.pos < this.re.length && this.atAlternation()) {
      this.pos += this.flags.extended ? 1 : 2;
      branches.push(this.branch(depth));
    }
    return branches.join('|');
  }

  private branch(depth: number): string {
    let out = '';
    let last: Atom | undefined;
    const branchStart = this.pos;
    while (this.pos < this.re.length && !this.atAlternation() && !this.atGroupClose(depth)) {
      if (!this.flags.extended && this.peek() === '\\' && this.peek(1) === ')' && depth === 0) {
        // glibc reports an unmatched "\)" in a basic RE as an unmatched "\(".
        throw new PosixRegexError(REG_ERRORS.EPAREN);
      }
      // BRE: "*" right after a leading "^" is a literal, like "*" at the start.
      const literalStar =
        !this.flags.extended && this.peek() === '*' && last !== undefined && !last.quantifiable;
      const quantifier = literalStar
        ? undefined
        : this.quantifier(last === undefined, this.pos === branchStart);
      if (quantifier !== undefined) {
        if (last === undefined || !last.quantifiable) throw new PosixRegexError(REG_ERRORS.BADRPT);
        last = { js: `(?:${last.js})${quantifier}`, quantifiable: true };
        continue;
      }
      if (last) out += last.js;
      last = this.atom(depth, this.pos === branchStart);
    }
    if (last) out += last.js;
    return out;
  }

  /**
   * A quantifier at the current position, as JS text, or undefined. In a basic RE a "*" at the
   * start of an expression is a literal, which atom() handles.
   */
  private quantifier(noAtomYet: boolean, atBranchStart: boolean): string | undefined {
    const ch = this.peek();
    if (this.flags.extended) {
      if (ch === '*' || ch === '+' || ch === '?') {
        this.pos++;
        return ch;
      }
      if (ch === '{') {
        if (noAtomYet) throw new PosixRegexError(REG_ERRORS.BADRPT);
        this.pos++;
        return this.interval();
      }
      return undefined;
    }
    if (ch === '*') {
      if (noAtomYet && atBranchStart) return undefined; // literal "*"
      this.pos++;
      return '*';
    }
    if (ch === '\\' && (this.peek(1) === '+' || this.peek(1) === '?')) {
      if (noAtomYet) return undefined;
      this.pos += 2;
      return this.re[this.pos - 1];
    }
    if (ch === '\\' && this.peek(1) === '{') {
      if (noAtomYet) throw new PosixRegexError(REG_ERRORS.BADRPT);
      this.pos += 2;
      return this.interval();
    }
    return undefined;
  }

  /** Parse "n}", "n,}", "n,m}", ",m}" after the opening brace. */
  private interval(): string {
    const close = this.flags.extended ? '}' : '\\}';
    const rest = this.re.slice(this.pos);
    const m = /^(\d*)(,(\d*))?/.exec(rest)!;
    const after = rest.slice(m[0].length);
    if (!after.startsWith(close) || (m[1] === '' && m[2] === undefined)) {
      throw new PosixRegexError(REG_ERRORS.EBRACE);
    }
    this.pos += m[0].length + close.length;
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > RE_DUP_MAX || (max !== Infinity && max > RE_DUP_MAX))
      throw new PosixRegexError(REG_ERRORS.ESIZE);
    if (max < min) throw new PosixRegexError(REG_ERRORS.BADBR);
    if (max === Infinity) return `{${min},}`;
    return min === max ? `{${min}}` : `{${min},${max}}`;
  }

  private anchorStart(): string {
    return this.flags.newline ? '(?<![^\\n])' : '^';
  }

  private anchorEnd(): string {
    return this.flags.newline ? '(?![^\\n])' : '$';
  }

  private atom(depth: number, atBranchStart: boolean): Atom {
    const ch = this.re[this.pos++]!;
    const ext = this.flags.extended;
    if (ext && ch === '(') return this.group(depth);
    if (ext && ch === ')' && depth === 0) return this.literal(ch); // unmatched ")" is ordinary
    if (ch === '.') {
      return { js: this.flags.newline ? '[^\\n]' : '[\\s\\S]', quantifiable: true };
    }
    if (ch === '[') return { js: this.bracket(), quantifiable: true };
    if (ch === '^') {
      // ERE: an anchor anywhere. BRE: an anchor only at the start of an expression.
      if (ext || atBranchStart) return { js: this.anchorStart(), quantifiable: false };
      return this.literal(ch);
    }
    if (ch === '$') {
      if (ext || this.pos >= this.re.length || this.atAlternation() || this.atGroupClose(depth)) {
        return { js: this.anchorEnd(), quantifiable: false };
      }
      return this.literal(ch);
    }
    if (ch === '*' && !ext) return this.literal(ch); // BRE: "*" at the start or after "^" is literal
    if (ch === '\\') return this.escape(depth);
    return this.literal(ch);
  }

  private group(depth: number): Atom {
    const number = ++this.groupsOpened;
    const inner = this.alternation(depth + 1);
    if (!this.atGroupClose(depth + 1)) throw new PosixRegexError(REG_ERRORS.EPAREN);
    this.pos += this.flags.extended ? 1 : 2;
    this.closedGroups.add(number);
    return { js: `(${inner})`, quantifiable: true };
  }

  private literal(ch: string): Atom {
    return { js: literalByte(ch.charCodeAt(0), this.flags.icase), quantifiable: true };
  }

  private escape(depth: number): Atom {
    if (this.pos >= this.re.length) throw new PosixRegexError(REG_ERRORS.EESCAPE);
    const ch = this.re[this.pos++]!;
    if (!this.flags.extended) {
      if (ch === '(') return this.group(depth);
      if (ch === '{') throw new PosixRegexError(REG_ERRORS.BADRPT);
    }
    if (ch >= '1' && ch <= '9') {
      const n = Number(ch);
      if (!this.closedGroups.has(n)) throw new PosixRegexError(REG_ERRORS.ESUBREG);
      this.backrefs = true;
      return { js: `\\${n}`, quantifiable: true };
    }
    switch (ch) {
      case 'w':
        return { js: WORD, quantifiable: true };
      case 'W':
        return { js: '[^0-9A-Z_a-z]', quantifiable: true };
      case 's':
        return { js: '[\\t-\\r ]', quantifiable: true };
      case 'S':
        return { js: '[^\\t-\\r ]', quantifiable: true };
      case 'b':
        return { js: '\\b', quantifiable: false };
      case 'B':
        return { js: '\\B', quantifiable: false };
      case '<':
        return { js: `\\b(?=${WORD})`, quantifiable: false };
      case '>':
        return { js: `\\b(?<=${WORD})`, quantifiable: false };
      // Buffer start and end. The JS "m" flag is never used, so ^ and $ mean exactly that.
      case '`':
        return { js: '^', quantifiable: false };
      case "'":
        return { js: '$', quantifiable: false };
    }
    // glibc quirk: with REG_ICASE an escaped lower-case letter never matches (the subject is
    // case-translated, the escaped pattern character is not).
    if (this.flags.icase && ch >= 'a' && ch <= 'z') return { js: '[^\\s\\S]', quantifiable: true };
    return this.literal(ch);
  }

  /** A bracket expression; the position is just after "[". */
  private bracket(): string {
    const re = this.re;
    if (this.pos >= re.length) throw new PosixRegexError(REG_ERRORS.BADPAT);
    let negate = false;
    if (re[this.pos] === '^') {
      negate = true;
      this.pos++;
    }
    if (this.pos >= re.length) throw new PosixRegexError(REG_ERRORS.BADPAT);
    const set = new ByteSet();
    let first = true;
    for (;;) {
      if (this.pos >= re.length) throw new PosixRegexError(REG_ERRORS.EBRACK);
      const ch = re[this.pos]!;
      if (ch === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (ch === '[' && re[this.pos + 1] === ':') {
        const end = re.indexOf(':]', this.pos + 2);
        if (end < 0) throw new PosixRegexError(REG_ERRORS.EBRACK);
        const name = re.slice(this.pos + 2, end);
        const cls = name === 'word' ? undefined : posixClass(name);
        if (!cls) throw new PosixRegexError(REG_ERRORS.ECTYPE);
        set.addSet(cls);
        this.pos = end + 2;
        // A class cannot start a range.
        if (re[this.pos] === '-' && re[this.pos + 1] !== ']') throw new PosixRegexError(REG_ERRORS.ERANGE);
        continue;
      }
      const start = this.bracketElement();
      if (re[this.pos] === '-' && re[this.pos + 1] !== ']' && this.pos + 1 < re.length) {
        this.pos++;
        // Nor end one.
        if (re.startsWith('[:', this.pos)) throw new PosixRegexError(REG_ERRORS.ERANGE);
        const end = this.bracketElement();
        if (end < start) throw new PosixRegexError(REG_ERRORS.ERANGE);
        set.addRange(start, end);
      } else {
        set.add(start);
      }
    }
    if (this.flags.icase) set.foldAsciiCase();
    if (!negate) return set.toJs();
    const out = set.complement();
    if (this.flags.newline) {
      const nl = new ByteSet().add(0x0a);
      const withoutNl = new ByteSet();
      for (let c = 0; c < 256; c++) if (out.has(c) && !nl.has(c)) withoutNl.add(c);
      return withoutNl.toJs();
    }
    return out.toJs();
  }

  /** One byte in a bracket: a plain byte, [.x.] or [=x=]. */
  private bracketElement(): number {
    const re = this.re;
    if (re[this.pos] === '[' && (re[this.pos + 1] === '.' || re[this.pos + 1] === '=')) {
      const kind = re[this.pos + 1]!;
      const end = re.indexOf(`${kind}]`, this.pos + 2);
      if (end < 0) throw new PosixRegexError(REG_ERRORS.EBRACK);
      const name = re.slice(this.pos + 2, end);
      if (name.length !== 1) throw new PosixRegexError(REG_ERRORS.ECOLLATE);
      this.pos = end + 2;
      return name.charCodeAt(0);
    }
    return re.charCodeAt(this.pos++);
  }
}

/** Translate; throws PosixRegexError carrying glibc's message text. */
export function translatePosix(pattern: string, flags: PosixFlags): TranslatedRegex {
  return new Translator(pattern, flags).run();
}
