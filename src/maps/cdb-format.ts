// The cdb constant database format (D. J. Bernstein; tinycdb, which Postfix's dict_cdb uses, is
// byte-compatible): a 2048-byte header of 256 (position, slot count) pairs, then records
// {u32 key length, u32 data length, key, data}, then 256 open-addressing hash tables of
// (u32 hash, u32 record position) slots. All integers little-endian; the file is limited to 4 GiB.
// Hash: h = 5381; h = ((h << 5) + h) ^ byte. Table h & 255, first slot (h >>> 8) % slots.
import { CorruptFileError, type RawReader } from './raw-table.js';
import { copyBytes, type EntryStore } from './entry-store.js';
import {
  equalAt,
  equalBytes,
  put32,
  u32,
  windowOrder,
  wordBytes,
  type BatchHit,
  type ByteSource,
  type KeyBatch,
} from './byte-source.js';
import type { FileSink } from './atomic-file.js';

const HEADER = 2048;
const MAX_FILE = 0xffffffff;

function cdbHashBytes(b: Uint8Array, off = 0, len = b.length): number {
  let h = 5381;
  for (let i = off, end = off + len; i < end; i++) h = ((h << 5) + h) ^ b[i]!;
  return h >>> 0;
}

/** Streams a cdb file for the live entries of a store, in insertion order. */
export function writeCdbFile(store: EntryStore, sink: FileSink): void {
  const order = store.order();
  const n = order.length;
  const { segments, seg, keyOff, keyLen, valOff, valLen } = store;
  let size = HEADER;
  for (let j = 0; j < n; j++) size += 8 + keyLen[order[j]!]! + valLen[order[j]!]!;
  if (size + 16 * n > MAX_FILE) throw new RangeError('cdb file would exceed 4 GiB');
  const hashes = new Uint32Array(n);
  const positions = new Uint32Array(n);
  const perTable = new Uint32Array(256);
  sink.appendZeros(HEADER); // written last, when the tables' places are known
  let pos = HEADER;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    const buf = segments[seg[i]!]!;
    const ko = keyOff[i]!;
    const kl = keyLen[i]!;
    const vl = valLen[i]!;
    const rec = 8 + kl + vl;
    const o = sink.reserve(rec);
    const out = sink.buf;
    put32(out, o, kl);
    put32(out, o + 4, vl);
    // Copy the key and hash it in one loop (one pass over a million keys instead of two).
    let h = 5381;
    for (let x = 0; x < kl; x++) {
      const c = buf[ko + x]!;
      out[o + 8 + x] = c;
      h = ((h << 5) + h) ^ c;
    }
    h >>>= 0;
    copyBytes(buf, valOff[i]!, out, o + 8 + kl, vl);
    sink.commit(rec);
    hashes[j] = h;
    positions[j] = pos;
    perTable[h & 255]!++;
    pos += rec;
  }
  // Group entries by table (counting sort), keeping insertion order within a table.
  const start = new Uint32Array(257);
  for (let t = 0; t < 256; t++) start[t + 1] = start[t]! + perTable[t]!;
  const fill = start.slice(0, 256);
  const byTable = new Uint32Array(n);
  for (let j = 0; j < n; j++) byTable[fill[hashes[j]! & 255]!++] = j;
  // All hash tables in one word array: (hash, position) per slot; position 0 = empty.
  const header = Buffer.alloc(HEADER);
  const words = new Uint32Array(4 * n);
  let w = 0;
  for (let t = 0; t < 256; t++) {
    const slots = perTable[t]! * 2;
    put32(header, t * 8, pos + w * 4);
    put32(header, t * 8 + 4, slots);
    for (let x = start[t]!; x < start[t + 1]!; x++) {
      const j = byTable[x]!;
      const h = hashes[j]!;
      let s = (h >>> 8) % slots;
      while (words[w + s * 2 + 1] !== 0) s = s + 1 === slots ? 0 : s + 1;
      words[w + s * 2] = h;
      words[w + s * 2 + 1] = positions[j]!;
    }
    w += slots * 2;
  }
  sink.append(wordBytes(words));
  sink.writeAt(header, 0);
}

export class CdbReader implements RawReader {
  constructor(private readonly src: ByteSource) {
    if (src.size < HEADER) throw new CorruptFileError('file shorter than the 2048-byte cdb header');
  }

