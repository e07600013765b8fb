// The one parser for Postfix table source files (postmap input, texthash:, postmap -i stdin).
// Format (Postfix readllines() + postmap.c):
//  - a line whose first non-blank character is '#', and an all-blank line, is ignored and does
//    not end a logical line;
//  - a line that starts with whitespace continues the previous logical line: the newline goes,
//    the leading whitespace stays ("k a,\n    b" -> value "a,    b");
//  - the key ends at the first whitespace outside double quotes ('\' protects the next
//    character; quotes and backslashes stay part of the key); the value is trimmed;
//  - "key" alone is skipped with "expected format: key whitespace value".
// Warnings name the file and the first physical line of the logical line, as Postfix does.
// Keys and values come out as byte strings (bytes.ts); folding is the caller's business.
import { open } from 'node:fs/promises';
import { fromByteString as text, isAscii, isUtf8ByteString } from './bytes.js';

export interface SourceParserOptions {
  /** The name used in warnings (the path as given, or "stdin"). */
  displayName: string;
  /** Skip lines that are not UTF-8 (smtputf8_enable=yes). */
  utf8: boolean;
  /**
   * texthash: adds " -- ignoring this line" to the format warning (dict_thash.c wording);
   * postmap's own builder does not.
   */
  style: 'postmap' | 'texthash';
  warn: (message: string) => void;
}

/** Called for every well-formed entry: byte-string key and value, first line number. */
export type EntryHandler = (key: string, value: string, line: number) => void;

const NL = 10;

/** ISSPACE() in Postfix: ASCII space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Streaming parser: feed chunks with push(), then call end(). */
export class SourceParser {
  private carry: Buffer | undefined;
  private physical = 0;
  /** The logical line being collected (byte string), or '' when none. */
  private logical = '';
  private logicalLine = 0;

  constructor(
    private readonly options: SourceParserOptions,
    private readonly onEntry: EntryHandler,
  ) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry !== undefined) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    let pos = 0;
    const len = buf.length;
    for (;;) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      this.physicalLine(buf, pos, nl);
      pos = nl + 1;
    }
    if (pos < len) this.carry = buf.subarray(pos);
  }

  end(): void {
    if (this.carry !== undefined && this.carry.length > 0) {
      const c = this.carry;
      this.carry = undefined;
      this.physicalLine(c, 0, c.length);
    }
    this.flush();
  }

  private physicalLine(buf: Buffer, start: number, end: number): void {
    this.physical++;
    // Blank or comment lines are invisible: they neither start nor end a logical line.
    let i = start;
    while (i < end && isSpace(buf[i]!)) i++;
    if (i === end || buf[i] === 35 /* # */) return;
    const text = buf.toString('latin1', start, end);
    if (i > start && this.logical !== '') {
      this.logical += text;
      return;
    }
    this.flush();
    this.logical = text;
    this.logicalLine = this.physical;
  }

  private flush(): void {
    const line = this.logical;
    if (line === '') return;
    this.logical = '';
    const o = this.options;
    if (isSpace(line.charCodeAt(0))) {
      // readllines(): continuing text without preceding text.
      o.warn(
        `${o.displayName}: logical line must not start with whitespace: "${text(line.slice(0, 30))}${line.length > 30 ? '...' : ''}"`,
      );
      return;
    }
    this.parseLogical(line, this.logicalLine);
  }

  private parseLogical(line: string, lineNo: number): void {
    const o = this.options;
    if (o.utf8 && !isAscii(line) && !isUtf8ByteString(line)) {
      o.warn(`${o.displayName}, line ${lineNo}: non-UTF-8 input "${text(line)}" -- ignoring this line`);
      return;
    }
    // The key ends at the first unquoted whitespace character.
    const n = line.length;
    let inQuotes = false;
    let k = 0;
    for (; k < n; k++) {
      const c = line.charCodeAt(k);
      if (c === 92 /* \ */) {
        if (++k >= n) break;
      } else if (isSpace(c)) {
        if (!inQuotes) break;
      } else if (c === 34 /* " */) {
        inQuotes = !inQuotes;
      }
    }
    if (inQuotes) {
      o.warn(`${o.displayName}, line ${lineNo}: unbalanced '"' in '${text(line)}' -- ignoring this line`);
      return;
    }
    const key = line.slice(0, Math.min(k, n));
    let v = k + 1;
    while (v < n && isSpace(line.charCodeAt(v))) v++;
    let e = n;
    while (e > v && isSpace(line.charCodeAt(e - 1))) e--;
    const value = v < e ? line.slice(v, e) : '';
    if (key === '' || value === '') {
      o.warn(
        `${o.displayName}, line ${lineNo}: expected format: key whitespace value${o.style === 'texthash' ? ' -- ignoring this line' : ''}`,
      );
      return;
    }
    if (key.charCodeAt(key.length - 1) === 58 /* : */) {
      o.warn(`${o.displayName}, line ${lineNo}: record is in "key: value" format; is this an alias file?`);
    }
    this.onEntry(key, value, lineNo);
  }
}

/** Parses a whole file by streaming it in large chunks. Throws the open/read error as is. */
export async function parseSourceFile(
  path: string,
  options: SourceParserOptions,
  onEntry: EntryHandler,
): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const parser = new SourceParser(options, onEntry);
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      // push() keeps no reference to the chunk except an unterminated tail, which it copies.
      parser.push(Buffer.from(chunk.subarray(0, bytesRead)));
    }
    parser.end();
  } finally {
    await fh.close();
  }
}
