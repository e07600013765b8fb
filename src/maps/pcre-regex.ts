// Translates a PCRE2 pattern (as Postfix 3.7's pcre: tables compile it: 8-bit, no UTF, C-locale
// character tables) into a JavaScript RegExp source over byte strings.
//
// Handled by translation: case folding (ASCII only), dot-all, multi-line and extended mode,
// inline option settings (?i) (?-s:...), ungreedy mode, \A \z \Z \G, \Q...\E, \h \v \R \N,
// octal/hex/control escapes, named groups and named/relative back-references, atomic groups
// (?>...) and possessive quantifiers (emulated with a lookahead plus back-reference).
// Rejected with a PCRE-style error (the rule is skipped with a warning naming file:line):
// recursion and subroutine calls, conditionals, branch reset, backtracking verbs, callouts,
// \K, \X, \C, \p / \P, duplicate names. docs/pattern-tables.md lists these.
import { ByteSet, literalByte, posixClass } from './byte-class.js';

export interface PcreOptions {
  caseless: boolean;
  multiline: boolean;
  dotall: boolean;
  extended: boolean;
  ungreedy: boolean;
  /** PCRE2_DOLLAR_ENDONLY: "$" only at the very end (ignored in multi-line mode). */
  dollarEndOnly: boolean;
}

export interface TranslatedPcre {
  source: string;
  /**
   * Compile with the JS "i" flag: the pattern is caseless throughout and uses
   * back-references, which PCRE compares caselessly (JS only does so under "i").
   */
  ignoreCase: boolean;
  /** Capture groups as PCRE numbers them. */
  groups: number;
  /** jsGroup[n] = index of PCRE group n in the JS match array. */
  jsGroup: number[];
}

export class PcreSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Where "$" (and \Z) may also match just before a final newline, the caller picks a variant. */
export type DollarMode = 'end-only' | 'before-final-newline';

const WORD = new ByteSet().addRange(0x30, 0x39).addRange(0x41, 0x5a).addRange(0x61, 0x7a).add(0x5f);
const DIGIT = new ByteSet().addRange(0x30, 0x39);
const SPACE = new ByteSet().addRange(0x09, 0x0d).add(0x20);
const HSPACE = new ByteSet().add(0x09).add(0x20).add(0xa0);
const VSPACE = new ByteSet().addRange(0x0a, 0x0d).add(0x85);

// Markers in the JS source being built, resolved once the whole pattern is read: JS numbers
// groups by the position of "(", and the atomic-group emulation inserts groups of its own.
const REF_MARK = '\uE000';
const REF_END = '\uE001';
const GROUP_MARK = '\uE002';
const GROUP_END = '\uE003';

interface Atom {
  js: string;
  quantifiable: boolean;
}

class Translator {
  private pos = 0;
  /** Capture groups opened so far, in PCRE numbering. */
  private pcreGroups = 0;
  /** Groups added by the atomic-group emulation. */
  private syntheticGroups = 0;
  private readonly names = new Map<string, number>();
  private readonly pendingNames: { name: string; offset: number }[] = [];
  private readonly pendingNumbers: { n: number; offset: number }[] = [];
  /** Some part of the pattern is case-sensitive (then "i" cannot be used). */
  private caseSensitivePart = false;

  constructor(
    private readonly re: string,
    private readonly dollar: DollarMode,
  ) {}

  fail(message: string, offset = this.pos): never {
    throw new PcreSyntaxError(offset, message);
  }

