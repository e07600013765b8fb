// Tokenizing of master.cf lines, as Postfix does it (mystrtokq() + extpar()):
// fields are separated by blanks outside `{...}`; a field that starts with `{`
// has its braces and surrounding blanks removed.

export const MASTER_BLANKS = ' \t\r\n';

export function splitMasterFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && MASTER_BLANKS.includes(text[i] as string)) i++;
    if (i >= text.length) break;
    const start = i;
    let level = 0;
    for (; i < text.length; i++) {
      const c = text[i] as string;
      if (c === '{') level++;
      else if (level > 0 && c === '}') level--;
      else if (level === 0 && MASTER_BLANKS.includes(c)) break;
    }
    out.push(text.slice(start, i));
  }
  return out;
}

/** Length of the balanced `{...}` at the start of text, or 0 when unbalanced. */
function balancedLength(text: string): number {
  let level = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '{') level++;
    else if (text[i] === '}' && --level === 0) return i + 1;
  }
  return 0;
}

/**
 * extpar(..., EXTPAR_FLAG_STRIP or, with strip=false, EXTPAR_FLAG_NONE): the text inside `{...}` with blanks trimmed,
 * plus Postfix's error text when the braces are unbalanced or followed by junk.
 */
export function extractBraced(arg: string, strip = true): { text: string; error?: string } {
  const trim = (s: string): string =>
    strip ? s.replace(/^[ \t\n\v\f\r]+/, '').replace(/[ \t\n\v\f\r]+$/, '') : s;
  if (!arg.startsWith('{')) return { text: trim(arg), error: `no '{' at start of text in "${arg}"` };
  const len = balancedLength(arg);
  if (len === 0) return { text: trim(arg.slice(1)), error: `missing '}' in "${arg}"` };
  const inner = trim(arg.slice(1, len - 1));
  if (len !== arg.length) return { text: inner, error: `syntax error after '}' in "${arg}"` };
  return { text: inner };
}
