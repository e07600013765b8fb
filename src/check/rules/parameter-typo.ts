// A misspelt parameter name is silently ignored (postconf only says "unused parameter"):
// smtp_sasl_pasword_maps leaves smtp_sasl_password_maps at its empty default.
import { readFile } from 'node:fs/promises';
import { POSTFIX_DEFAULTS, splitList, transportParamDefault } from '../../config/index.js';
import { LEGACY_PARAMETERS } from '../../config/postfix-defaults.js';
import type { CheckContext, Finding } from '../types.js';

const KNOWN = [...Object.keys(POSTFIX_DEFAULTS), ...LEGACY_PARAMETERS];
const KNOWN_SET = new Set(KNOWN);

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), capped. */
export function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      }
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > cap) return cap + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The closest known parameter name, when it is close enough to be a slip of the keyboard. */
export function closestParameter(name: string): string | undefined {
  const cap = name.length < 8 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = cap + 1;
  for (const known of KNOWN) {
    const d = editDistance(name, known, cap);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

/** Names used as $name anywhere: user-defined variables are not typos. */
function referencedNames(texts: string[]): Set<string> {
  const out = new Set<string>();
  for (const t of texts) {
    for (const m of t.matchAll(/\$(?:\{|\()?([A-Za-z0-9_]+)/g)) out.add(m[1] as string);
  }
  return out;
}

export async function checkParameterTypos(ctx: CheckContext): Promise<Finding[]> {
  const { config } = ctx;
  const names = config.explicitNames();
  const texts = names.map((n) => config.explicit(n) ?? '');
  texts.push(await readFile(`${ctx.configDir}/master.cf`, 'utf8').catch(() => ''));
  const used = referencedNames(texts);
  // smtpd_restriction_classes names are parameters of the user's own.
  for (const c of splitList(config.explicit('smtpd_restriction_classes') ?? '')) used.add(c);
  const findings: Finding[] = [];
  for (const name of names.sort()) {
    if (KNOWN_SET.has(name) || transportParamDefault(name) !== undefined || used.has(name)) continue;
    const suggestion = closestParameter(name);
    if (suggestion === undefined) continue;
    const alsoSet = config.isSet(suggestion) ? ` (${suggestion} is also set; remove the misspelt line)` : '';
    findings.push({
      rule: 'parameter-typo',
      severity: 'warning',
      ...ctx.at(name),
      message: `unknown parameter "${name}" is ignored; did you mean "${suggestion}"? Rename it to ${suggestion}${alsoSet}`,
    });
  }
  return findings;
}
