// postmap -q key, -q - and -s.
import { isAscii } from 'node:buffer';
import { CompiledTable, type BatchAnswers } from '../maps/compiled-table.js';
import type { KeyBatch } from '../maps/byte-source.js';
import { openTable } from '../maps/registry.js';
import { TableError, type LookupTable } from '../maps/types.js';
import {
  forEachStdinBatch,
  listingSeparator,
  openOptions,
  splitMap,
  warn,
  type Context,
} from './postmap-context.js';
import { Fatal } from './postmap-options.js';

/**
 * `positionalReads`: for -q, which touches a compiled file once, reading the pages a lookup
 * needs costs less than loading the whole file (not for -s, which reads all of it).
 */
export async function openForQuery(ctx: Context, arg: string, positionalReads = true): Promise<LookupTable> {
  const { type, name } = splitMap(ctx, arg);
  if (type === '' || name === '') {
    throw new Fatal(`open dictionary: expecting "type:name" form instead of "${type}:${name}"`);
  }
  try {
    return await openTable(`${type}:${name}`, { ...openOptions(ctx), positionalReads });
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

/** Bytes of keys answered per batch: bounds memory while keeping passes over a file few. */
const BATCH_BYTES = 16 << 20;

export async function queryBulk(ctx: Context): Promise<number> {
  const tables: (LookupTable | undefined)[] = ctx.flags.args.map(() => undefined);
  let found = false;
  const out = ctx.out;
  const sep = listingSeparator(ctx);
  const hit = (t: LookupTable, key: string, value: string): void => {
    if (value === '') emptyValueWarning(`${t.type}:${t.name}`, key);
    out.line(`${key}${sep}${value}\n`);
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
  const resolve = (key: string, from: number): Promise<void> | undefined => {
    for (let n = from; n < tables.length; n++) {
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
  await forEachStdinBatch(BATCH_BYTES, async (buf) => {
    const starts: number[] = [];
    const ends: number[] = [];
    for (let p = 0; p < buf.length; ) {
      let nl = buf.indexOf(10, p);
      if (nl < 0) nl = buf.length;
      starts.push(p);
      ends.push(nl);
      p = nl + 1;
    }
    if (starts.length === 0) return;
    const first = (tables[0] ??= await openForQuery(ctx, ctx.flags.args[0]!));
    const batch = first instanceof CompiledTable ? firstTableBatch(ctx, first, buf, starts, ends) : undefined;
    for (let j = 0; j < starts.length; j++) {
      const e = batch?.index[j] ?? -1;
      let r: Promise<void> | undefined;
      if (e >= 0) {
        const ans = batch!.answers;
        if (ans.found[e] === 1) {
          if (ans.len[e] === 0)
            emptyValueWarning(`${first.type}:${first.name}`, buf.toString('utf8', starts[j], ends[j]));
          out.answer(
            buf,
            starts[j]!,
            ends[j]! - starts[j]!,
            ans.bytes,
            ans.off[e]!,
            ans.len[e]!,
            ctx.aliases,
          );
          found = true;
          continue;
        }
        if (tables.length > 1) r = resolve(buf.toString('utf8', starts[j], ends[j]), 1);
      } else r = resolve(buf.toString('utf8', starts[j], ends[j]), 0);
      if (r !== undefined) await r;
    }
  });
  await Promise.all(tables.map((t) => t?.close()));
  return found ? 0 : 1;
}

/**
 * The first table's answers for the non-empty ASCII lines of a batch in one pass over its
 * file, with keys folded as bytes (ASCII folding is A-Z to a-z, as foldText()). index[j] is
 * line j's place in the answers, or -1 for lines left to the key-by-key path (non-ASCII or
 * empty keys; or all of them after a file problem, which that path reports as Postfix does).
 */
function firstTableBatch(
  ctx: Context,
  table: CompiledTable,
  buf: Buffer,
  starts: number[],
  ends: number[],
): { index: Int32Array; answers: BatchAnswers } | undefined {
  const lines = starts.length;
  const index = new Int32Array(lines).fill(-1);
  const off = new Uint32Array(lines);
  const len = new Uint32Array(lines);
  const fold = ctx.flags.foldCase;
  let count = 0;
  let used = 0;
  if (isAscii(buf)) {
    // The usual case, without a copy when no key needs folding (the batch's own bytes), else
    // with native string operations instead of a loop over every byte: the keys keep their
    // places in `bytes`, and each key's newline becomes its NUL.
    const inPlace = (!fold || !hasUpperCase(buf)) && (lines === 0 || ends[lines - 1]! < buf.length);
    // In place, the newlines become NULs: the lines are [starts[j], ends[j]) without them.
    const bytes = inPlace ? buf : Buffer.allocUnsafe(buf.length + 1);
    if (!inPlace) bytes.write(buf.toString('latin1').toLowerCase(), 0, 'latin1');
    for (let j = 0; j < lines; j++) {
      const s = starts[j]!;
      const e = ends[j]!;
      bytes[e] = 0;
      if (e === s) continue;
      index[j] = count;
      off[count] = s;
      len[count] = e - s;
      count++;
    }
    return lookupFirst(table, { bytes, off, len, count }, index);
  }
  const bytes = Buffer.allocUnsafe(buf.length + 1);
  for (let j = 0; j < lines; j++) {
    const s = starts[j]!;
    const e = ends[j]!;
    if (e === s) continue;
    let ascii = true;
    for (let i = s; i < e; i++) {
      let c = buf[i]!;
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      if (fold && c >= 65 && c <= 90) c += 32;
      bytes[used + i - s] = c;
    }
    if (!ascii) continue;
    bytes[used + e - s] = 0;
    index[j] = count;
    off[count] = used;
    len[count] = e - s;
    count++;
    used += e - s + 1;
  }
  return lookupFirst(table, { bytes, off, len, count }, index);
}

/**
 * True when some byte of an ASCII buffer is a capital letter. Four bytes at a time where the
 * buffer is aligned: with 0x80 set in every byte, subtracting 0x41 (0x5b) from each leaves
 * 0x80 set exactly in the bytes >= 'A' (> 'Z'), with no borrow between bytes.
 */
function hasUpperCase(buf: Uint8Array): boolean {
  let i = 0;
  if (buf.byteOffset % 4 === 0) {
    const words = new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
    for (let k = 0; k < words.length; k++) {
      const x = words[k]! | 0x80808080;
      if ((x - 0x41414141) & ~(x - 0x5b5b5b5b) & 0x80808080) return true;
    }
    i = words.length * 4;
  }
  for (; i < buf.length; i++) if (buf[i]! >= 65 && buf[i]! <= 90) return true;
  return false;
}

function lookupFirst(
  table: CompiledTable,
  keys: KeyBatch,
  index: Int32Array,
): { index: Int32Array; answers: BatchAnswers } | undefined {
  try {
    return { index, answers: table.lookupBatchBytes(keys) };
  } catch (err) {
    if (err instanceof TableError) return undefined;
    throw err;
  }
}

export async function sequence(ctx: Context): Promise<number> {
  const arg = ctx.flags.args[0];
  if (arg === undefined) return 1;
  const { type } = splitMap(ctx, arg);
  if (type === 'proxy') throw new Fatal("can't sequence maps via the proxy service");
  const t = (await openForQuery(ctx, arg, false)) as LookupTable & {
    entries?: () => Iterable<[string, string]>;
  };
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
      ctx.out.line(`${k}${listingSeparator(ctx)}${v}\n`);
    }
  } catch (err) {
    if (err instanceof TableError)
      throw new Fatal(`table ${t.type}:${t.name}: sequence error: ${err.message}`);
    throw err;
  }
  await t.close();
  return 0;
}
