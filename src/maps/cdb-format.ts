// The cdb constant database format (D. J. Bernstein; tinycdb, which Postfix's dict_cdb uses, is
// byte-compatible): a 2048-byte header of 256 (position, slot count) pairs, then records
// {u32 key length, u32 data length, key, data}, then 256 open-addressing hash tables of
// (u32 hash, u32 record position) slots. All integers little-endian; the file is limited to 4 GiB.
// Hash: h = 5381; h = ((h << 5) + h) ^ byte. Table h & 255, first slot (h >>> 8) % slots.
import { CorruptFileError, type RawEntry, type RawReader } from './raw-table.js';
import type { ByteSource } from './byte-source.js';

const HEADER = 2048;
const MAX_FILE = 0xffffffff;

/** cdb hash over the char codes of a byte string (bytes.ts). */
export function cdbHashString(s: string): number {
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = ((h << 5) + h) ^ s.charCodeAt(i);
  return h >>> 0;
}

function cdbHashBytes(b: Buffer): number {
  let h = 5381;
  for (let i = 0; i < b.length; i++) h = ((h << 5) + h) ^ b[i]!;
  return h >>> 0;
}

/** Builds a cdb file. Entries are written in the given order; keys should be unique. */
export function buildCdbFile(entries: readonly RawEntry[]): Buffer {
  let size = HEADER;
  for (const [k, v] of entries) size += 8 + k.length + v.length;
  const n = entries.length;
  const total = size + 16 * n;
  if (total > MAX_FILE) throw new RangeError('cdb file would exceed 4 GiB');
  const out = Buffer.alloc(total);
  const hashes = new Uint32Array(n);
  const positions = new Uint32Array(n);
  const perTable = new Uint32Array(256);
  let pos = HEADER;
  for (let i = 0; i < n; i++) {
    const [k, v] = entries[i]!;
    out.writeUInt32LE(k.length, pos);
    out.writeUInt32LE(v.length, pos + 4);
    out.write(k, pos + 8, k.length, 'latin1');
    out.write(v, pos + 8 + k.length, v.length, 'latin1');
    const h = cdbHashString(k);
    hashes[i] = h;
    positions[i] = pos;
    perTable[h & 255]!++;
    pos += 8 + k.length + v.length;
  }
  // Group entry indexes by table (counting sort), keeping insertion order within a table.
  const start = new Uint32Array(257);
  for (let t = 0; t < 256; t++) start[t + 1] = start[t]! + perTable[t]!;
  const fill = start.slice(0, 256);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[fill[hashes[i]! & 255]!++] = i;
  for (let t = 0; t < 256; t++) {
    const count = perTable[t]!;
    const slots = count * 2;
    out.writeUInt32LE(pos, t * 8);
    out.writeUInt32LE(slots, t * 8 + 4);
    for (let j = start[t]!; j < start[t + 1]!; j++) {
      const i = order[j]!;
      const h = hashes[i]!;
      let s = (h >>> 8) % slots;
      while (out.readUInt32LE(pos + s * 8 + 4) !== 0) s = s + 1 === slots ? 0 : s + 1;
      out.writeUInt32LE(h, pos + s * 8);
      out.writeUInt32LE(positions[i]!, pos + s * 8 + 4);
    }
    pos += slots * 8;
  }
  return out;
}

export class CdbReader implements RawReader {
  constructor(private readonly src: ByteSource) {
    if (src.size < HEADER) throw new CorruptFileError('file shorter than the 2048-byte cdb header');
  }

  get(key: Buffer): Buffer | undefined {
    const h = cdbHashBytes(key);
    const head = this.src.read((h & 255) * 8, 8);
    const tpos = head.readUInt32LE(0);
    const slots = head.readUInt32LE(4);
    if (slots === 0) return undefined;
    if (tpos + slots * 8 > this.src.size) throw new CorruptFileError('hash table beyond end of file');
    let s = (h >>> 8) % slots;
    for (let probes = 0; probes < slots; probes++) {
      const slot = this.src.read(tpos + s * 8, 8);
      const rpos = slot.readUInt32LE(4);
      if (rpos === 0) return undefined;
      if (slot.readUInt32LE(0) === h) {
        const rec = this.src.read(rpos, 8);
        if (rec.length < 8) throw new CorruptFileError('record beyond end of file');
        const klen = rec.readUInt32LE(0);
        const dlen = rec.readUInt32LE(4);
        if (klen === key.length) {
          const body = this.src.read(rpos + 8, klen + dlen);
          if (body.length < klen + dlen) throw new CorruptFileError('record beyond end of file');
          if (key.equals(body.subarray(0, klen))) return body.subarray(klen);
        }
      }
      s = s + 1 === slots ? 0 : s + 1;
    }
    return undefined;
  }

  *entries(): Iterable<[Buffer, Buffer]> {
    // Records run from the header to the first hash table.
    let end = this.src.size;
    const head = this.src.read(0, HEADER);
    for (let t = 0; t < 256; t++) end = Math.min(end, head.readUInt32LE(t * 8));
    let pos = HEADER;
    while (pos + 8 <= end) {
      const rec = this.src.read(pos, 8);
      const klen = rec.readUInt32LE(0);
      const dlen = rec.readUInt32LE(4);
      const body = this.src.read(pos + 8, klen + dlen);
      if (body.length < klen + dlen) throw new CorruptFileError('record beyond end of file');
      yield [Buffer.from(body.subarray(0, klen)), Buffer.from(body.subarray(klen))];
      pos += 8 + klen + dlen;
    }
  }
}
