// Result text of regexp: and pcre: rules: "$1", "${1}", "$(1)" insert a matched group, "$$" is a
// literal "$". Parsed once when the table is opened, as Postfix's mac_parse() + prescan do, so a
// bad reference skips the rule at load time with Postfix's warnings.
// All strings are byte strings (see pattern-source.ts).

export type ReplacementPart = { literal: string } | { group: number };

export interface ParsedReplacement {
  parts: ReplacementPart[];
  /** Largest $number used; 0 means the result is constant. */
  maxGroup: number;
}

/**
 * Parse replacement text. Returns undefined after emitting the warnings Postfix emits
 * (mac_parse()'s own "empty macro name" / "truncated macro reference" and the prescan's
 * "non-numeric replacement index" / "out-of-range replacement index"); the caller then adds
 * "bad replacement syntax: skipping this rule".
 */
export function parseReplacement(
  text: string,
  where: string,
  outOfRangeWording: string,
  warn: (t: string) => void,
): ParsedReplacement | undefined {
  const parts: ReplacementPart[] = [];
  let literal = '';
  let maxGroup = 0;
  let failed = false;
  const name = (ref: string): void => {
    // Each reference is checked even after a failure: Postfix warns about every bad one.
    if (!/^[0-9]+$/.test(ref)) {
      warn(`${where}: non-numeric replacement index "${ref}"`);
      failed = true;
      return;
    }
    const n = Number.parseInt(ref, 10);
    if (n < 1) {
      warn(`${where}: ${outOfRangeWording} replacement index "${ref}"`);
      failed = true;
      return;
    }
    if (n > maxGroup) maxGroup = n;
    parts.push({ group: n });
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch !== '$') {
      literal += ch;
      i++;
      continue;
    }
    if (text[i + 1] === '$') {
      literal += '$';
      i += 2;
      continue;
    }
    if (literal) parts.push({ literal });
    literal = '';
    i++;
    let ref: string;
    const open = text[i];
    if (open === '{' || open === '(') {
      const close = open === '{' ? '}' : ')';
      let level = 1;
      let j = i + 1;
      for (; level > 0; j++) {
        if (j >= text.length) {
          warn(`truncated macro reference: "${text}"`);
          return undefined;
        }
        if (text[j] === open) level++;
        if (text[j] === close) level--;
      }
      ref = text.slice(i + 1, j - 1);
      i = j;
    } else {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      ref = text.slice(i, j);
      i = j;
    }
    if (ref.length === 0) {
      warn(`empty macro name: "${text}"`);
      return undefined;
    }
    name(ref);
  }
  if (literal) parts.push({ literal });
  return failed ? undefined : { parts, maxGroup };
}

/** Expand a parsed replacement; groups that did not take part in the match expand to "". */
export function expandReplacement(parsed: ParsedReplacement, groups: ArrayLike<string | undefined>): string {
  let out = '';
  for (const part of parsed.parts) {
    out += 'literal' in part ? part.literal : (groups[part.group] ?? '');
  }
  return out;
}
