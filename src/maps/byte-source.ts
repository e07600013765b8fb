// Positional access to a compiled table file. Tables up to MEMORY_LIMIT bytes are read into
// memory once (asynchronously, when the table is opened or reopened after a rebuild), so a
// lookup is pure computation; larger files are read with positional reads on an open
// descriptor, a few hundred bytes per lookup. No mmap: Node has none, and a rebuilt table is a
// new file (rename), so the old descriptor keeps reading a consistent old snapshot.
//
// Readers use view(): it makes bytes [pos, pos+len) readable in `buf` and returns their offset
// there. For an in-memory file `buf` is the whole file and nothing is copied; for a large file
// `buf` is a scratch buffer that the next view() call overwrites.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** Files up to this size are read into memory; larger ones go through FdSource's block cache. */
export const MEMORY_LIMIT = 256 * 1024 * 1024;

export interface ByteSource {
  readonly size: number;
  /** The buffer the last view() refers to. */
  readonly buf: Uint8Array;
  /** Makes [pos, pos+len) readable in `buf`; returns the offset. Throws past end of file. */
  view(pos: number, len: number): number;
  /** A copy of [pos, pos+len) (fewer bytes at end of file). */
  read(pos: number, len: number): Buffer;
  /** A forward window for batch lookups; only sources that read the file positionally have it. */
  window?(): WindowSource;
  close(): void;
}

export class ShortReadError extends Error {}

export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(readonly buf: Buffer) {
    this.size = buf.length;
  }
  view(pos: number, len: number): number {
    if (pos < 0 || pos + len > this.size) throw new ShortReadError(`read past end of file at ${pos}`);
    return pos;
  }
  read(pos: number, len: number): Buffer {
    return Buffer.from(this.buf.subarray(pos, Math.min(pos + len, this.size)));
  }
  close(): void {}
}

/**
 * A large file read with positional reads through a fixed pool of cached 4 KiB blocks (clock
 * eviction): LMDB branch pages, the cdb header and other hot blocks stay in memory, and the pool
 * is allocated once, so lookups neither allocate nor page-fault fresh memory.
 */
export class FdSource implements ByteSource {
  static readonly BLOCK = 4096;
  readonly size: number;
  buf: Buffer;
  private readonly pool: Buffer;
  private readonly blockOf: Float64Array;
  private readonly used: Uint8Array;
  private readonly where = new Map<number, number>();
  private hand = 0;
  private scratch = Buffer.alloc(FdSource.BLOCK * 2);

  constructor(
    private fd: number,
    cacheBytes = 16 * 1024 * 1024,
  ) {
    this.size = fstatSync(fd).size;
    const n = Math.max(16, Math.floor(cacheBytes / FdSource.BLOCK));
    // Not zero-filled: untouched blocks then cost no memory (fresh pages are expensive).
    this.pool = Buffer.allocUnsafe(n * FdSource.BLOCK);
    this.blockOf = new Float64Array(n).fill(-1);
    this.used = new Uint8Array(n);
    this.buf = this.pool;
  }

  private fill(target: Buffer, at: number, pos: number, len: number): number {
    let done = 0;
    while (done < len) {
      const r = readSync(this.fd, target, at + done, len - done, pos + done);
      if (r === 0) break;
      done += r;
    }
    return done;
  }

  view(pos: number, len: number): number {
    if (pos < 0 || pos + len > this.size) throw new ShortReadError(`read past end of file at ${pos}`);
    const B = FdSource.BLOCK;
    const block = Math.floor(pos / B);
    if (pos + len <= (block + 1) * B) {
      let slot = this.where.get(block);
      if (slot === undefined) {
        const n = this.blockOf.length;
        while (this.used[this.hand] === 1) {
          this.used[this.hand] = 0;
          this.hand = (this.hand + 1) % n;
        }
        slot = this.hand;
        this.hand = (this.hand + 1) % n;
        if (this.blockOf[slot]! >= 0) this.where.delete(this.blockOf[slot]!);
        const want = Math.min(B, this.size - block * B);
        if (this.fill(this.pool, slot * B, block * B, want) !== want)
          throw new ShortReadError(`short read at ${pos}`);
        this.blockOf[slot] = block;
        this.where.set(block, slot);
      }
      this.used[slot] = 1;
      this.buf = this.pool;
      return slot * B + (pos - block * B);
    }
    // Spans blocks: read it whole, uncached.
    if (this.scratch.length < len) this.scratch = Buffer.alloc(len);
    if (this.fill(this.scratch, 0, pos, len) !== len) throw new ShortReadError(`short read at ${pos}`);
    this.buf = this.scratch;
    return 0;
  }

  /** A forward window on the same file, for batch lookups. */
  window(): WindowSource {
    return new WindowSource(this.fd, this.size);
  }