  run(options: PcreOptions): TranslatedPcre {
    const flags = { ...options };
    let source = this.alternation(flags, 0);
    if (this.pos < this.re.length) this.fail('unmatched closing parenthesis');
    for (const ref of this.pendingNumbers) {
      if (ref.n > this.pcreGroups) this.fail('reference to non-existent subpattern', ref.offset);
    }
    for (const ref of this.pendingNames) {
      if (!this.names.has(ref.name)) this.fail('reference to non-existent subpattern', ref.offset);
    }
    // Number the groups as JS will: every "(" not followed by "?" opens a capture group (the
    // translation writes literal parentheses as \x28 / \x29).
    const jsNumber = new Map<string, number>();
    let count = 0;
    for (let i = 0; i < source.length; i++) {
      if (source[i] !== '(' || source[i + 1] === '?') continue;
      count++;
      if (source[i + 1] === GROUP_MARK)
        jsNumber.set(source.slice(i + 2, source.indexOf(GROUP_END, i)), count);
    }
    source = source.replace(new RegExp(`${GROUP_MARK}[^${GROUP_END}]*${GROUP_END}`, 'g'), '');
    source = source.replace(new RegExp(`${REF_MARK}([^${REF_END}]*)${REF_END}`, 'g'), (_, id: string) => {
      const target = id.startsWith('name:') ? `p${this.names.get(id.slice(5))}` : id;
      return `(?:\\${jsNumber.get(target)})`;
    });
    const jsGroup = [0];
    for (let n = 1; n <= this.pcreGroups; n++) jsGroup.push(jsNumber.get(`p${n}`)!);
    const backrefs = this.pendingNumbers.length + this.pendingNames.length > 0;
    return { source, ignoreCase: backrefs && !this.caseSensitivePart, groups: this.pcreGroups, jsGroup };
  }

  /** Opening text of a capture group with PCRE number n (or a synthetic one). */
  private openCapture(id: string): string {
    return `(${GROUP_MARK}${id}${GROUP_END}`;
  }

  private backref(id: string): string {
    return `${REF_MARK}${id}${REF_END}`;
  }

  /** The atomic-group emulation: match X once as a lookahead, then consume what it matched. */
  private atomic(x: string): string {
    const id = `s${++this.syntheticGroups}`;
    return `(?=${this.openCapture(id)}${x}))${this.backref(id)}`;
  }

  private peek(offset = 0): string | undefined {
    return this.re[this.pos + offset];
  }

  /** Skip whitespace and #-comments in extended mode. */
  private skipExtended(flags: PcreOptions): void {
    if (!flags.extended) return;
    for (;;) {
      const ch = this.peek();
      if (ch !== undefined && ' \t\n\v\f\r'.includes(ch)) this.pos++;
      else if (ch === '#') {
        while (this.pos < this.re.length && this.re[this.pos] !== '\n') this.pos++;
      } else return;
    }
  }

  private alternation(flags: PcreOptions, depth: number): string {
    const branches: string[] = [];
    // Option settings like (?i) last to the end of the enclosing group, across branches.
    for (;;) {
      branches.push(this.branch(flags, depth));
      if (this.peek() !== '|') break;
      this.pos++;
    }
    return branches.join('|');
  }

  private branch(flags: PcreOptions, depth: number): string {
    let out = '';
    let last: Atom | undefined;
    for (;;) {
      this.skipExtended(flags);
      const ch = this.peek();
      if (ch === undefined || ch === '|') break;
      if (ch === ')') {
        if (depth === 0) this.fail('unmatched closing parenthesis');
        break;
      }
      const q = this.quantifier(flags);
      if (q !== undefined) {
        if (!last || !last.quantifiable) this.fail('quantifier does not follow a repeatable item', q.offset);
        last = { js: this.applyQuantifier(last.js, q.text, q.mode), quantifiable: false };
        continue;
      }
      if (last) out += last.js;
      last = this.atom(flags, depth);
    }
    if (last) out += last.js;
    return out;
  }

  private applyQuantifier(atom: string, text: string, mode: 'greedy' | 'lazy' | 'possessive'): string {
    const base = `(?:${atom})${text}`;
    if (mode === 'lazy') return `${base}?`;
    if (mode === 'greedy') return base;
    // Possessive: match greedily once, never give back.
    return this.atomic(base);
  }

