// newaliases / sendmail -bi / -I: rebuild every table named in $alias_database. Postfix's
// sendmail runs "postalias $alias_database" (the list split on commas and white space) and
// exits with its status; Outpost runs its postalias (src/cli/postalias.ts) in-process, so
// messages are postalias's ("postalias: fatal: open /etc/aliases: No such file or directory")
// and so is the exit status (0, or 1 after a fatal error). An empty alias_database does
// nothing, as in Postfix.
import type { DaemonConfig } from '../master/config-adapter.js';
import { postaliasMain } from '../cli/postalias.js';

export async function rebuildAliases(config: DaemonConfig): Promise<number> {
  const tables = config.list('alias_database');
  if (tables.length === 0) return 0;
  return postaliasMain(['-c', config.dir, ...tables]);
}
