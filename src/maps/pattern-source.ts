// The rule-file reader shared by the pattern tables (regexp:, pcre:, cidr:): it turns a file, or
// the Postfix 3.7 inline form "{ {rule1}, {rule2} }", into logical lines with the line number
// Postfix reports in its warnings (readllines(3) and dict_stream_open() in Postfix).
//
// Everything here works on "byte strings": each byte of the file is one UTF-16 code unit
// (latin1 decoding). Postfix matches bytes in the C locale, so `.` matches one byte of a
// UTF-8 character, and only ASCII letters fold case; byte strings give that for free.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { TableError, type OpenOptions } from './types.js';

/** Options the pattern drivers accept on top of the shared OpenOptions. */
export interface PatternOpenOptions extends OpenOptions {
  /**
   * Receives each warning Postfix would log with msg_warn(), without the "warning: " prefix
   * (e.g. `regexp map /etc/postfix/x, line 3: ...`). Default: stderr as "warning: <text>".
   */
  warn?: (message: string) => void;
  /**
   * Reject rules whose result uses $number substitution, as Postfix's trivial-rewrite does for
   * transport_maps and sender_dependent_relayhost_maps (DICT_FLAG_NO_REGSUB).
   */
  noRegexpSubstitution?: boolean;
}

/** One logical line: continuation lines joined, trailing blanks removed. */
export interface LogicalLine {
  /** Byte string (latin1-decoded). */
  readonly text: string;
  /** Line number of the first physical line, as Postfix reports it. */
  readonly lineno: number;
}

export interface PatternSource {
  /** The map name as Postfix prints it in warnings: the path, or the "{...}" text. */
  readonly label: string;
  readonly lines: LogicalLine[];
}

/** C-locale isspace(): the only whitespace Postfix's parsers know. */
export function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f';
}

export function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && /^[A-Za-z0-9]$/.test(ch);
}

/** Remove trailing C-locale whitespace (Postfix trimblanks()). */
export function trimTrailingBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && isSpace(s[end - 1])) end--;
  return s.slice(0, end);
}

/** JS string -> byte string (UTF-8 bytes, one code unit each). */
export function toBytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** Byte string -> JS string (the bytes are UTF-8 in practice; invalid bytes become U+FFFD). */
export function fromBytes(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Default warning sink, mirroring msg_warn() on stderr. */
export function defaultWarn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/**
 * Make a warning printable the way Postfix's msg_vprintf() does: ASCII control characters
 * become '?'. The input is a byte string; the output a normal string.
 */
export function printableWarning(byteText: string): string {
  return fromBytes(byteText.replace(/[\x00-\x1f\x7f]/g, '?'));
}

/** A warning function that takes byte strings and applies Postfix's sanitising. */
export function makeWarn(options: PatternOpenOptions): (byteText: string) => void {
  const sink = options.warn ?? defaultWarn;
  return (byteText) => sink(printableWarning(byteText));
}

/**
 * Split text into logical lines as readllines() does: '#' comment lines and blank lines are
 * dropped (even between a line and its continuation), a line starting with whitespace continues
 * the previous one (the newline is removed, the whitespace kept), and a logical line that
 * would start with whitespace is reported and skipped.
 */
export function splitLogicalLines(
  text: string,
  streamName: string,
  warn: (t: string) => void,
): LogicalLine[] {
  const physical = text.split('\n');
  // A final "\n" does not start another (empty) line.
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  const out: LogicalLine[] = [];
  let buf = '';
  let first = 0;
  const flush = (): void => {
    if (buf.length === 0) return;
    if (isSpace(buf[0])) {
      const shown = buf.length > 30 ? `${buf.slice(0, 30)}...` : buf;
      warn(`${streamName}: logical line must not start with whitespace: "${shown}"`);
    } else {
      out.push({ text: trimTrailingBlanks(buf), lineno: first });
    }
    buf = '';
  };
  physical.forEach((line, index) => {
    const lineno = index + 1;
    const firstNonBlank = line.split('').find((c) => !isSpace(c));
    if (firstNonBlank === undefined || firstNonBlank === '#') return; // comment or blank
    if (buf.length > 0 && !isSpace(line[0])) flush();
    if (buf.length === 0) first = lineno;
    buf += line;
  });
  flush();
  return out;
}

// --- the inline form "{ {rule}, {rule} }" (dict_stream_open() in Postfix 3.7) ---

/** Length of the balanced "{...}" at the start of s, or 0 (Postfix balpar()). */
function balancedLength(s: string): number {
  if (s[0] !== '{') return 0;
  let level = 1;
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '}') {
      if (--level === 0) return i + 1;
    } else if (s[i] === '{') level++;
  }
  return 0;
}

