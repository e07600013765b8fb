// The fast path of `postmap cdb:file` for plain sources (see lmdb-bulk.ts for what "plain"
// means): PlainParser finds the entries and their cdb hashes while the file is read, and the
// file is written straight from the source buffer. The bytes are those writeCdbFile()
// (cdb-format.ts) writes for the same entries: records in source order, each of the 256 hash
// tables filled in source order.
//
// Duplicate keys are found by filling the hash tables themselves: linear probing puts a key's
// earlier entry on the probe path of any later entry with the same key, so a later entry meets
// it (same hash, same bytes) before the first empty slot. No separate index or sort is needed.
// A duplicate changes the size of its table, so the tables are then filled once more without
// the duplicates (rare in real sources).
import type { FileSink } from './atomic-file.js';
import type { PlainEntries, PlainBuildOptions } from './lmdb-bulk.js';
import { put32, wordBytes } from './byte-source.js';
import { copyBytes } from './entry-store.js';

const HEADER = 2048;
const MAX_FILE = 0xffffffff;

/** The hash tables, filled with entry + 1 (0 = empty) where the file will have positions. */
interface Tables {
  /** (hash, entry + 1) per slot, all 256 tables one after another. */
  words: Uint32Array;
  /** Slot count of each table. */
  slots: Uint32Array;
}

/**
 * Entry indexes grouped by table (hash & 255), in source order within a table; `start[t]` is
 * where table t's entries begin. Entries with `dead[i]` set are left out.
 */
function groupByTable(
  hash: Uint32Array,
  count: number,
  dead: Uint8Array | undefined,
): { byTable: Uint32Array; start: Uint32Array } {
  const start = new Uint32Array(257);
  let live = 0;
  for (let i = 0; i < count; i++) {
    if (dead !== undefined && dead[i] === 1) continue;
    start[(hash[i]! & 255) + 1]!++;
    live++;
  }
  for (let t = 0; t < 256; t++) start[t + 1]! += start[t]!;
  const fill = start.slice(0, 256);
  const byTable = new Uint32Array(live);
  for (let i = 0; i < count; i++) {
    if (dead !== undefined && dead[i] === 1) continue;
    byTable[fill[hash[i]! & 255]!++] = i;
  }
  return { byTable, start };
}

/**
 * Fills the tables (2 slots per entry of a table, first slot (h >>> 8) % slots, linear
 * probing). With `onDuplicate`, an entry whose key is already in its table is not inserted:
 * onDuplicate(first, entry) is called instead.
 */
function fillTables(
  e: PlainEntries,
  byTable: Uint32Array,
  start: Uint32Array,
  onDuplicate?: (first: number, dup: number) => void,
): Tables {
  const { buf, koff, klen, hash } = e;
  const slotsOf = new Uint32Array(256);
  const words = new Uint32Array(4 * byTable.length);
  let w = 0;
  for (let t = 0; t < 256; t++) {
    const slots = (start[t + 1]! - start[t]!) * 2;
    slotsOf[t] = slots;
    for (let x = start[t]!; x < start[t + 1]!; x++) {
      const i = byTable[x]!;
      const h = hash[i]!;
      let s = (h >>> 8) % slots;
      let dupOf = -1;
      for (let at = w + s * 2; words[at + 1] !== 0; at = w + s * 2) {
        if (onDuplicate !== undefined && words[at] === h) {
          const j = words[at + 1]! - 1;
          if (klen[j] === klen[i] && sameBytes(buf, koff[j]!, koff[i]!, klen[i]!)) {
            dupOf = j;
            break;
          }
        }
        s = s + 1 === slots ? 0 : s + 1;
      }
      if (dupOf >= 0) {
        onDuplicate!(dupOf, i);
        continue;
      }
      words[w + s * 2] = h;
      words[w + s * 2 + 1] = i + 1;
    }
    w += slots * 2;
  }
  return { words, slots: slotsOf };
}

function sameBytes(buf: Buffer, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (buf[a + k] !== buf[b + k]) return false;
  return true;
}

/**
 * Writes the cdb file: records of the live entries in source order, then the tables (entry
 * numbers replaced by record positions), then the header.
 */
function writePlainCdb(
  e: PlainEntries,
  dead: Uint8Array | undefined,
  tables: Tables,
  nul: boolean,
  sink: FileSink,
): void {
  const { buf, count, koff, klen, voff, vlen } = e;
  const z = nul ? 1 : 0;
  let size = HEADER;
  let live = 0;
  for (let i = 0; i < count; i++) {
    if (dead !== undefined && dead[i] === 1) continue;
    size += 8 + klen[i]! + vlen[i]! + 2 * z;
    live++;
  }
  if (size + 16 * live > MAX_FILE) throw new RangeError('cdb file would exceed 4 GiB');
  const positions = new Uint32Array(count);
  sink.appendZeros(HEADER); // written last, when the tables' places are known
  let pos = HEADER;
  for (let i = 0; i < count; i++) {
    if (dead !== undefined && dead[i] === 1) continue;
    const kl = klen[i]! + z;
    const vl = vlen[i]! + z;
    const rec = 8 + kl + vl;
    const o = sink.reserve(rec);
    const out = sink.buf;
    put32(out, o, kl);
    put32(out, o + 4, vl);
    copyBytes(buf, koff[i]!, out, o + 8, kl - z);
    if (nul) out[o + 7 + kl] = 0;
    copyBytes(buf, voff[i]!, out, o + 8 + kl, vl - z);
    if (nul) out[o + 7 + kl + vl] = 0;
    sink.commit(rec);
    positions[i] = pos;
    pos += rec;
  }
  const { words, slots } = tables;
  for (let k = 1; k < words.length; k += 2) {
    const i1 = words[k]!;
    if (i1 !== 0) words[k] = positions[i1 - 1]!;
  }
  const header = Buffer.alloc(HEADER);
  let w = 0;
  for (let t = 0; t < 256; t++) {
    put32(header, t * 8, pos + w * 4);
    put32(header, t * 8 + 4, slots[t]!);
    w += slots[t]! * 2;
  }
  sink.append(wordBytes(words));
  sink.writeAt(header, 0);
}

/**
 * Builds the table from the entries of a plain source (parsed with hashKeys). Duplicate
 * warnings come in source order and before any byte is written, as with the general path.
 */
export function buildPlainCdb(e: PlainEntries, o: PlainBuildOptions): void {
  const { buf, count, koff, klen, voff, vlen } = e;
  const hash = e.hash;
  if (o.nul) {
    // The stored key ends in a NUL, and so does the hashed one.
    for (let i = 0; i < count; i++) hash[i] = (hash[i]! << 5) + hash[i]!;
  }
  let group = groupByTable(hash, count, undefined);
  let dead: Uint8Array | undefined;
  const dups: number[] = [];
  const replace = o.duplicates === 'replace';
  let tables = fillTables(e, group.byTable, group.start, (first, dup) => {
    (dead ??= new Uint8Array(count))[dup] = 1;
    dups.push(dup);
    if (replace) {
      voff[first] = voff[dup]!;
      vlen[first] = vlen[dup]!;
    }
  });
  if (dead !== undefined) {
    group = groupByTable(hash, count, dead);
    tables = fillTables(e, group.byTable, group.start);
  }
  if (o.duplicates === 'warn') {
    for (const i of Uint32Array.from(dups).sort())
      o.duplicate(buf.toString('utf8', koff[i]!, koff[i]! + klen[i]!));
  }
  o.writeFile((sink) => writePlainCdb(e, dead, tables, o.nul, sink));
}
