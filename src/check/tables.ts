// Table specs named in main.cf, and the files behind them, for the table rules.
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/index.js';
import { splitNameValue, splitOutsideBraces, stripBraces } from '../maps/braces.js';
import { parseSource } from '../maps/source.js';
import { openTableList, type TableList } from '../maps/registry.js';

/** Compiled table types and the file postmap writes for them (Outpost's drivers). */
export const COMPILED_SUFFIX: Readonly<Record<string, string>> = {
  hash: '.db',
  btree: '.db',
  dbm: '.db',
  lmdb: '.lmdb',
  cdb: '.cdb',
};

/** Types whose name is a file (the source itself, or the source of a compiled file). */
export const FILE_TYPES: ReadonlySet<string> = new Set([
  ...Object.keys(COMPILED_SUFFIX),
  'texthash',
  'regexp',
  'pcre',
  'cidr',
  'mysql',
  'pgsql',
  'sqlite',
]);

/** Every lookup table type Postfix 3.7 knows (dict_open.c and its plug-ins). */
export const POSTFIX_TABLE_TYPES: ReadonlySet<string> = new Set([
  'btree',
  'cdb',
  'cidr',
  'dbm',
  'environ',
  'fail',
  'hash',
  'inline',
  'internal',
  'ldap',
  'lmdb',
  'memcache',
  'mysql',
  'netinfo',
  'nis',
  'nisplus',
  'pcre',
  'pgsql',
  'pipemap',
  'proxy',
  'randmap',
  'regexp',
  'sdbm',
  'socketmap',
  'sqlite',
  'static',
  'tcp',
  'texthash',
  'unionmap',
  'unix',
]);

/**
 * Parameters whose values may name tables: *_maps, restriction lists (check_*_access
 * hash:...), and domain/network lists ($mydestination, mynetworks, relay_domains, ...).
 * Others (smtpd_milters = unix:/path, lmtp:unix:...) use "type:" for something else.
 */
export function mayNameTables(parameter: string): boolean {
  return (
    /(_maps|_restrictions|_checks|_domains|_networks|_database)$/.test(parameter) ||
    ['mynetworks', 'mydestination', 'smtpd_restriction_classes'].includes(parameter)
  );
}

export interface TableRef {
  /** The spec as written, e.g. "hash:/etc/postfix/sasl_passwd" (proxy: removed). */
  spec: string;
  type: string;
  name: string;
  /** The main.cf parameter that names it. */
  parameter: string;
}

/** "type:name" elements of a list value (proxy: stripped), nested {...} groups unwrapped. */
export function tableSpecsIn(value: string): { type: string; name: string; spec: string }[] {
  const out: { type: string; name: string; spec: string }[] = [];
  for (let word of splitOutsideBraces(value)) {
    if (word.startsWith('{')) {
      const s = stripBraces(word);
      if (s.error !== undefined) continue;
      word = s.text.trim();
    }
    while (word.startsWith('proxy:')) word = word.slice('proxy:'.length);
    const m = /^([a-z0-9]+):(.+)$/.exec(word);
    if (m === null || !POSTFIX_TABLE_TYPES.has(m[1] as string)) continue;
    const type = m[1] as string;
    const name = m[2] as string;
    out.push({ type, name, spec: `${type}:${name}` });
    // unionmap:{a, b} and pipemap:{a, b} hold more tables.
    if ((type === 'unionmap' || type === 'pipemap') && name.startsWith('{')) {
      const inner = stripBraces(name);
      if (inner.error === undefined) out.push(...tableSpecsIn(inner.text));
    }
  }
  return out;
}

/** Tables named by parameters set in main.cf (defaults such as alias_maps are left alone). */
export function tablesInMainCf(config: Config): TableRef[] {
  const refs: TableRef[] = [];
  for (const parameter of config.explicitNames().sort()) {
    if (!mayNameTables(parameter)) continue;
    let value: string;
    try {
      value = config.get(parameter);
    } catch {
      continue; // a broken $macro is reported by the config rule
    }
    for (const t of tableSpecsIn(value)) refs.push({ ...t, parameter });
  }
  return refs;
}

/** Opens a main.cf table list for inspection; warnings are collected, not printed. */
export async function openQuietly(value: string): Promise<{ list?: TableList; error?: string }> {
  try {
    return { list: await openTableList(value, { warn: () => {} }) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export interface TableEntry {
  key: string;
  value: string;
  /** Line in the source file (file-based tables). */
  line?: number;
}

/**
 * Opens a password-style table list for key checks. A compiled table whose file is missing
 * (postmap not run yet; reported by table-not-compiled) is read from its source file instead,
 * so the key check still tells the user what the table will say once it is built.
 */
export async function openForKeyCheck(value: string): Promise<TableList | undefined> {
  const { list } = await openQuietly(value);
  if (list !== undefined) return list;
  const fromSource = tableSpecsIn(value)
    .map((t) => (t.type in COMPILED_SUFFIX ? `texthash:${t.name}` : t.spec))
    .join(', ');
  return (await openQuietly(fromSource)).list;
}

/**
 * Key/value entries of a table, read from its source file (compiled and texthash tables) or
 * from main.cf (inline:). Undefined when the table cannot be listed (SQL, patterns).
 */
export async function listEntries(type: string, name: string): Promise<TableEntry[] | undefined> {
  if (type === 'inline') {
    const inner = stripBraces(name);
    if (inner.error !== undefined) return undefined;
    const out: TableEntry[] = [];
    for (const item of splitOutsideBraces(inner.text)) {
      const pair = splitNameValue(item.startsWith('{') ? stripBraces(item).text : item);
      if ('name' in pair) out.push({ key: pair.name, value: pair.value });
    }
    return out;
  }
  if (!(type in COMPILED_SUFFIX) && type !== 'texthash') return undefined;
  let buf: Buffer;
  try {
    buf = await readFile(name);
  } catch {
    return undefined;
  }
  const out: TableEntry[] = [];
  const warn = (): void => {};
  parseSource(buf, { displayName: name, utf8: true, style: 'postmap', warn }, (b, ks, ke, vs, ve, line) => {
    out.push({ key: b.toString('utf8', ks, ke), value: b.toString('utf8', vs, ve), line });
  });
  return out;
}
