// Opening tables by their main.cf name ("hash:/etc/postfix/virtual", "inline:{a=b}", ...).
// Drivers are loaded by dynamic import from a fixed type -> module table, so drivers written
// separately plug in without compile-time coupling. Driver convention (every module):
//
//   export async function open(name: string, options: OpenOptions, type: string): Promise<LookupTable>
//
// `name` is everything after the first ':'; `type` is the type the caller asked for (one module
// may serve several types: hash, btree, dbm). Errors are TableError with Postfix's wording.
import { splitOutsideBraces, stripBraces } from './braces.js';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

/** Table type -> driver module (relative to this file). */
export const DRIVER_MODULES: Readonly<Record<string, string>> = {
  texthash: './texthash.js',
  hash: './hash.js',
  btree: './hash.js',
  dbm: './hash.js',
  lmdb: './lmdb.js',
  cdb: './cdb.js',
  inline: './inline.js',
  static: './static.js',
  unionmap: './unionmap.js',
  pipemap: './pipemap.js',
  fail: './fail.js',
  nis: './nis.js',
  unix: './unix.js',
  regexp: './regexp.js',
  pcre: './pcre.js',
  cidr: './cidr.js',
  mysql: './mysql.js',
  pgsql: './pgsql.js',
  sqlite: './sqlite.js',
};

interface DriverModule {
  open(name: string, options: OpenOptions, type: string): Promise<LookupTable>;
}

/** Splits "type:name" at the first colon, with dict_open()'s error for anything else. */
export function parseTableSpec(spec: string): { type: string; name: string } {
  const colon = spec.indexOf(':');
  if (colon < 0) {
    throw new TableError(`open dictionary: expecting "type:name" form instead of "${spec}"`, spec);
  }
  const type = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  if (type === '' || name === '') {
    throw new TableError(`open dictionary: expecting "type:name" form instead of "${spec}"`, spec);
  }
  return { type, name };
}

const loaded = new Map<string, Promise<DriverModule>>();

async function loadDriver(type: string, spec: string): Promise<DriverModule> {
  const path = Object.hasOwn(DRIVER_MODULES, type) ? DRIVER_MODULES[type] : undefined;
  if (path === undefined) throw new TableError(`unsupported dictionary type: ${type}`, spec);
  let p = loaded.get(path);
  if (p === undefined) {
    p = import(path) as Promise<DriverModule>;
    loaded.set(path, p);
  }
  try {
    const mod = await p;
    if (typeof mod.open !== 'function') throw new Error('no open() export');
    return mod;
  } catch (err) {
    loaded.delete(path);
    const code = (err as { code?: string }).code;
    const why = code === 'ERR_MODULE_NOT_FOUND' ? 'driver not installed' : String(err);
    throw new TableError(`unsupported dictionary type: ${type} (${why})`, spec);
  }
}

/** Opens one table. `proxy:type:name` opens type:name directly (Outpost has no proxymap). */
export async function openTable(spec: string, options: OpenOptions = {}): Promise<LookupTable> {
  const { type, name } = parseTableSpec(spec);
  if (type === 'proxy') return openTable(name, options);
  const driver = await loadDriver(type, spec);
  return driver.open(name, options, type);
}

/** A main.cf list of tables ("hash:/a, lmdb:/b"), searched in order like Postfix's maps(3). */
export class TableList implements LookupTable {
  readonly type = 'maps';
  constructor(
    readonly name: string,
    readonly tables: readonly LookupTable[],
  ) {}

  /** True when every table takes partial keys. */
  get fixedKeys(): boolean {
    return this.tables.every((t) => t.fixedKeys);
  }

  /**
   * The first table's value for the key. With `partial` set (a derived key such as "user" or
   * "@domain"), pattern tables are skipped, as maps_find(..., DICT_FLAG_FIXED) does.
   * A table error stops the search: the caller must defer.
   */
  async lookup(key: string, partial = false): Promise<string | undefined> {
    if (key === '') return undefined;
    for (const t of this.tables) {
      if (partial && !t.fixedKeys) continue;
      const v = await t.lookup(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.tables.map((t) => t.close()));
  }
}

/** A table that failed to open: every lookup reports the open error (Postfix dict_surrogate). */
class SurrogateTable implements LookupTable {
  readonly fixedKeys = true;
  constructor(
    readonly type: string,
    readonly name: string,
    private readonly error: TableError,
  ) {}
  async lookup(_key: string): Promise<string | undefined> {
    throw this.error;
  }
  async close(): Promise<void> {}
}

export interface TableListOptions extends OpenOptions {
  /**
   * Daemon behaviour: a table that cannot be opened does not fail the whole list; its lookups
   * throw the open error instead (a temporary failure), as Postfix's surrogate tables do.
   */
  deferOpenErrors?: boolean;
}

export async function openTableList(listValue: string, options: TableListOptions = {}): Promise<TableList> {
  const tables: LookupTable[] = [];
  try {
    for (let spec of splitOutsideBraces(listValue)) {
      // mail_parm_split(): "{ type:name with spaces }" groups one element.
      if (spec.startsWith('{')) {
        const stripped = stripBraces(spec);
        if (stripped.error !== undefined) throw new TableError(stripped.error, spec);
        spec = stripped.text;
      }
      try {
        tables.push(await openTable(spec, options));
      } catch (err) {
        if (!(options.deferOpenErrors && err instanceof TableError)) throw err;
        const colon = spec.indexOf(':');
        tables.push(new SurrogateTable(spec.slice(0, colon), spec.slice(colon + 1), err));
      }
    }
  } catch (err) {
    await Promise.all(tables.map((t) => t.close()));
    throw err;
  }
  return new TableList(listValue, tables);
}
