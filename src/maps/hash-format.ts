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
import { CorruptFileError, type RawEntry, type RawReader } from './raw-table.js';
import type { ByteSource } from './byte-source.js';

export const HASH_MAGIC = 'OUTPOSTH';
const VERSION = 1;
const HEADER = 32;

/** FNV-1a over the bytes, finished with MurmurHash3's fmix32 so linear probing spreads well. */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function outpostHashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return finish(h);
}

function outpostHashBytes(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return finish(h);
}

export function buildHashFile(entries: readonly RawEntry[]): Buffer {
  const n = entries.length;
  let slots = 2;
  while (slots < 2 * n) slots *= 2;
  let recBytes = 0;
  for (const [k, v] of entries) recBytes += 8 + k.length + v.length;
  const tableOffset = HEADER + recBytes;
  const total = tableOffset + slots * 8;
  if (total > 0xffffffff) throw new RangeError('hash file would exceed 4 GiB');
  const out = Buffer.alloc(total);
  out.write(HASH_MAGIC, 0, 'latin1');
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(n, 16);
  out.writeUInt32LE(slots, 20);
  out.writeUInt32LE(tableOffset, 24);
  const mask = slots - 1;
  let pos = HEADER;
  for (const [k, v] of entries) {
    out.writeUInt32LE(k.length, pos);
    out.writeUInt32LE(v.length, pos + 4);
    out.write(k, pos + 8, k.length, 'latin1');
    out.write(v, pos + 8 + k.length, v.length, 'latin1');
    const h = outpostHashString(k);
    let s = h & mask;
    while (out.readUInt32LE(tableOffset + s * 8 + 4) !== 0) s = (s + 1) & mask;
    out.writeUInt32LE(h, tableOffset + s * 8);
    out.writeUInt32LE(pos, tableOffset + s * 8 + 4);
    pos += 8 + k.length + v.length;
  }
  return out;
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
    const h = src.read(0, HEADER);
    if (h.length < HEADER || h.toString('latin1', 0, 8) !== HASH_MAGIC) {
      throw new CorruptFileError('not an Outpost hash file');
    }
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
    const h = outpostHashBytes(key);
    const mask = this.slots - 1;
    let s = h & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const slot = this.src.read(this.tableOffset + s * 8, 8);
      const rpos = slot.readUInt32LE(4);
      if (rpos === 0) return undefined;
      if (slot.readUInt32LE(0) === h) {
        const rec = this.src.read(rpos, 8);
        const klen = rec.readUInt32LE(0);
        const vlen = rec.readUInt32LE(4);
        if (rpos + 8 + klen + vlen > this.tableOffset)
          throw new CorruptFileError('record overlaps slot table');
        if (klen === key.length) {
          const body = this.src.read(rpos + 8, klen + vlen);
          if (key.equals(body.subarray(0, klen))) return body.subarray(klen);
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
      yield [Buffer.from(body.subarray(0, klen)), Buffer.from(body.subarray(klen))];
      pos += 8 + klen + vlen;
    }
  }
}
