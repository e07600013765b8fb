// MAIL FROM / RCPT TO argument parsing: the path (with or without <>, since Postfix's
// strict_rfc821_envelopes defaults to no) and the ESMTP parameters after it. The address
// is turned into Postfix's "internal" form: source route (@a,@b:) removed, quotes and
// backslash escapes removed. Replies quote the internal form (Postfix prints
// "<x@remote@us>: Relay access denied"); log lines re-quote it ("to=<"x@remote"@us>").

export interface ParsedPath {
  /** Internal (unquoted, source route removed) address; "" for <>. */
  address: string;
  /** The ESMTP parameters that followed the path. */
  params: string[];
}

/**
 * Parse "FROM:<addr> PARAM..." (keyword = "FROM:") or "TO:<addr> ...". Returns undefined when
 * the keyword is missing (Postfix: "501 5.5.4 Syntax: ..."), or "bad" when the address cannot be
 * parsed (Postfix: "501 5.1.7 Bad sender address syntax" / "5.1.3 ... recipient ...").
 */
export function parsePathArgument(args: string, keyword: string): ParsedPath | 'bad' | undefined {
  if (args.length < keyword.length || args.slice(0, keyword.length).toUpperCase() !== keyword)
    return undefined;
  let i = keyword.length;
  while (i < args.length && (args[i] === ' ' || args[i] === '\t')) i++;
  if (i >= args.length) return undefined;
  let raw: string;
  if (args[i] === '<') {
    const end = findClosingBracket(args, i + 1);
    if (end < 0) return 'bad';
    raw = args.slice(i + 1, end);
    i = end + 1;
    if (i < args.length && args[i] !== ' ' && args[i] !== '\t') return 'bad';
  } else {
    let j = i;
    let quoted = false;
    for (; j < args.length; j++) {
      const c = args[j];
      if (c === '\\') j++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && (c === ' ' || c === '\t')) break;
    }
    raw = args.slice(i, j);
    i = j;
  }
  const address = internalizeAddress(raw);
  if (address === undefined) return 'bad';
  const params = args
    .slice(i)
    .split(/[ \t]+/)
    .filter((p) => p.length > 0);
  return { address, params };
}

function findClosingBracket(s: string, from: number): number {
  let quoted = false;
  for (let j = from; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '>') return j;
    else if (!quoted && c === '<') return -1;
  }
  return -1;
}

/** Remove a source route and quoting; undefined for malformed input (unbalanced quotes, controls). */
export function internalizeAddress(raw: string): string | undefined {
  let text = raw.trim();
  if (text.startsWith('@')) {
    // RFC 5321 4.1.2 A-d-l: "@one,@two:user@domain" - ignore the route.
    const colon = text.indexOf(':');
    if (colon < 0) return undefined;
    text = text.slice(colon + 1);
  }
  let out = '';
  let quoted = false;
  for (let j = 0; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c < 0x20 || c === 0x7f) return undefined;
    const ch = text[j]!;
    if (ch === '\\') {
      j++;
      if (j >= text.length) return undefined;
      out += text[j];
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (
      !quoted &&
      (ch === ' ' || ch === '<' || ch === '>' || ch === '(' || ch === ')' || ch === ',')
    ) {
      return undefined;
    } else {
      out += ch;
    }
  }
  if (quoted) return undefined;
  return out;
}

const RFC822_SPECIALS = /[()<>@,;:\\".[\]\s\x00-\x1f\x7f]/;

/** Quote the local part when it needs it (Postfix quote_822_local), for log lines. */
export function quoteLocalPart(address: string): string {
  const at = address.lastIndexOf('@');
  // Several times per message (log lines, access keys, Received:): the usual local part of
  // atom characters and single inner dots is recognised by a plain scan.
  if (isDotAtom(address, at >= 0 ? at : address.length)) return address;
  const local = at >= 0 ? address.slice(0, at) : address;
  const domain = at >= 0 ? address.slice(at) : '';
  const needs =
    RFC822_SPECIALS.test(local.replace(/\./g, '')) ||
    local.startsWith('.') ||
    local.endsWith('.') ||
    local.includes('..');
  if (!needs || local === '') return address;
  return `"${local.replace(/(["\\])/g, '\\$1')}"${domain}`;
}

/** RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~ (no specials, controls or space). */
const ATEXT = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~")
  ATEXT[ch.charCodeAt(0)] = 1;

/**
 * True when address[0, end) is a non-empty run of RFC 5322 atext characters (ASCII only) with
 * single dots between them: then quoteLocalPart() leaves the address alone. Anything else
 * (including non-ASCII, which \s may match) takes the general path.
 */
function isDotAtom(address: string, end: number): boolean {
  if (end === 0) return false;
  let prevDot = true; // a leading dot is not a dot-atom
  for (let i = 0; i < end; i++) {
    const c = address.charCodeAt(i);
    if (c === 0x2e) {
      if (prevDot) return false;
      prevDot = true;
    } else if (c < 0x80 && ATEXT[c] === 1) {
      prevDot = false;
    } else {
      return false;
    }
  }
  return !prevDot;
}

/** RFC 3461 xtext decoding ("+2B" -> "+"); undefined when malformed. */
export function xtextDecode(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126 || c === 0x3d) return undefined;
    if (text[i] === '+') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}