  get(key: Buffer): Buffer | undefined {
    const src = this.src;
    const h = cdbHashBytes(key);
    let o = src.view((h & 255) * 8, 8);
    const tpos = u32(src.buf, o);
    const slots = u32(src.buf, o + 4);
    if (slots === 0) return undefined;
    if (tpos + slots * 8 > src.size) throw new CorruptFileError('hash table beyond end of file');
    let s = (h >>> 8) % slots;
    for (let probes = 0; probes < slots; probes++) {
      o = src.view(tpos + s * 8, 8);
      const rpos = u32(src.buf, o + 4);
      if (rpos === 0) return undefined;
      if (u32(src.buf, o) === h) {
        o = src.view(rpos, 8);
        const klen = u32(src.buf, o);
        const dlen = u32(src.buf, o + 4);
        if (klen === key.length) {
          o = src.view(rpos + 8, klen + dlen);
          if (equalBytes(key, src.buf, o, klen))
            return Buffer.from(src.buf.subarray(o + klen, o + klen + dlen));
        }
      }
      s = s + 1 === slots ? 0 : s + 1;
    }
    return undefined;
  }

  /**
   * Batch get(): first every key's hash-table probes in slot order, then the candidate records
   * in file order, each through one forward window. With a match in several probes (not
   * written by Postfix or Outpost), the first probe wins, as in get().
   */
  getBatch(keys: KeyBatch, hit: BatchHit): void {
    const n = keys.count;
    const { bytes, off, len } = keys;
    const w = this.src.window?.();
    if (w === undefined) {
      for (let j = 0; j < n; j++) {
        const v = this.get(Buffer.from(bytes.subarray(off[j]!, off[j]! + len[j]!)));
        if (v !== undefined) hit(j, v, 0, v.length);
      }
      return;
    }
    const head = Buffer.from(w.buf.subarray(w.view(0, HEADER), HEADER));
    const hashes = new Uint32Array(n);
    const first = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const h = cdbHashBytes(bytes, off[j]!, len[j]!);
      const tpos = u32(head, (h & 255) * 8);
      const slots = u32(head, (h & 255) * 8 + 4);
      hashes[j] = h;
      if (slots !== 0 && tpos + slots * 8 > w.size)
        throw new CorruptFileError('hash table beyond end of file');
      first[j] = slots === 0 ? 0 : tpos + ((h >>> 8) % slots) * 8;
    }
    const candKey: number[] = [];
    const candPos: number[] = [];
    const bySlot = windowOrder(first, n, w.size);
    for (let x = 0; x < n; x++) {
      const j = bySlot[x]!;
      const h = hashes[j]!;
      const tpos = u32(head, (h & 255) * 8);
      const slots = u32(head, (h & 255) * 8 + 4);
      if (slots === 0) continue;
      let s = (h >>> 8) % slots;
      for (let probes = 0; probes < slots; probes++) {
        const o = w.view(tpos + s * 8, 8);
        const rpos = u32(w.buf, o + 4);
        if (rpos === 0) break;
        if (u32(w.buf, o) === h) {
          candKey.push(j);
          candPos.push(rpos);
        }
        s = s + 1 === slots ? 0 : s + 1;
      }
    }
    const m = candKey.length;
    const byPos = windowOrder(Float64Array.from(candPos), m, w.size);
    const won = new Int32Array(n).fill(-1);
    for (let x = 0; x < m; x++) {
      const c = byPos[x]!;
      const j = candKey[c]!;
      if (won[j]! >= 0 && won[j]! < c) continue;
      const rpos = candPos[c]!;
      let o = w.view(rpos, 8);
      const klen = u32(w.buf, o);
      const dlen = u32(w.buf, o + 4);
      if (klen !== len[j]) continue;
      o = w.view(rpos + 8, klen + dlen);
      if (!equalAt(bytes, off[j]!, len[j]!, w.buf, o, klen)) continue;
      // A later candidate with an earlier probe (never in files Postfix or Outpost write)
      // calls hit() again for the same key; the last call wins.
      won[j] = c;
      hit(j, w.buf, o + klen, dlen);
    }
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
      if (pos + 8 + klen + dlen > end) throw new CorruptFileError('record beyond end of data');
      const body = this.src.read(pos + 8, klen + dlen);
      yield [body.subarray(0, klen), body.subarray(klen)];
      pos += 8 + klen + dlen;
    }
  }
}
