// newaliases / sendmail -bi / -I: rebuild $alias_database.
//
// WIRING POINT (lead): when the maps layer lands, call its postalias/postmap builder for each
// alias_database entry (type:name) here. Until then this STAND-IN checks the aliases(5) source
// syntax (errors name file and line) - which is all local delivery's stand-in alias lookup
// needs, since it reads the source file - and says that no indexed file was written.
import { readFile } from 'node:fs/promises';
import type { DaemonConfig } from '../master/config-adapter.js';
import { parseAliasesSource } from '../delivery/local/aliases.js';

export async function rebuildAliases(config: DaemonConfig, warn: (text: string) => void): Promise<void> {
  for (const spec of config.list('alias_database')) {
    const m = /^([a-z]+):(\/.+)$/.exec(spec);
    if (!m) {
      warn(`${spec}: unsupported alias database; skipped`);
      continue;
    }
    const [, type, path] = m as unknown as [string, string, string];
    const text = await readFile(path, 'utf8');
    parseAliasesSource(text, path);
    if (type !== 'texthash')
      warn(`${spec}: source checked; building ${type} files needs the maps layer (not wired yet)`);
  }
}