  /** A quantifier at the current position, or undefined (an unusable "{" is a literal). */
  private quantifier(
    flags: PcreOptions,
  ): { text: string; mode: 'greedy' | 'lazy' | 'possessive'; offset: number } | undefined {
    let offset = this.pos;
    const ch = this.peek();
    let text: string;
    if (ch === '*' || ch === '+' || ch === '?') {
      text = ch;
      this.pos++;
    } else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.re.slice(this.pos));
      if (!m) return undefined;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > 65535 || (max !== Infinity && max > 65535)) {
        this.fail('number too big in {} quantifier', this.pos + m[0].length - 1);
      }
      if (max < min) this.fail('numbers out of order in {} quantifier', this.pos + m[0].length - 1);
      text = max === Infinity ? `{${min},}` : min === max ? `{${min}}` : `{${min},${max}}`;
      this.pos += m[0].length;
      // PCRE2 reports a misplaced {n,m} at its closing brace.
      offset = this.pos - 1;
    } else {
      return undefined;
    }
    let mode: 'greedy' | 'lazy' | 'possessive' = flags.ungreedy ? 'lazy' : 'greedy';
    if (this.peek() === '?') {
      mode = flags.ungreedy ? 'greedy' : 'lazy';
      this.pos++;
    } else if (this.peek() === '+') {
      mode = 'possessive';
      this.pos++;
    }
    return { text, mode, offset };
  }

  private newGroup(): string {
    return this.openCapture(`p${++this.pcreGroups}`);
  }

  private atom(flags: PcreOptions, depth: number): Atom {
    if (!flags.caseless) this.caseSensitivePart = true;
    const start = this.pos;
    const ch = this.re[this.pos++]!;
    switch (ch) {
      case '(':
        return this.group(flags, depth);
      case '.':
        return { js: flags.dotall ? '[\\s\\S]' : '[^\\n]', quantifiable: true };
      case '[':
        return { js: this.charClass(flags).toJs(), quantifiable: true };
      case '^':
        return { js: flags.multiline ? '(?:(?<![\\s\\S])|(?<=\\n)(?=[\\s\\S]))' : '^', quantifiable: false };
      case '$':
        if (flags.multiline) return { js: '(?![^\\n])', quantifiable: false };
        return { js: this.endAnchor(flags.dollarEndOnly), quantifiable: false };
      case '\\':
        return this.escape(flags, start);
      default:
        return { js: literalByte(ch.charCodeAt(0), flags.caseless), quantifiable: true };
    }
  }

  private endAnchor(endOnly: boolean): string {
    if (endOnly || this.dollar === 'end-only') return '$';
    return '(?=\\n?$)';
  }

  private group(outer: PcreOptions, depth: number): Atom {
    let flags = { ...outer };
    let prefix = '';
    let atomic = false;
    if (this.peek() === '*') this.fail('(*VERB) not recognized or malformed', this.pos + 1);
    if (this.peek() === '?') {
      this.pos++;
      const c = this.peek();
      const rest = this.re.slice(this.pos);
      if (c === '#') {
        const end = this.re.indexOf(')', this.pos);
        if (end < 0) this.fail('missing ) after (?# comment', this.re.length);
        this.pos = end + 1;
        return { js: '', quantifiable: false };
      } else if (c === ':') {
        this.pos++;
        prefix = '(?:';
      } else if (c === '=' || c === '!') {
        this.pos++;
        prefix = `(?${c}`;
      } else if (rest.startsWith('<=') || rest.startsWith('<!')) {
        this.pos += 2;
        prefix = `(?${rest.slice(0, 2)}`;
      } else if (c === '>') {
        this.pos++;
        atomic = true;
        prefix = '(?:';
      } else if (c === '<' || c === "'" || rest.startsWith('P<')) {
        this.pos += c === 'P' ? 2 : 1;
        const close = c === "'" ? "'" : '>';
        const nameStart = this.pos;
        const m = /^[A-Za-z0-9_]+/.exec(this.re.slice(this.pos));
        if (!m) this.fail('subpattern name expected', this.pos);
        if (/^\d/.test(m[0])) this.fail('subpattern name must start with a non-digit', nameStart);
        this.pos += m[0].length;
        if (this.peek() !== close) this.fail('syntax error in subpattern name (missing terminator?)');
        this.pos++;
        if (this.names.has(m[0])) {
          this.fail('two named subpatterns have the same name (PCRE2_DUPNAMES not set)', this.pos);
        }
        prefix = this.newGroup();
        this.names.set(m[0], this.pcreGroups);
      } else if (rest.startsWith('P=')) {
        this.pos += 2;
        const m = /^([A-Za-z_][A-Za-z0-9_]*)\)/.exec(this.re.slice(this.pos));
        if (!m) this.fail('syntax error in subpattern name (missing terminator?)');
        this.pendingNames.push({ name: m[1]!, offset: this.pos });
        this.pos += m[0].length;
        return { js: this.backref(`name:${m[1]}`), quantifiable: true };
      } else if (c === '|') {
        this.fail('branch reset groups (?|...) are not supported by Outpost', this.pos);
      } else if (c === '(') {
        this.fail('conditional groups (?(...)...) are not supported by Outpost', this.pos);
      } else if (/^(?:R|&|P>|[-+]?[0-9])/.test(rest)) {
        this.fail('recursion and subroutine calls are not supported by Outpost', this.pos);
      } else if (c === 'C') {
        this.fail('callouts (?C) are not supported by Outpost', this.pos);
      } else {
        // Option setting: (?imsxU-imsxU) or (?imsxU-imsxU:...), or (?^...).
        const m = /^(\^)?([imsxUn]*)(?:-([imsxUn]*))?([:)])/.exec(rest);
        if (!m) this.fail('unrecognized character after (? or (?-', this.pos);
        const set = (letters: string, on: boolean): void => {
          for (const letter of letters) {
            if (letter === 'i') flags.caseless = on;
            else if (letter === 'm') flags.multiline = on;
            else if (letter === 's') flags.dotall = on;
            else if (letter === 'x') flags.extended = on;
            else if (letter === 'U') flags.ungreedy = on;
            else this.fail('the (?n) option is not supported by Outpost', this.pos);
          }
        };
        if (m[1])
          flags = {
            ...flags,
            caseless: false,
            multiline: false,
            dotall: false,
            extended: false,
            ungreedy: false,
          };
        set(m[2]!, true);
        set(m[3] ?? '', false);
        this.pos += m[0].length;
        if (m[4] === ')') {
          // Applies to the rest of the enclosing group: mutate the caller's flags.
          Object.assign(outer, flags);
          return { js: '', quantifiable: false };
        }
        prefix = '(?:';
      }
    } else {
      prefix = this.newGroup();
    }
    const inner = this.alternation(flags, depth + 1);
    if (this.peek() !== ')') this.fail('missing closing parenthesis', this.re.length);
    this.pos++;
    const js = `${prefix}${inner})`;
    return { js: atomic ? this.atomic(js) : js, quantifiable: true };
  }

  /** One escape outside a class (position just after the backslash). */
  private escape(flags: PcreOptions, start: number): Atom {
    const ch = this.peek();
    if (ch === undefined) this.fail('\\ at end of pattern', this.pos);
    const set = this.classEscape(false);
    if (set) return { js: (flags.caseless ? set.foldAsciiCase() : set).toJs(), quantifiable: true };
    this.pos++;
    switch (ch) {
      case 'A':
      case 'G':
        // The JS "m" flag is never used, so "^" is the start of the subject.
        return { js: '^', quantifiable: false };
      case 'z':
        return { js: '$', quantifiable: false };
      case 'Z':
        return { js: this.endAnchor(false), quantifiable: false };
      case 'b':
        return { js: '\\b', quantifiable: false };
      case 'B':
        return { js: '\\B', quantifiable: false };
      case 'R':
        return { js: '(?:\\r\\n|[\\n\\v\\f\\r\\x85])', quantifiable: true };
      case 'Q': {
        const end = this.re.indexOf('\\E', this.pos);
        const text = end < 0 ? this.re.slice(this.pos) : this.re.slice(this.pos, end);
        this.pos = end < 0 ? this.re.length : end + 2;
        const js = [...text].map((c) => literalByte(c.charCodeAt(0), flags.caseless)).join('');
        return { js: text.length === 1 ? js : `(?:${js})`, quantifiable: text.length > 0 };
      }
      case 'E':
        return { js: '', quantifiable: false };
      case 'k':
      case 'g':
        return this.namedOrRelativeBackref(ch, start);
      case 'K':
      case 'X':
      case 'C':
      case 'p':
      case 'P':
        this.fail(`\\${ch} is not supported by Outpost`, this.pos);
    }
    if (ch >= '1' && ch <= '9') {
      this.pos--;
      const digits = /^\d+/.exec(this.re.slice(this.pos))![0];
      const n = Number(digits);
      if (n < 10 || n <= this.pcreGroups) {
        this.pendingNumbers.push({ n, offset: this.pos });
        this.pos += digits.length;
        return { js: this.backref(`p${n}`), quantifiable: true };
      }
      // Not a back-reference: an octal escape (PCRE rule for \10 and up).
    }
    this.pos = start + 1;
    const code = this.characterEscape();
    return { js: literalByte(code, flags.caseless), quantifiable: true };
  }

  private namedOrRelativeBackref(kind: string, start: number): Atom {
    const rest = this.re.slice(this.pos);
    let m = /^(?:<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)'|\{([A-Za-z_]\w*)\})/.exec(rest);
    if (m) {
      this.pos += m[0].length;
      const name = m[1] ?? m[2] ?? m[3]!;
      this.pendingNames.push({ name, offset: start + 3 });
      return { js: this.backref(`name:${name}`), quantifiable: true };
    }
    if (kind === 'g') {
      m = /^(?:\{(-?\d+)\}|(-?\d+))/.exec(rest);
      if (m) {
        this.pos += m[0].length;
        let n = Number(m[1] ?? m[2]);
        if (n < 0) n = this.pcreGroups + 1 + n;
        if (n <= 0) this.fail('reference to non-existent subpattern', this.pos);
        this.pendingNumbers.push({ n, offset: this.pos });
        return { js: this.backref(`p${n}`), quantifiable: true };
      }
      this.fail('subroutine calls \\g<...> are not supported by Outpost', this.pos);
    }
    this.fail('\\k is not followed by a braced, angle-bracketed, or quoted name', this.pos);
  }

  /** \d \D \w \W \s \S \h \H \v \V \N as byte sets (position at the letter); else undefined. */
  private classEscape(inClass: boolean): ByteSet | undefined {
    const ch = this.peek();
    let set: ByteSet | undefined;
    switch (ch) {
      case 'd':
        set = new ByteSet().addSet(DIGIT);
        break;
      case 'D':
        set = DIGIT.complement();
        break;
      case 'w':
        set = new ByteSet().addSet(WORD);
        break;
      case 'W':
        set = WORD.complement();
        break;
      case 's':
        set = new ByteSet().addSet(SPACE);
        break;
      case 'S':
        set = SPACE.complement();
        break;
      case 'h':
        set = new ByteSet().addSet(HSPACE);
        break;
      case 'H':
        set = HSPACE.complement();
        break;
      case 'v':
        set = new ByteSet().addSet(VSPACE);
        break;
      case 'V':
        set = VSPACE.complement();
        break;
      case 'N':
        if (inClass) return undefined;
        set = new ByteSet().add(0x0a).complement();
        break;
      default:
        return undefined;
    }
    this.pos++;
    return set;
  }

  /** A single-character escape (position at the character after the backslash). */
  private characterEscape(): number {
    const ch = this.re[this.pos++]!;
    switch (ch) {
      case 'a':
        return 0x07;
      case 'e':
        return 0x1b;
      case 'f':
        return 0x0c;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 't':
        return 0x09;
      case 'c': {
        const c = this.re[this.pos++];
        if (c === undefined) this.fail('\\c at end of pattern', this.pos - 1);
        return c.toUpperCase().charCodeAt(0) ^ 0x40;
      }
      case 'x': {
        let m = /^\{([0-9A-Fa-f]+)\}/.exec(this.re.slice(this.pos));
        if (m) {
          this.pos += m[0].length;
          const v = Number.parseInt(m[1]!, 16);
          if (v > 0xff) this.fail('character code point value in \\x{} or \\o{} is too large', this.pos - 1);
          return v;
        }
        m = /^[0-9A-Fa-f]{0,2}/.exec(this.re.slice(this.pos))!;
        this.pos += m[0].length;
        return m[0] === '' ? 0 : Number.parseInt(m[0], 16);
      }
      case 'o': {
        const m = /^\{([0-7]+)\}/.exec(this.re.slice(this.pos));
        if (!m) this.fail('missing opening brace after \\o', this.pos);
        this.pos += m[0].length;
        const v = Number.parseInt(m[1]!, 8);
        if (v > 0xff) this.fail('character code point value in \\x{} or \\o{} is too large', this.pos - 1);
        return v;
      }
    }
    if (ch >= '0' && ch <= '7') {
      const m = /^[0-7]{0,2}/.exec(this.re.slice(this.pos))!;
      this.pos += m[0].length;
      return Number.parseInt(ch + m[0], 8) & 0xff;
    }
    if (/[A-Za-z0-9]/.test(ch)) this.fail('unrecognized character follows \\', this.pos - 1);
    return ch.charCodeAt(0);
  }

  /** A character class; position just after "[". */
  private charClass(flags: PcreOptions): ByteSet {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    const set = new ByteSet();
    let first = true;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) this.fail('missing terminating ] for character class', this.re.length);
      if (ch === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (ch === '[' && /^\[:\^?[a-z]+:\]/.test(this.re.slice(this.pos))) {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.re.slice(this.pos))!;
        const cls = posixClass(m[2]!);
        if (!cls) this.fail('unknown POSIX class name', this.pos + 2);
        set.addSet(m[1] ? cls.complement() : cls);
        this.pos += m[0].length;
        continue;
      }
      if (ch === '\\') {
        this.pos++;
        if (this.peek() === undefined) this.fail('\\ at end of pattern', this.pos);
        const special = this.classEscape(true);
        if (special) {
          set.addSet(special);
          continue;
        }
      }
      const from = ch === '\\' ? this.classCharacter() : this.re.charCodeAt(this.pos++);
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        const save = this.pos;
        this.pos++;
        if (this.peek() === '[' && /^\[:\^?[a-z]+:\]/.test(this.re.slice(this.pos))) {
          // "a-[:digit:]": the "-" is a literal.
          this.pos = save;
          set.add(from);
          continue;
        }
        let to: number;
        if (this.peek() === '\\') {
          this.pos++;
          if (this.classEscape(true)) this.fail('invalid range in character class', this.pos - 1);
          to = this.classCharacter();
        } else {
          to = this.re.charCodeAt(this.pos++);
        }
        if (to < from) this.fail('range out of order in character class', this.pos - 1);
        set.addRange(from, to);
      } else {
        set.add(from);
      }
    }
    if (flags.caseless) set.foldAsciiCase();
    return negate ? set.complement() : set;
  }

  /** An escaped character inside a class; position at the character after the backslash. */
  private classCharacter(): number {
    const ch = this.peek();
    if (ch === 'b') {
      this.pos++;
      return 0x08;
    }
    if (ch !== undefined && /[0-9]/.test(ch)) {
      // Octal only inside a class (no back-references there).
      if (ch === '8' || ch === '9') {
        this.pos++;
        return ch.charCodeAt(0);
      }
      const m = /^[0-7]{1,3}/.exec(this.re.slice(this.pos))!;
      this.pos += m[0].length;
      return Number.parseInt(m[0], 8) & 0xff;
    }
    return this.characterEscape();
  }
}

/** Translate; throws PcreSyntaxError with PCRE2-style message text and offset. */
export function translatePcre(pattern: string, options: PcreOptions, dollar: DollarMode): TranslatedPcre {
  return new Translator(pattern, dollar).run(options);
}