/** Strip one level of braces (Postfix extpar()); returns [inner text, error or undefined]. */
function stripBraces(text: string, strip: boolean): [string, string | undefined] {
  let inner: string;
  let err: string | undefined;
  if (text[0] !== '{') {
    err = `no '{' at start of text in "${text}"`;
    inner = text;
  } else {
    const len = balancedLength(text);
    if (len === 0) {
      err = `missing '}' in "${text}"`;
      inner = text.slice(1);
    } else {
      if (len !== text.length) err = `syntax error after '}' in "${text}"`;
      inner = text.slice(1, len - 1);
    }
  }
  if (strip) inner = trimTrailingBlanks(inner).replace(/^[ \t\n\r\v\f]+/, '');
  return [inner, err];
}

/** Split on ", \t\r\n" outside braces (Postfix mystrtokq()). */
function splitOutsideBraces(text: string): string[] {
  const sep = ', \t\r\n';
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && sep.includes(text[i]!)) i++;
    if (i >= text.length) break;
    let level = 0;
    const start = i;
    for (; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '{') level++;
      else if (level > 0 && ch === '}') level--;
      else if (level === 0 && sep.includes(ch)) break;
    }
    out.push(text.slice(start, i));
    i++;
  }
  return out;
}

/**
 * The in-memory file Postfix builds from "{ {rule-1}, {rule-2} }": one rule per line.
 * Throws TableError with Postfix's wording ("regexp map: missing '}' in ...").
 */
export function inlineRulesToText(type: string, name: string): string {
  const [inner, outerErr] = stripBraces(name, false);
  if (outerErr) throw new TableError(`${type} map: ${outerErr}`, `${type}:${fromBytes(name)}`);
  let text = '';
  for (const token of splitOutsideBraces(inner)) {
    const [rule, err] = stripBraces(token, true);
    if (err) throw new TableError(`${type} map: ${err}`, `${type}:${fromBytes(name)}`);
    text += `${rule}\n`;
  }
  return text;
}

/**
 * Read a pattern table: a file path (a relative path resolves against options.configDir when
 * given, else against the working directory as in Postfix) or the inline "{...}" form.
 * Throws TableError("open PATH: REASON") when the file cannot be read, as Postfix's surrogate
 * table does.
 */
export async function readPatternSource(
  type: string,
  name: string,
  options: PatternOpenOptions,
  warn: (byteText: string) => void,
): Promise<PatternSource> {
  if (name.startsWith('{')) {
    const label = toBytes(name);
    // The in-memory stream has no path; its lines never start with whitespace anyway.
    return { label, lines: splitLogicalLines(inlineRulesToText(type, label), label, warn) };
  }
  const path = isAbsolute(name) || !options.configDir ? name : resolve(options.configDir, name);
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') {
      // Postfix opens a directory fine and then fails to read it: dict_cidr.c treats the read
      // error as fatal, dict_regexp.c and dict_pcre.c just see an empty table.
      if (type === 'cidr')
        throw new TableError(`cidr map ${name}: read error: Is a directory`, `${type}:${name}`);
      return { label: toBytes(name), lines: [] };
    }
    throw new TableError(`open ${name}: ${describeError(e)}`, `${type}:${name}`);
  }
  const label = toBytes(name);
  return { label, lines: splitLogicalLines(content.toString('latin1'), label, warn) };
}

/** strerror()-style text for Node fs errors. */
export function describeError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory',
    ELOOP: 'Too many levels of symbolic links',
    EMFILE: 'Too many open files',
  };
  if (code && known[code]) return known[code]!;
  return e instanceof Error ? e.message : String(e);
}
