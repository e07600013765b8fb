// Sets of bytes (0..255) rendered as JavaScript character classes. Both regex translators build
// bracket expressions and case folding through this, so the C-locale rules (only ASCII letters
// have case; no multi-byte characters) hold exactly.

export class ByteSet {
  private readonly bits = new Uint8Array(256);

  add(code: number): this {
    this.bits[code] = 1;
    return this;
  }

  addRange(from: number, to: number): this {
    for (let c = from; c <= to; c++) this.bits[c] = 1;
    return this;
  }

  addSet(other: ByteSet): this {
    for (let c = 0; c < 256; c++) if (other.bits[c]) this.bits[c] = 1;
    return this;
  }

  has(code: number): boolean {
    return this.bits[code] === 1;
  }

  /** Add the other case of every ASCII letter in the set. */
  foldAsciiCase(): this {
    for (let c = 0x41; c <= 0x5a; c++) {
      if (this.bits[c] || this.bits[c + 0x20]) this.bits[c] = this.bits[c + 0x20] = 1;
    }
    return this;
  }

  complement(): ByteSet {
    const out = new ByteSet();
    for (let c = 0; c < 256; c++) if (!this.bits[c]) out.bits[c] = 1;
    return out;
  }

  /** A JS regex atom matching exactly these bytes (as latin1 code units). */
  toJs(): string {
    const ranges: string[] = [];
    let count = 0;
    for (let c = 0; c < 256; c++) {
      if (!this.bits[c]) continue;
      let end = c;
      while (end + 1 < 256 && this.bits[end + 1]) end++;
      count += end - c + 1;
      ranges.push(end === c ? hex(c) : end === c + 1 ? hex(c) + hex(end) : `${hex(c)}-${hex(end)}`);
      c = end;
    }
    if (count === 0) return '[^\\s\\S]';
    if (count === 1) return ranges[0]!;
    return `[${ranges.join('')}]`;
  }
}

export function hex(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** POSIX character classes in the C locale (as glibc defines them). */
export function posixClass(name: string): ByteSet | undefined {
  const s = new ByteSet();
  switch (name) {
    case 'alpha':
      return s.addRange(0x41, 0x5a).addRange(0x61, 0x7a);
    case 'upper':
      return s.addRange(0x41, 0x5a);
    case 'lower':
      return s.addRange(0x61, 0x7a);
    case 'digit':
      return s.addRange(0x30, 0x39);
    case 'xdigit':
      return s.addRange(0x30, 0x39).addRange(0x41, 0x46).addRange(0x61, 0x66);
    case 'alnum':
      return s.addRange(0x30, 0x39).addRange(0x41, 0x5a).addRange(0x61, 0x7a);
    case 'punct':
      return s.addRange(0x21, 0x2f).addRange(0x3a, 0x40).addRange(0x5b, 0x60).addRange(0x7b, 0x7e);
    case 'space':
      return s.addRange(0x09, 0x0d).add(0x20);
    case 'blank':
      return s.add(0x09).add(0x20);
    case 'cntrl':
      return s.addRange(0x00, 0x1f).add(0x7f);
    case 'graph':
      return s.addRange(0x21, 0x7e);
    case 'print':
      return s.addRange(0x20, 0x7e);
    case 'word':
      return s.addRange(0x30, 0x39).addRange(0x41, 0x5a).addRange(0x61, 0x7a).add(0x5f);
    default:
      return undefined;
  }
}

/** One literal byte, case-folded when asked (C locale: ASCII letters only). */
export function literalByte(code: number, icase: boolean): string {
  const set = new ByteSet().add(code);
  if (icase) set.foldAsciiCase();
  return set.toJs();
}
