// Alias lookups for local(8) (alias_maps). The maps layer (src/maps) owns table drivers;
// until it is wired in, StandinAliasTable reads the aliases(5) SOURCE file behind
// hash:/lmdb:/cdb:/texthash: names (the file postalias would compile), which gives the same
// answers as long as the compiled table is up to date.
//
// WIRING POINT (lead): make openAliasMaps() return
//   [await openTableList(aliasMapsValue, { deferOpenErrors: true, configDir })]
// (src/maps/registry.ts on the maps branch; a LookupTable is an AliasLookup as it is). The
// first table that has the key wins; a TableError means "defer". Note the 3.7 default
// alias_maps contains nis:mail.aliases, which src/maps does not open.
import { readFile } from 'node:fs/promises';

export interface AliasLookup {
  /** The right-hand side for `localpart` (already lower-case), or undefined. */
  lookup(localpart: string): Promise<string | undefined>;
}

export class AliasSyntaxError extends Error {}

/** Parse aliases(5): "name: value", continuation lines start with white space, # comments. */
export function parseAliasesSource(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: { key: string; value: string } | undefined;
  const flush = (): void => {
    if (current) out.set(current.key, current.value.trim());
    current = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line) || line.trim() === '') return;
    if (/^\s/.test(line)) {
      if (!current)
        throw new AliasSyntaxError(`${file}, line ${i + 1}: continuation line without alias name`);
      current.value += ' ' + line.trim();
      return;
    }
    flush();
    const m = /^("[^"]*"|[^:\s]+)\s*:\s*(.*)$/.exec(line);
    if (!m)
      throw new AliasSyntaxError(`${file}, line ${i + 1}: missing colon in alias entry "${line.trim()}"`);
    current = { key: m[1]!.replace(/^"|"$/g, '').toLowerCase(), value: m[2]! };
  });
  flush();
  return out;
}

class StandinAliasTable implements AliasLookup {
  private entries: Map<string, string> | undefined;
  constructor(private readonly path: string) {}
  async lookup(localpart: string): Promise<string | undefined> {
    if (!this.entries) {
      try {
        this.entries = parseAliasesSource(await readFile(this.path, 'utf8'), this.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.entries = new Map();
        else throw err;
      }
    }
    return this.entries.get(localpart);
  }
}

/** One lookup per alias_maps entry the stand-in understands; others are skipped. */
export async function openAliasMaps(aliasMapsValue: string, _configDir: string): Promise<AliasLookup[]> {
  const out: AliasLookup[] = [];
  for (const spec of aliasMapsValue.split(/[\s,]+/).filter((w) => w !== '')) {
    const m = /^(hash|btree|lmdb|cdb|dbm|texthash):(\/.+)$/.exec(spec);
    if (m) out.push(new StandinAliasTable(m[2]!));
  }
  return out;
}

/** Split an alias value into targets: addresses, /file, |command, :include:/file. */
export function splitAliasTargets(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out.map((t) => t.replace(/^"(.*)"$/, '$1'));
}
