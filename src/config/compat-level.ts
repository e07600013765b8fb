// Compatibility levels ("0", "1", "2", "3.6", "3.6.1") compared as numbers per
// component, as Postfix's compat_level_from_string() does; used by the `<level`
// family of relational operators in parameter expressions and by
// compatibility_level-dependent defaults.

/** Encoded level (major<<20 | minor<<10 | patch), or undefined when malformed. */
export function parseCompatLevel(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 3) return undefined;
  const limits = [Number.MAX_SAFE_INTEGER / 2 ** 20, 1023, 1023];
  let encoded = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    // strtol() accepts leading blanks and a sign; Postfix then rejects negatives.
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(p);
    if (m === null) return undefined;
    const n = Number(m[1]);
    if (n < 0 || n > (limits[i] ?? 0)) return undefined;
    encoded = encoded * 1024 + n;
  }
  for (let i = parts.length; i < 3; i++) encoded *= 1024;
  return encoded;
}

export function compareCompatLevels(a: string, b: string): number | undefined {
  const x = parseCompatLevel(a);
  const y = parseCompatLevel(b);
  if (x === undefined || y === undefined) return undefined;
  return x - y;
}
