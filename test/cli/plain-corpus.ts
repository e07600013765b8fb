// The deterministic pseudo-random "plain" postmap source the lmdb and cdb fast-path tests share
// (postmap-lmdb-plain.test.ts, postmap-cdb-plain.test.ts): case variants of earlier keys
// (duplicates after folding), keys that are prefixes of others (`prefix`), keys with ':' inside,
// occasional long values, comments, blank lines, tabs, trailing blanks and CRLF.
export interface PlainCorpusOptions {
  seed: number;
  entries: number;
  /** Stem of the keys that are prefixes of one another (and of the query key `prefix`). */
  prefix: string;
  /** One value in `longEvery` (on average) is `longLength` bytes long. */
  longEvery: number;
  longLength: number;
}

/** The source text, and the keys to query (every key written, plus a few probes). */
export function plainCorpus(o: PlainCorpusOptions): { source: string; keys: string[] } {
  let seed = o.seed;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const lines: string[] = ['# plain source', ''];
  const keys: string[] = [];
  for (let i = 0; i < o.entries; i++) {
    const r = rand(10);
    let key: string;
    if (r < 3) key = `user${rand(500)}@Domain${rand(7)}.example.com`;
    else if (r < 5) key = `${o.prefix}${rand(300)}`;
    else if (r < 6) key = `a:b${rand(50)}`;
    else if (r < 7 && keys.length > 0) key = keys[rand(keys.length)]!.toUpperCase();
    else key = `k${rand(2000)}`;
    keys.push(key);
    const sep = [' ', '\t', '  \t ', '\t\t'][rand(4)]!;
    const tail = ['', '  ', '\t', '\r'][rand(4)]!;
    const value = rand(o.longEvery) === 0 ? 'x'.repeat(o.longLength) : `value ${i} of ${key}`;
    lines.push(`${key}${sep}${value}${tail}`);
    if (rand(50) === 0) lines.push(rand(2) === 0 ? '   # indented comment' : '  ');
  }
  lines.push('last final');
  keys.push('last', 'missing', 'USER1@DOMAIN1.EXAMPLE.COM', o.prefix);
  return { source: lines.join('\n') + '\n', keys };
}
