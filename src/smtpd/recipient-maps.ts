// The tables reject_unlisted_recipient / reject_unlisted_sender consult (local_recipient_maps,
// virtual_alias_maps, virtual_mailbox_maps, relay_recipient_maps, and the canonical maps that
// make an address "known"), opened once per server start like Postfix's smtpd_check_init(),
// and the mail_addr_find() key order the SMTP server searches them in:
//   1. user+ext@domain          every table (pattern tables too)
//   2. user@domain              with recipient_delimiter, when the address has an extension
//   3. user+ext, then user      only when the domain is $myorigin or local ($mydestination,
//                               the interface addresses)
//   4. @domain
// Keys 2-4 skip pattern tables. Each key is tried in its quoted form first ("joe smith"@x),
// then as is when that differs. A table that fails stops the search: the caller defers.
import { splitOutsideBraces, stripBraces } from '../maps/braces.js';
import { openTable } from '../maps/registry.js';
import { TableError, type LookupTable } from '../maps/types.js';
import { extensionStart } from '../maps/address-lookup.js';
import { quoteLocalPart } from './address.js';
import type { SmtpdSettings } from './settings.js';

/** Why a search could not be completed, with the warnings Postfix logs for it. */
export class RecipientLookupError extends Error {
  constructor(
    /** 'retry': a table could not answer (451 4.3.0); 'config': a table answered "" (451 4.3.5). */
    readonly kind: 'retry' | 'config',
    readonly warnings: string[],
  ) {
    super(warnings.join('; '));
  }
}

/** One element of a main.cf table list, named as written ("proxy:unix:passwd.byname"). */
interface ListedTable {
  spec: string;
  table?: LookupTable;
  /** Why the table could not be opened (then every lookup fails, as Postfix's surrogate). */
  openError?: string;
}

/** A main.cf list of tables (maps_create()); `title` is the parameter name. */
export class RecipientTableList {
  constructor(
    readonly title: string,
    private readonly tables: ListedTable[],
  ) {}

  /** maps_find(): the first table's value; `partial` keys skip pattern tables. */
  async find(key: string, partial: boolean): Promise<string | undefined> {
    if (key === '') return undefined;
    for (const t of this.tables) {
      if (t.table === undefined) {
        throw new RecipientLookupError('retry', [
          `${t.spec} is unavailable. ${t.openError ?? ''}`,
          `${t.spec} lookup error for "${key}"`,
        ]);
      }
      if (partial && !t.table.fixedKeys) continue;
      let value: string | undefined;
      try {
        value = await t.table.lookup(key);
      } catch (err) {
        if (!(err instanceof TableError)) throw err;
        throw new RecipientLookupError('retry', [`${t.spec} lookup error for "${key}"`]);
      }
      if (value === undefined) continue;
      if (value === '') {
        throw new RecipientLookupError('config', [
          `${this.title} lookup of ${key} returns an empty string result`,
          `${this.title} should return NO RESULT in case of NOT FOUND`,
        ]);
      }
      return value;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.tables.map((t) => t.table?.close()));
  }
}

/** Opens a list; a table that cannot be opened is kept as "unavailable", not fatal. */
export async function openRecipientTableList(
  title: string,
  value: string,
  options: { utf8: boolean; warn: (m: string) => void },
): Promise<RecipientTableList | undefined> {
  const tables: ListedTable[] = [];
  for (let spec of splitOutsideBraces(value)) {
    if (spec.startsWith('{')) spec = stripBraces(spec).text;
    try {
      tables.push({ spec, table: await openTable(spec, { utf8: options.utf8, warn: options.warn }) });
    } catch (err) {
      if (!(err instanceof TableError)) throw err;
      tables.push({ spec, openError: err.message });
    }
  }
  return tables.length === 0 ? undefined : new RecipientTableList(title, tables);
}

export interface RecipientTables {
  local?: RecipientTableList;
  virtualAlias?: RecipientTableList;
  virtualMailbox?: RecipientTableList;
  relay?: RecipientTableList;
  canonical?: RecipientTableList;
  recipientCanonical?: RecipientTableList;
  senderCanonical?: RecipientTableList;
}

export async function openRecipientTables(
  settings: SmtpdSettings,
  warn: (m: string) => void,
): Promise<RecipientTables> {
  const options = { utf8: settings.smtputf8Enable, warn };
  const open = (title: string, value: string): Promise<RecipientTableList | undefined> =>
    openRecipientTableList(title, value, options);
  return {
    local: await open('local_recipient_maps', settings.localRecipientMaps),
    virtualAlias: await open('virtual_alias_maps', settings.virtualAliasMaps),
    virtualMailbox: await open('virtual_mailbox_maps', settings.virtualMailboxMaps),
    relay: await open('relay_recipient_maps', settings.relayRecipientMaps),
    canonical: await open('canonical_maps', settings.canonicalMaps),
    recipientCanonical: await open('recipient_canonical_maps', settings.recipientCanonicalMaps),
    senderCanonical: await open('sender_canonical_maps', settings.senderCanonicalMaps),
  };
}

/**
 * mail_addr_find() over one list for a resolved address ("user@domain"); `isLocal` says whether
 * the domain takes local-part-only keys. Throws RecipientLookupError when a table fails.
 */
export async function findMailAddress(
  list: RecipientTableList,
  address: string,
  settings: SmtpdSettings,
  isLocal: (domain: string) => boolean,
): Promise<string | undefined> {
  const find = async (key: string, partial: boolean): Promise<string | undefined> => {
    const quoted = quoteLocalPart(key);
    const v = await list.find(quoted, partial);
    if (v !== undefined || quoted === key) return v;
    return list.find(key, partial);
  };
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const domain = at < 0 ? undefined : address.slice(at + 1);
  const ext = extensionStart(local, {
    recipientDelimiter: settings.recipientDelimiter,
    doubleBounceSender: settings.doubleBounceSender,
  });
  const bare = ext < 0 ? undefined : local.slice(0, ext);
  const withDomain = (l: string): string => (domain === undefined ? l : `${l}@${domain}`);

  let v = await find(address, false);
  if (v === undefined && bare !== undefined) v = await find(withDomain(bare), true);
  if (v === undefined && domain !== undefined && isLocal(domain)) {
    v = await find(local, true);
    if (v === undefined && bare !== undefined) v = await find(bare, true);
  }
  if (v === undefined && domain !== undefined) v = await find(`@${domain}`, true);
  return v;
}
