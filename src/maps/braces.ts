// Postfix's brace-aware string helpers (balpar, extpar, mystrtokq, split_qnameval), used by the
// inline:, static:, unionmap:, pipemap: names and by main.cf table lists.

export const COMMA_SP = ', \t\r\n';

/** Length of the balanced {...} text at the start of s, or 0 when s does not start with one. */
export function balancedBraces(s: string): number {
  if (s[0] !== '{') return 0;
  let level = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') level++;
    else if (c === '}' && --level === 0) return i + 1;
  }
  return 0;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s[a])) a++;
  while (b > a && isSpace(s[b - 1])) b--;
  return s.slice(a, b);
}

/**
 * extpar(EXTPAR_FLAG_STRIP): removes the outer braces and surrounding whitespace.
 * Returns [text, error]; on error the text is what Postfix would continue with.
 */
export function stripBraces(s: string): { text: string; error?: string } {
  if (s[0] !== '{') return { text: trim(s), error: `no '{' at start of text in "${s}"` };
  const len = balancedBraces(s);
  if (len === 0) return { text: trim(s.slice(1)), error: `missing '}' in "${s}"` };
  const text = trim(s.slice(1, len - 1));
  if (len !== s.length) return { text, error: `syntax error after '}' in "${s}"` };
  return { text };
}

/** mystrtokq(): splits on separator characters outside braces; braces stay in the tokens. */
export function splitOutsideBraces(s: string, separators = COMMA_SP): string[] {
  const out: string[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && separators.includes(s[i]!)) i++;
    if (i >= n) break;
    const start = i;
    let level = 0;
    for (; i < n; i++) {
      const c = s[i]!;
      if (c === '{') level++;
      else if (level > 0 && c === '}') level--;
      else if (level === 0 && separators.includes(c)) break;
    }
    out.push(s.slice(start, i));
  }
  return out;
}

/** split_qnameval(): "name = value" where the name may be quoted; returns an error text or the pair. */
export function splitNameValue(s: string): { name: string; value: string } | { error: string } {
  let k = 0;
  while (k < s.length && isSpace(s[k])) k++;
  if (k >= s.length) return { error: 'no key found; expected format: key = value' };
  let e = k;
  let inQuotes = false;
  for (; e < s.length; e++) {
    const c = s[e];
    if (c === '\\') {
      if (++e >= s.length) break;
    } else if (isSpace(c) || c === '=') {
      if (!inQuotes) break;
    } else if (c === '"') {
      inQuotes = !inQuotes;
    }
  }
  if (inQuotes) return { error: "unbalanced '\"'" };
  let v = e;
  while (v < s.length && isSpace(s[v])) v++;
  if (s[v] !== '=') return { error: "missing '=' after attribute name" };
  return { name: s.slice(k, Math.min(e, s.length)), value: trim(s.slice(v + 1)) };
}
