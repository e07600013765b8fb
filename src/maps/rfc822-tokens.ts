// RFC 822 tokens as Postfix's tok822 module sees them (a flat token list, no address tree):
// what postalias uses to split "name: value" and to rewrite the value in its canonical
// ("external") form. Behaviour follows Postfix 3.7, checked against real postalias:
//  - white space (space, tab, CR, LF) separates tokens and is not kept;
//  - "(...)" is a comment (nesting, "\" escapes) kept as written; "[...]" a domain literal;
//    "\"...\"" a quoted string (stored without quotes, "\" escapes removed, white space
//    characters turned into spaces);
//  - each of  | % ! ( ) < > @ , ; : \ " . [ ]  is an operator token of its own;
//  - anything else up to white space or an operator is an atom ("\" takes the next character
//    literally); an atom that then contains a space, a control character or an operator
//    character is treated as a quoted string (so it gets quotes when written out).
// Strings are handled as "binary" strings (one character per byte, latin1), so non-UTF-8
// input passes through byte for byte; only ASCII characters are special.

export type TokenKind = 'atom' | 'qstring' | 'comment' | 'domlit' | 'op';

export interface Token {
  kind: TokenKind;
  /** The text; for an operator, the operator character. */
  text: string;
}

const OPERATORS = '|%!()<>@,;:\\".[]';

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isOperator(c: string): boolean {
  return OPERATORS.includes(c);
}

function isControl(c: string): boolean {
  const n = c.charCodeAt(0);
  return n < 0x20 || n === 0x7f;
}

/** Tokenizes `s` (a binary string). */
export function scanTokens(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  // Collects characters while `more(c)` holds; "\" makes the next character literal.
  const collect = (more: (c: string) => boolean): string => {
    let text = '';
    while (i < s.length) {
      let c = s[i]!;
      if (c === '\\') {
        if (++i >= s.length) break;
        c = s[i]!;
      } else if (!more(c)) break;
      text += isSpace(c) ? ' ' : c;
      i++;
    }
    return text;
  };
  while (i < s.length) {
    const c = s[i++]!;
    if (isSpace(c)) continue;
    if (c === '(') {
      let text = '(';
      let depth = 1;
      while (i < s.length) {
        const d = s[i++]!;
        text += d;
        if (d === '(') depth++;
        else if (d === ')') {
          if (--depth === 0) break;
        } else if (d === '\\') {
          if (i >= s.length) break;
          text += s[i++]!;
        }
      }
      out.push({ kind: 'comment', text });
    } else if (c === '[' || c === '"') {
      const close = c === '[' ? ']' : '"';
      const text = collect((d) => d !== close);
      if (i < s.length) i++; // the closing character
      out.push({ kind: c === '[' ? 'domlit' : 'qstring', text });
    } else if (c !== '\\' && isOperator(c)) {
      out.push({ kind: 'op', text: c });
    } else {
      i--; // a leading "\" belongs to the atom
      const text = collect((d) => !isSpace(d) && !isOperator(d));
      const needsQuotes = [...text].some((d) => d === ' ' || isControl(d) || isOperator(d));
      out.push({ kind: needsQuotes ? 'qstring' : 'atom', text });
    }
  }
  return out;
}

function isWord(t: Token): boolean {
  return t.kind !== 'op';
}

/** Postfix puts a space after ",", before "<", and between two non-operator tokens. */
function spaceBetween(t: Token, next: Token | undefined): boolean {
  if (next === undefined) return false;
  if ((t.kind === 'op' && t.text === ',') || (next.kind === 'op' && next.text === '<')) return true;
  return isWord(t) && isWord(next);
}

function escape(text: string, special: string): string {
  let out = '';
  for (const c of text) out += special.includes(c) ? '\\' + c : c;
  return out;
}

/** Tokens back to text without quoting (tok822_internalize): how postalias writes a name. */
export function internalize(tokens: readonly Token[]): string {
  let out = '';
  tokens.forEach((t, n) => {
    out += t.kind === 'domlit' ? `[${t.text}]` : t.text;
    if (spaceBetween(t, tokens[n + 1])) out += ' ';
  });
  return out;
}

/** Tokens back to text with quoting (tok822_externalize): how postalias writes a value. */
export function externalize(tokens: readonly Token[]): string {
  let out = '';
  tokens.forEach((t, n) => {
    if (t.kind === 'qstring') out += `"${escape(t.text, '"\\\r\n')}"`;
    else if (t.kind === 'domlit') out += `[${escape(t.text, '\\\r\n')}]`;
    else out += t.text;
    if (spaceBetween(t, tokens[n + 1])) out += ' ';
  });
  return out;
}
