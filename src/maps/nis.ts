// nis:map, as far as it matters without an NIS client: the default alias_maps of Postfix 3.7
// is "hash:/etc/aliases, nis:mail.aliases", so every installation names an NIS map.
//
// Postfix (built with NIS, as Debian's is) asks the system for its NIS domain when the first
// nis: table is opened. With no domain ("(none)", the usual case) it warns once
// ("dict_nis_init: NIS domain name not set - NIS lookups disabled") and every lookup answers
// "not found". Outpost does the same. With a domain set, Postfix asks ypbind; Outpost has no
// NIS client, so a lookup then fails as Postfix's does when ypbind cannot be reached: a
// temporary error (mail is deferred, never delivered as if the alias did not exist).
import { readFileSync } from 'node:fs';
import { defaultWarn } from './compiled-table.js';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

/** The NIS domain (Linux: /proc/sys/kernel/domainname), or undefined when none is set. */
export function nisDomain(path = '/proc/sys/kernel/domainname'): string | undefined {
  let domain: string;
  try {
    domain = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  return domain === '' || domain.toLowerCase() === '(none)' ? undefined : domain;
}

/** Postfix looks the domain up once per process; so does Outpost (undefined: not yet). */
let domainChecked: { domain: string | undefined } | undefined;

export class NisTable implements LookupTable {
  readonly type = 'nis';
  readonly fixedKeys = true;
  constructor(
    readonly name: string,
    private readonly domain: string | undefined,
  ) {}
  async lookup(key: string): Promise<string | undefined> {
    if (this.domain === undefined) return undefined;
    throw new TableError(
      `lookup ${key}, NIS domain ${this.domain}, map ${this.name}: NIS lookups are not supported by Outpost`,
      `nis:${this.name}`,
    );
  }
  async close(): Promise<void> {}
}

export async function open(name: string, options: OpenOptions): Promise<LookupTable> {
  if (domainChecked === undefined) {
    domainChecked = { domain: nisDomain() };
    if (domainChecked.domain === undefined) {
      (options.warn ?? defaultWarn)('dict_nis_init: NIS domain name not set - NIS lookups disabled');
    }
  }
  return new NisTable(name, domainChecked.domain);
}
