// postmap -q key, -q - and -s.
import { CompiledTable } from '../maps/compiled-table.js';
import { openTable } from '../maps/registry.js';
import { TableError, type LookupTable } from '../maps/types.js';
import { forEachStdinLine, openOptions, splitMap, warn, type Context } from './postmap-context.js';
import { Fatal } from './postmap-options.js';

export async function openForQuery(ctx: Context, arg: string): Promise<LookupTable> {
  const { type, name } = splitMap(ctx, arg);
  if (type === '' || name === '') {
    throw new Fatal(`open dictionary: expecting "type:name" form instead of "${type}:${name}"`);
  }
  try {
    return await openTable(`${type}:${name}`, openOptions(ctx));
  } catch (err) {
    if (err instanceof TableError) {
      // The registry adds why a driver is missing; postmap says what Postfix says.
      throw new Fatal(err.message.replace(/^(unsupported dictionary type: \S+) \(.*\)$/, '$1'));
    }
    throw err;
  }
}

export type SyncLookup = { lookupSync?: (key: string) => string | undefined };

export async function lookupOne(t: LookupTable, key: string): Promise<string | undefined> {
  try {
    const s = t as LookupTable & SyncLookup;
    return s.lookupSync !== undefined ? s.lookupSync(key) : await t.lookup(key);
  } catch (err) {
    if (err instanceof TableError) throw new Fatal(`table ${err.table}: query error: ${err.message}`);
    throw err;
  }
}

export function emptyValueWarning(spec: string, key: string): void {
  warn(`table ${spec}: key ${key}: empty string result is not allowed`);
  warn(`table ${spec} should return NO RESULT in case of NOT FOUND`);
}

export async function querySingle(ctx: Context, key: string): Promise<number> {
  for (const arg of ctx.flags.args) {
    const t = await openForQuery(ctx, arg);
    const value = await lookupOne(t, key);
    await t.close();
    if (value !== undefined) {
      if (value === '') emptyValueWarning(`${t.type}:${t.name}`, key);
      ctx.out.line(`${value}\n`);
      return 0;
    }
  }
  return 1;
}

export async function queryBulk(ctx: Context): Promise<number> {
  const tables: (LookupTable | undefined)[] = ctx.flags.args.map(() => undefined);
  let found = false;
  const out = ctx.out;
  const hit = (t: LookupTable, key: string, value: string): void => {
    if (value === '') emptyValueWarning(`${t.type}:${t.name}`, key);
    out.line(`${key}\t${value}\n`);
    found = true;
  };
  // From table n on, for tables not opened yet (Postfix opens them when first needed) or
  // without a synchronous lookup.
  const resolveAsync = async (key: string, from: number): Promise<void> => {
    for (let n = from; n < tables.length; n++) {
      const t = (tables[n] ??= await openForQuery(ctx, ctx.flags.args[n]!));
      const value = await lookupOne(t, key);
      if (value !== undefined) return hit(t, key, value);
    }
  };
  // The common case stays synchronous: no promise per key.
  const resolve = (key: string): Promise<void> | undefined => {
    for (let n = 0; n < tables.length; n++) {
      const t = tables[n] as (LookupTable & SyncLookup) | undefined;
      if (t?.lookupSync === undefined) return resolveAsync(key, n);
      let value: string | undefined;
      try {
        value = t.lookupSync(key);
      } catch (err) {
        if (err instanceof TableError) throw new Fatal(`table ${err.table}: query error: ${err.message}`);
        throw err;
      }
      if (value !== undefined) {
        hit(t, key, value);
        return undefined;
      }
    }
    return undefined;
  };
  await forEachStdinLine(resolve);
  await Promise.all(tables.map((t) => t?.close()));
  return found ? 0 : 1;
}

export async function sequence(ctx: Context): Promise<number> {
  const arg = ctx.flags.args[0];
  if (arg === undefined) return 1;
  const { type } = splitMap(ctx, arg);
  if (type === 'proxy') throw new Fatal("can't sequence maps via the proxy service");
  const t = (await openForQuery(ctx, arg)) as LookupTable & { entries?: () => Iterable<[string, string]> };
  const notSupported = (): Fatal => {
    // Postfix names a cdb table by its file name here.
    const name = t instanceof CompiledTable && t.type === 'cdb' ? t.dbPath : t.name;
    return new Fatal(`table ${t.type}:${name}: sequence operation is not supported`);
  };
  if (t.type === 'fail') throw new Fatal(`table fail:${t.name}: sequence error: Application error`);
  if (t.entries === undefined || (t instanceof CompiledTable && !t.format.canSequence)) throw notSupported();
  try {
    for (const [k, v] of t.entries()) {
      if (k === '') warn(`table ${t.type}:${t.name}: empty lookup key value is not allowed`);
      else if (v === '') emptyValueWarning(`${t.type}:${t.name}`, k);
      ctx.out.line(`${k}\t${v}\n`);
    }
  } catch (err) {
    if (err instanceof TableError)
      throw new Fatal(`table ${t.type}:${t.name}: sequence error: ${err.message}`);
    throw err;
  }
  await t.close();
  return 0;
}
