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
//
// The parser works on bytes and hands out byte ranges, so building a million-entry table
// creates no per-line strings. Folding and NUL conventions are the caller's business.
import { isAscii, isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';

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

/**
 * Called for every well-formed entry: key bytes [keyStart, keyEnd) and value bytes
 * [valueStart, valueEnd) of `buf`, and the first line number. The handler may overwrite the
 * bytes at keyEnd and valueEnd (the parser guarantees both exist and are no longer needed) and
 * the key bytes themselves.
 */
export type EntryHandler = (
  buf: Buffer,
  keyStart: number,
  keyEnd: number,
  valueStart: number,
  valueEnd: number,
  line: number,
) => void;

const NL = 10;

/** ISSPACE() in Postfix: ASCII space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function text(buf: Buffer, start: number, end: number): string {
  return buf.toString('utf8', start, end);
}

/**
 * With smtputf8_enable, a logical line that is not valid UTF-8 is skipped with Postfix's
 * warning (postmap, postalias and texthash: alike). False when the line must be skipped.
 */
export function checkUtf8(
  buf: Buffer,
  s: number,
  e: number,
  lineNo: number,
  o: Pick<SourceParserOptions, 'utf8' | 'displayName' | 'warn'>,
  allAscii: boolean,
): boolean {
  if (!o.utf8 || allAscii) return true;
  let ascii = true;
  for (let i = s; i < e; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii && !isUtf8(buf.subarray(s, e))) {
    o.warn(`${o.displayName}, line ${lineNo}: non-UTF-8 input "${text(buf, s, e)}" -- ignoring this line`);
    return false;
  }
  return true;
}

function parseLogical(
  buf: Buffer,
  s: number,
  e: number,
  lineNo: number,
  o: SourceParserOptions,
  onEntry: EntryHandler,
  allAscii: boolean,
): void {
  if (!checkUtf8(buf, s, e, lineNo, o, allAscii)) return;
  // The key ends at the first unquoted whitespace character.
  let inQuotes = false;
  let k = s;
  for (; k < e; k++) {
    const c = buf[k]!;
    if (c === 92 /* \ */) {
      if (++k >= e) break;
    } else if (isSpace(c)) {
      if (!inQuotes) break;
    } else if (c === 34 /* " */) {
      inQuotes = !inQuotes;
    }
  }
  if (k > e) k = e;
  if (inQuotes) {
    o.warn(`${o.displayName}, line ${lineNo}: unbalanced '"' in '${text(buf, s, e)}' -- ignoring this line`);
    return;
  }
  let v = k + 1;
  while (v < e && isSpace(buf[v]!)) v++;
  let ve = e;
  while (ve > v && isSpace(buf[ve - 1]!)) ve--;
  if (k === s || v >= ve) {
    o.warn(
      `${o.displayName}, line ${lineNo}: expected format: key whitespace value${o.style === 'texthash' ? ' -- ignoring this line' : ''}`,
    );
    return;
  }
  if (buf[k - 1] === 58 /* : */) {
    o.warn(`${o.displayName}, line ${lineNo}: record is in "key: value" format; is this an alias file?`);
  }
  onEntry(buf, s, k, v, ve, lineNo);
}

/**
 * Parses bytes [0, end) of `buf`. When end < buf.length the byte at `end` may be overwritten by
 * the handler (callers that NUL-terminate in place allocate one spare byte).
 */
export function parseSource(
  buf: Buffer,
  options: SourceParserOptions,
  onEntry: EntryHandler,
  end: number = buf.length,
): void {
  forEachLogicalLine(
    buf,
    options,
    (b, s, e, lineNo, allAscii) => parseLogical(b, s, e, lineNo, options, onEntry, allAscii),
    end,
  );
}

/**
 * A logical line: bytes [s, e) of `buf` (the source buffer, or a joined copy when the line had
 * continuation lines), the number of its first physical line, and whether the whole source is
 * ASCII (so per-line UTF-8 checks can be skipped).
 */
export type LogicalLineHandler = (
  buf: Buffer,
  s: number,
  e: number,
  lineNo: number,
  allAscii: boolean,
) => void;

/**
 * Postfix's readllines(): joins continuation lines, skips blank and comment lines, and warns
 * about a continuation with no line before it. Shared by postmap's and postalias's parsers.
 */
export function forEachLogicalLine(
  buf: Buffer,
  options: Pick<SourceParserOptions, 'displayName' | 'warn'>,
  onLine: LogicalLineHandler,
  end: number = buf.length,
): void {
  let physical = 0;
  // One native scan spares the per-line UTF-8 checks for the common all-ASCII file.
  const allAscii = isAscii(buf.subarray(0, end));
  // The logical line being collected: its first physical line, and any continuation pieces.
  let first = -1;
  let firstEnd = 0;
  let firstLine = 0;
  let pieces: [number, number][] | undefined;

  const flush = (): void => {
    if (first < 0) return;
    let b = buf;
    let s = first;
    let e = firstEnd;
    if (pieces !== undefined) {
      const parts = [buf.subarray(first, firstEnd), ...pieces.map(([a, z]) => buf.subarray(a, z))];
      const total = parts.reduce((n, p) => n + p.length, 0);
      b = Buffer.alloc(total + 1);
      let at = 0;
      for (const p of parts) at += p.copy(b, at);
      s = 0;
      e = total;
      pieces = undefined;
    }
    first = -1;
    if (isSpace(b[s]!)) {
      // readllines(): continuing text without preceding text.
      const shown = text(b, s, Math.min(e, s + 30));
      options.warn(
        `${options.displayName}: logical line must not start with whitespace: "${shown}${e - s > 30 ? '...' : ''}"`,
      );
      return;
    }
    onLine(b, s, e, firstLine, allAscii);
  };

  let pos = 0;
  while (pos < end) {
    let nl = buf.indexOf(NL, pos);
    if (nl < 0 || nl >= end) nl = end;
    physical++;
    let i = pos;
    while (i < nl && isSpace(buf[i]!)) i++;
    // Blank and comment lines neither start nor end a logical line.
    if (i < nl && buf[i] !== 35 /* # */) {
      if (i > pos && first >= 0) {
        (pieces ??= []).push([pos, nl]);
      } else {
        flush();
        first = pos;
        firstEnd = nl;
        firstLine = physical;
      }
    }
    pos = nl + 1;
  }
  flush();
}

/**
 * Reads a whole source file (in large chunks) into one buffer with a spare byte at the end,
 * then parses it. Open and read errors are thrown as is (Node system errors).
 */
export async function parseSourceFile(
  path: string,
  options: SourceParserOptions,
  onEntry: EntryHandler,
): Promise<Buffer> {
  const buf = await readWithSpare(path);
  parseSource(buf, options, onEntry, buf.length - 1);
  return buf;
}

/** Bytes per read of a source file. */
const CHUNK = 1 << 22;

/**
 * File content plus one spare byte (content = buf.subarray(0, buf.length - 1)). `progress`,
 * when given, sees the bytes as they arrive: called with the buffer and how many bytes of it
 * are read after each chunk (while the next chunk is being read), and once more at the end
 * with `last` true.
 */
export async function readWithSpare(
  path: string,
  progress?: (buf: Buffer, avail: number, last: boolean) => void,
): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe((await fh.stat()).size + 1);
    let used = 0;
    if (progress !== undefined) {
      // Reads ahead: chunk k+1 is on its way while chunk k is handed to `progress`.
      let next = buf.length > 1 ? fh.read(buf, 0, Math.min(buf.length - 1, CHUNK), null) : undefined;
      while (next !== undefined) {
        const { bytesRead } = await next;
        if (bytesRead === 0) break;
        used += bytesRead;
        const room = buf.length - 1 - used;
        next = room > 0 ? fh.read(buf, used, Math.min(room, CHUNK), null) : undefined;
        progress(buf, used, false);
      }
    }
    for (;;) {
      const room = buf.length - 1 - used;
      if (room === 0) {
        // Full as far as stat() said: see whether the file grew while we read it.
        const probe = Buffer.allocUnsafe(1 << 16);
        const { bytesRead } = await fh.read(probe, 0, probe.length, null);
        if (bytesRead === 0) break;
        const bigger = Buffer.allocUnsafe(buf.length * 2 + bytesRead);
        buf.copy(bigger, 0, 0, used);
        probe.copy(bigger, used, 0, bytesRead);
        used += bytesRead;
        buf = bigger;
        continue;
      }
      const { bytesRead } = await fh.read(buf, used, Math.min(room, CHUNK), null);
      if (bytesRead === 0) break;
      used += bytesRead;
    }
    buf[used] = 0;
    const out = buf.subarray(0, used + 1);
    progress?.(out, used, true);
    return out;
  } finally {
    await fh.close();
  }
}
