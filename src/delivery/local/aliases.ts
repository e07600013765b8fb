// Alias lookups for local(8): $alias_maps through the one table layer (src/maps), so
// "hash:/etc/aliases" reads /etc/aliases.db as built by newaliases/postalias, and every other
// table type works as it does in main.cf anywhere else. As in Postfix:
//  - the first table that has the name wins;
//  - a table error (missing or corrupt .db, a database that is down, a table that could not
//    be opened) is a temporary failure: the caller defers the mail, never treats the name as
//    unknown;
//  - a compiled table older than its source gets the "database ... is older than source
//    file ..." warning (src/maps/compiled-table.ts);
//  - nis:mail.aliases from the default alias_maps answers "not found" with one warning when no
//    NIS domain is set (src/maps/nis.ts).
import { openTableList, type TableList } from '../../maps/registry.js';

export type AliasMaps = TableList;

/** Opens $alias_maps; `warn` receives the tables' warnings (stale database, NIS disabled). */
export async function openAliasMaps(
  aliasMapsValue: string,
  configDir: string,
  warn: (message: string) => void,
): Promise<AliasMaps> {
  return openTableList(aliasMapsValue, { deferOpenErrors: true, configDir, warn });
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