  read(pos: number, len: number): Buffer {
    const n = Math.max(0, Math.min(len, this.size - pos));
    const out = Buffer.alloc(n);
    return out.subarray(0, this.fill(out, 0, pos, n));
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Opens a file as a ByteSource: in memory when small enough. Errors are the fs errors. */
export async function openByteSource(path: string, memoryLimit = MEMORY_LIMIT): Promise<ByteSource> {
  const st = await stat(path);
  if (st.size <= memoryLimit) return new MemorySource(await readFile(path));
  return new FdSource(openSync(path, 'r'));
}

/** Little-endian integers from a byte array (faster than Buffer#readUInt*LE on hot paths). */
export function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255;
  b[o + 1] = (v >>> 8) & 255;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255;
  b[o + 1] = (v >>> 8) & 255;
  b[o + 2] = (v >>> 16) & 255;
  b[o + 3] = (v >>> 24) & 255;
}

/** 32-bit words as little-endian bytes (no copy on little-endian machines). */
export function wordBytes(words: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  const b = new Uint8Array(words.length * 4);
  for (let i = 0; i < words.length; i++) put32(b, 4 * i, words[i]!);
  return b;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Compares key bytes with b[off, off+len) like memcmp, shorter first on a tie. */
export function compareBytes(key: Uint8Array, b: Uint8Array, off: number, len: number): number {
  const n = key.length < len ? key.length : len;
  for (let i = 0; i < n; i++) {
    const d = key[i]! - b[off + i]!;
    if (d !== 0) return d;
  }
  return key.length - len;
}

export function equalBytes(key: Uint8Array, b: Uint8Array, off: number, len: number): boolean {
  if (key.length !== len) return false;
  for (let i = 0; i < len; i++) if (key[i] !== b[off + i]) return false;
  return true;
}

/**
 * Forward reads through one reused window (1 MiB or the largest request): for batch lookups
 * that visit file positions in increasing order, each byte is read about once, in a few large
 * reads, into memory that is faulted in once. (Fresh memory for a whole-file copy costs more
 * than the lookups on small VMs; so does one read() system call per key.) A position before
 * the window is read again: correct, only slower.
 */
export class WindowSource {
  static readonly WINDOW = 1 << 20;
  buf: Buffer = Buffer.allocUnsafe(WindowSource.WINDOW);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** Makes [pos, pos+len) readable in `buf`; returns the offset. Throws past end of file. */
  view(pos: number, len: number): number {
    if (pos >= this.start && pos + len <= this.end) return pos - this.start;
    if (pos < 0 || pos + len > this.size) throw new ShortReadError(`read past end of file at ${pos}`);
    // From the start of pos's 64 KiB bucket: windowOrder() leaves positions unsorted within one.
    const from = pos - (pos % BUCKET);
    if (pos - from + len > this.buf.length) this.buf = Buffer.allocUnsafe(pos - from + len);
    const want = Math.min(this.buf.length, this.size - from);
    let done = 0;
    while (done < want) {
      const r = readSync(this.fd, this.buf, done, want - done, from + done);
      if (r === 0) break;
      done += r;
    }
    if (done < pos - from + len) throw new ShortReadError(`short read at ${pos}`);
    this.start = from;
    this.end = from + done;
    return pos - from;
  }
}

const BUCKET = 1 << 16;

/**
 * The indexes 0..count-1 ordered by file position, for WindowSource: a counting sort by 64 KiB
 * bucket (linear time; a comparison sort of 100,000 keys costs more than their lookups).
 */
export function windowOrder(pos: Float64Array, count: number, fileSize: number): Uint32Array {
  const buckets = Math.floor(fileSize / BUCKET) + 2;
  const start = new Uint32Array(buckets + 1);
  for (let j = 0; j < count; j++) start[Math.floor(pos[j]! / BUCKET) + 1]!++;
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  const out = new Uint32Array(count);
  for (let j = 0; j < count; j++) out[start[Math.floor(pos[j]! / BUCKET)]!++] = j;
  return out;
}

/** Many keys in one buffer: key j is bytes[off[j], off[j] + len[j]). */
export interface KeyBatch {
  readonly bytes: Uint8Array;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  readonly count: number;
}

/** Called with a found key's index and its stored value bytes b[off, off+len). */
export type BatchHit = (j: number, b: Uint8Array, off: number, len: number) => void;

/** Like equalBytes for a key of a batch. */
export function equalAt(
  a: Uint8Array,
  ao: number,
  al: number,
  b: Uint8Array,
  bo: number,
  bl: number,
): boolean {
  if (al !== bl) return false;
  for (let i = 0; i < al; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** Like compareBytes for a key of a batch. */
export function compareAt(
  a: Uint8Array,
  ao: number,
  al: number,
  b: Uint8Array,
  bo: number,
  bl: number,
): number {
  const n = al < bl ? al : bl;
  for (let i = 0; i < n; i++) {
    const d = a[ao + i]! - b[bo + i]!;
    if (d !== 0) return d;
  }
  return al - bl;
}

/**
 * compareAt() four bytes at a time (big-endian words compare as memcmp does): for the hot
 * searches of batch lookups, where keys often share their first ten or twenty bytes.
 */
export function compareWords(
  a: DataView,
  ao: number,
  al: number,
  b: DataView,
  bo: number,
  bl: number,
): number {
  const n = al < bl ? al : bl;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = a.getUint32(ao + i);
    const y = b.getUint32(bo + i);
    if (x !== y) return x < y ? -1 : 1;
  }
  for (; i < n; i++) {
    const d = a.getUint8(ao + i) - b.getUint8(bo + i);
    if (d !== 0) return d;
  }
  return al - bl;
}

/** A DataView of a whole byte array. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
