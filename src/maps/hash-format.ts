// Outpost's own indexed file format for hash:, btree: and dbm: tables ("file.db"). Postfix uses
// Berkeley DB there, which has no maintained JavaScript implementation; Outpost writes this
// simpler format instead and recognises a Berkeley DB file to say how to rebuild it.
//
// Layout (all integers u32 little-endian; documented in docs/tables.md):
//   0  magic "OUTPOSTH"      8  version (1)      12 flags (0)
//   16 entry count           20 slot count (power of two, >= 2 x entries)
//   24 slot table offset     28 reserved (0)
//   32 records in insertion order: {key length, value length, key bytes, value bytes}
//   slot table: {hash, record offset} pairs, open addressing with linear probing from
//   hash & (slots - 1); offset 0 marks an empty slot.
// A lookup costs one slot read (usually) and one record read. Files are limited to 4 GiB.
import { CorruptFileError, type RawReader } from './raw-table.js';
import { copyBytes, hashBytes, type EntryStore } from './entry-store.js';
import { equalBytes, put32, u32, wordBytes, type ByteSource } from './byte-source.js';
import type { FileSink } from './atomic-file.js';

export const HASH_MAGIC = 'OUTPOSTH';
const VERSION = 1;
const HEADER = 32;

/** Streams an Outpost hash file for the live entries of a store, in insertion order. */
export function writeHashFile(store: EntryStore, sink: FileSink): void {
  const order = store.order();
  const n = order.length;
  const { segments, seg, keyOff, keyLen, valOff, valLen, hash } = store;
  let slots = 2;
  while (slots < 2 * n) slots *= 2;
  let recBytes = 0;
  for (let j = 0; j < n; j++) recBytes += 8 + keyLen[order[j]!]! + valLen[order[j]!]!;
  const tableOffset = HEADER + recBytes;
  if (tableOffset + slots * 8 > 0xffffffff) throw new RangeError('hash file would exceed 4 GiB');
  const header = Buffer.alloc(HEADER);
  header.write(HASH_MAGIC, 0, 'latin1');
  put32(header, 8, VERSION);
  put32(header, 16, n);
  put32(header, 20, slots);
  put32(header, 24, tableOffset);
  sink.append(header);
  const table = new Uint32Array(slots * 2);
  const mask = slots - 1;
  let pos = HEADER;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    const buf = segments[seg[i]!]!;
    const kl = keyLen[i]!;
    const vl = valLen[i]!;
    const rec = 8 + kl + vl;
    const o = sink.reserve(rec);
    const out = sink.buf;
    put32(out, o, kl);
    put32(out, o + 4, vl);
    copyBytes(buf, keyOff[i]!, out, o + 8, kl);
    copyBytes(buf, valOff[i]!, out, o + 8 + kl, vl);
    sink.commit(rec);
    // The store hashes keys with the same function the reader uses.
    const h = hash[i]!;
    let s = h & mask;
    while (table[s * 2 + 1] !== 0) s = (s + 1) & mask;
    table[s * 2] = h;
    table[s * 2 + 1] = pos;
    pos += rec;
  }
  sink.append(wordBytes(table));
}

/** Berkeley DB magic numbers (hash, btree, queue), at offset 12 (DB 2+) or 0 (DB 1.85). */
const BDB_MAGICS = [0x061561, 0x053162, 0x042253];

export function isBerkeleyDb(head: Buffer): boolean {
  for (const off of [12, 0]) {
    if (head.length < off + 4) continue;
    const le = head.readUInt32LE(off);
    const be = head.readUInt32BE(off);
    if (BDB_MAGICS.includes(le) || BDB_MAGICS.includes(be)) return true;
  }
  return false;
}

export class HashReader implements RawReader {
  private readonly slots: number;
  private readonly tableOffset: number;

  constructor(private readonly src: ByteSource) {
    if (src.size < HEADER) throw new CorruptFileError('not an Outpost hash file (too short)');
    const h = src.read(0, HEADER);
    if (h.toString('latin1', 0, 8) !== HASH_MAGIC) throw new CorruptFileError('not an Outpost hash file');
    const version = h.readUInt32LE(8);
    if (version !== VERSION) throw new CorruptFileError(`unsupported Outpost hash format version ${version}`);
    this.slots = h.readUInt32LE(20);
    this.tableOffset = h.readUInt32LE(24);
    if (
      this.slots === 0 ||
      (this.slots & (this.slots - 1)) !== 0 ||
      this.tableOffset < HEADER ||
      this.tableOffset + this.slots * 8 > src.size
    ) {
      throw new CorruptFileError('bad slot table');
    }
  }

  get(key: Buffer): Buffer | undefined {
    const src = this.src;
    const h = hashBytes(key, 0, key.length);
    const mask = this.slots - 1;
    let s = h & mask;
    for (let probes = 0; probes <= mask; probes++) {
      let o = src.view(this.tableOffset + s * 8, 8);
      const rpos = u32(src.buf, o + 4);
      if (rpos === 0) return undefined;
      if (u32(src.buf, o) === h) {
        o = src.view(rpos, 8);
        const klen = u32(src.buf, o);
        const vlen = u32(src.buf, o + 4);
        if (rpos + 8 + klen + vlen > this.tableOffset)
          throw new CorruptFileError('record overlaps slot table');
        if (klen === key.length) {
          o = src.view(rpos + 8, klen + vlen);
          if (equalBytes(key, src.buf, o, klen))
            return Buffer.from(src.buf.subarray(o + klen, o + klen + vlen));
        }
      }
      s = (s + 1) & mask;
    }
    return undefined;
  }

  *entries(): Iterable<[Buffer, Buffer]> {
    let pos = HEADER;
    while (pos + 8 <= this.tableOffset) {
      const rec = this.src.read(pos, 8);
      const klen = rec.readUInt32LE(0);
      const vlen = rec.readUInt32LE(4);
      if (pos + 8 + klen + vlen > this.tableOffset) throw new CorruptFileError('record overlaps slot table');
      const body = this.src.read(pos + 8, klen + vlen);
      yield [body.subarray(0, klen), body.subarray(klen)];
      pos += 8 + klen + vlen;
    }
  }
}
