// LMDB data format version 1, as written and read by liblmdb 0.9.x (Debian's liblmdb0 that
// Postfix's dict_lmdb links against), for one unnamed database without duplicates: the subset
// Postfix uses (dict_lmdb.c opens with MDB_NOSUBDIR | MDB_NOLOCK, one file, no lock file).
//
// Why not lmdb-js: its prebuilt binaries use LMDB's newer data format version 2, which Postfix
// rejects ("MDB_INVALID: File is not an LMDB file"); see docs/tables.md.
//
// Layout (64-bit, little-endian, page size 4096): pages 0 and 1 hold the two meta records (the
// one with the higher transaction id is current); the B+tree's leaf pages hold nodes
// {u16 lo, u16 hi (data size), u16 flags, u16 key size, key, data} placed downwards from the page
// end with a u16 offset table after the 16-byte page header; branch nodes carry a child page
// number in lo/hi/flags and the first key of that child (empty for the first node); a value too
// large for a node (F_BIGDATA) lives in consecutive overflow pages.
import { CorruptFileError, type RawReader } from './raw-table.js';
import { copyBytes, type EntryStore } from './entry-store.js';
import {
  compareAt,
  compareWords,
  viewOf,
  put16,
  put32,
  u16,
  u32,
  type BatchHit,
  type ByteSource,
  type KeyBatch,
  type WindowSource,
} from './byte-source.js';
import type { FileSink } from './atomic-file.js';
import { sortKeys } from './key-sort.js';

export const LMDB_PAGE_SIZE = 4096;
const PAGEHDRSZ = 16;
const NODESIZE = 8;
const MAGIC = 0xbeefc0de;
const DATA_VERSION = 1;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_META = 0x08;
const P_LEAF2 = 0x20;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
/** liblmdb 0.9 default MDB_MAXKEYSIZE. */
export const LMDB_MAX_KEY = 511;
const P_INVALID = 0xffffffffffffffffn;
/** Postfix lmdb_map_size default; liblmdb grows the map to the file size when reading anyway. */
const DEFAULT_MAP_SIZE = 16 * 1024 * 1024;
/** Persistent flags of the free-list DB as liblmdb writes them (MDB_INTEGERKEY | MDB_NOSUBDIR). */
const FREE_DB_FLAGS = 0x4008;

function even(n: number): number {
  return (n + 1) & ~1;
}

function nodeMax(psize: number): number {
  return (((psize - PAGEHDRSZ) / 2) & ~1) - 2;
}

// ---------------------------------------------------------------- writer

interface ChildRef {
  pgno: number;
  /** The child's first key (a copy). */
  key: Buffer;
}

/**
 * Streams an LMDB file: entries go in through add() in key order (memcmp), packed into full
 * leaves as liblmdb's MDB_APPEND does; finish() writes the branch levels and the meta pages.
 */
export class LmdbTreeWriter {
  private readonly PS = LMDB_PAGE_SIZE;
  private readonly NMAX = nodeMax(LMDB_PAGE_SIZE);
  // Pages 0 and 1 are the meta pages, written last.
  private nextPgno = 2;
  private leafPages = 0;
  private branchPages = 0;
  private overflowPages = 0;
  private count = 0;
  private readonly page = Buffer.alloc(LMDB_PAGE_SIZE);
  private readonly pageView = new DataView(this.page.buffer, this.page.byteOffset, this.page.length);
  /** A DataView of the last source buffer add() copied from (most entries share one). */
  private src: Uint8Array | undefined;
  private srcView: DataView = this.pageView;
  private pagePgno = -1;
  private lower = 0;
  private upper = 0;
  private readonly leaves: ChildRef[] = [];

  constructor(private readonly sink: FileSink) {}

  private finishLeaf(): void {
    if (this.pagePgno < 0) return;
    const page = this.page;
    put16(page, 12, this.lower);
    put16(page, 14, this.upper);
    // The gap between the offset table and the nodes (garbage in liblmdb; zeros here).
    page.fill(0, this.lower, this.upper);
    this.sink.writeAt(page, this.pagePgno * this.PS);
    this.pagePgno = -1;
  }

  /**
   * Adds one entry: key bytes k[ko, ko+kl) then a NUL when knul, value bytes v[vo, vo+vl) then
   * a NUL when vnul. Keys must come in increasing order.
   */
  add(
    k: Uint8Array,
    ko: number,
    kl: number,
    knul: boolean,
    v: Uint8Array,
    vo: number,
    vl: number,
    vnul: boolean,
  ): void {
    const klen = kl + (knul ? 1 : 0);
    const vlen = vl + (vnul ? 1 : 0);
    if (klen === 0 || klen > LMDB_MAX_KEY) {
      throw new RangeError(
        `MDB_BAD_VALSIZE: Unsupported size of key/DB name/data, or wrong DUPFIXED size (key of ${klen} bytes)`,
      );
    }
    const PS = this.PS;
    const page = this.page;
    const big = NODESIZE + klen + vlen > this.NMAX;
    const size = even(NODESIZE + klen + (big ? 8 : vlen));
    if (this.pagePgno < 0 || this.upper - this.lower < size + 2) {
      this.finishLeaf();
      const pgno = this.nextPgno++;
      page.fill(0, 0, PAGEHDRSZ);
      put32(page, 0, pgno);
      put16(page, 10, P_LEAF);
      this.pagePgno = pgno;
      this.lower = PAGEHDRSZ;
      this.upper = PS;
      const first = Buffer.allocUnsafe(klen);
      copyBytes(k, ko, first, 0, kl);
      if (knul) first[kl] = 0;
      this.leaves.push({ pgno, key: first });
      this.leafPages++;
    }
    const ofs = this.upper - size;
    put16(page, ofs, vlen & 0xffff);
    put16(page, ofs + 2, vlen >>> 16);
    put16(page, ofs + 4, big ? F_BIGDATA : 0);
    put16(page, ofs + 6, klen);
    let at = ofs + NODESIZE;
    this.copy(k, ko, at, kl);
    at += kl;
    if (knul) page[at++] = 0;
    if (big) {
      const n = Math.floor((PAGEHDRSZ - 1 + vlen) / PS) + 1;
      const ov = Buffer.alloc(n * PS);
      const pgno = this.nextPgno;
      this.nextPgno += n;
      put32(ov, 0, pgno);
      put16(ov, 10, P_OVERFLOW);
      put32(ov, 12, n);
      copyBytes(v, vo, ov, PAGEHDRSZ, vl);
      this.sink.writeAt(ov, pgno * PS);
      this.overflowPages += n;
      put32(page, at, pgno);
      put32(page, at + 4, 0);
    } else {
      this.copy(v, vo, at, vl);
      if (vnul) page[at + vl] = 0;
      // A padding byte (odd node size) is zero too.
      if ((NODESIZE + klen + vlen) & 1) page[ofs + size - 1] = 0;
    }
    put16(page, this.lower, ofs);
    this.lower += 2;
    this.upper = ofs;
    this.count++;
  }

  /** Copies s[so, so+len) to the page at `at`, four bytes at a time (unaligned DataView access). */
  private copy(s: Uint8Array, so: number, at: number, len: number): void {
    if (s !== this.src) {
      this.src = s;
      this.srcView = new DataView(s.buffer, s.byteOffset, s.byteLength);
    }
    const sv = this.srcView;
    const dv = this.pageView;
    let i = 0;
    for (; i + 4 <= len; i += 4) dv.setUint32(at + i, sv.getUint32(so + i, true), true);
    const page = this.page;
    for (; i < len; i++) page[at + i] = s[so + i]!;
  }

  /** Writes the last leaf, the branch levels (bottom-up, until one root remains), the metas. */
  finish(): void {
    this.finishLeaf();
    const { PS, sink } = this;
    let level = this.leaves;
    let depth = level.length > 0 ? 1 : 0;
    const buf = Buffer.alloc(PS);
    while (level.length > 1) {
      const groups: ChildRef[][] = [];
      let group: ChildRef[] = [];
      let room = 0;
      for (const child of level) {
        const size = even(NODESIZE + (group.length === 0 ? 0 : child.key.length)) + 2;
        if (group.length > 0 && size > room) {
          groups.push(group);
          group = [];
        }
        if (group.length === 0) room = PS - PAGEHDRSZ - (even(NODESIZE) + 2);
        else room -= size;
        group.push(child);
      }
      groups.push(group);
      // liblmdb expects at least two children per branch page.
      const last = groups[groups.length - 1]!;
      if (last.length === 1 && groups.length > 1) last.unshift(groups[groups.length - 2]!.pop()!);
      const next: ChildRef[] = [];
      for (const g of groups) {
        buf.fill(0);
        const pgno = this.nextPgno++;
        put32(buf, 0, pgno);
        put16(buf, 10, P_BRANCH);
        this.branchPages++;
        let lo = PAGEHDRSZ;
        let up = PS;
        g.forEach((child, i) => {
          const klen = i === 0 ? 0 : child.key.length;
          const size = even(NODESIZE + klen);
          const ofs = up - size;
          put16(buf, ofs, child.pgno & 0xffff);
          put16(buf, ofs + 2, child.pgno >>> 16);
          put16(buf, ofs + 6, klen);
          copyBytes(child.key, 0, buf, ofs + NODESIZE, klen);
          put16(buf, lo, ofs);
          lo += 2;
          up = ofs;
        });
        put16(buf, 12, lo);
        put16(buf, 14, up);
        sink.writeAt(buf, pgno * PS);
        next.push({ pgno, key: g[0]!.key });
      }
      level = next;
      depth++;
    }

    const lastPg = this.nextPgno - 1;
    const root = level.length === 1 ? BigInt(level[0]!.pgno) : P_INVALID;
    const mapSize = Math.max(DEFAULT_MAP_SIZE, this.nextPgno * PS);
    const meta = (pgno: number, txnid: number, withData: boolean): Buffer => {
      const b = Buffer.alloc(PS);
      b.writeUInt32LE(pgno, 0);
      b.writeUInt16LE(P_META, 10);
      b.writeUInt32LE(MAGIC, 16);
      b.writeUInt32LE(DATA_VERSION, 20);
      b.writeBigUInt64LE(BigInt(mapSize), 32);
      // mm_dbs[FREE_DBI]: md_pad holds the page size.
      b.writeUInt32LE(PS, 40);
      b.writeUInt16LE(FREE_DB_FLAGS, 44);
      b.writeBigUInt64LE(P_INVALID, 80);
      // mm_dbs[MAIN_DBI]
      if (withData) {
        b.writeUInt16LE(depth, 94);
        b.writeBigUInt64LE(BigInt(this.branchPages), 96);
        b.writeBigUInt64LE(BigInt(this.leafPages), 104);
        b.writeBigUInt64LE(BigInt(this.overflowPages), 112);
        b.writeBigUInt64LE(BigInt(this.count), 120);
        b.writeBigUInt64LE(root, 128);
        b.writeBigUInt64LE(BigInt(lastPg), 136);
      } else {
        b.writeBigUInt64LE(P_INVALID, 128);
        b.writeBigUInt64LE(1n, 136);
      }
      b.writeBigUInt64LE(BigInt(txnid), 144);
      return b;
    };
    // Like a fresh environment after its first commit: meta 0 empty (txn 0), meta 1 current (txn 1).
    sink.writeAt(meta(0, 0, false), 0);
    sink.writeAt(meta(1, 1, true), PS);
  }
}

/**
 * Streams a complete LMDB file for the live entries of a store (sorted here by key bytes, as
 * memcmp).
 */
export function writeLmdbFile(store: EntryStore, sink: FileSink): void {
  const sorted = store.sortedOrder();
  const { segments, seg, keyOff, keyLen, valOff, valLen } = store;
  const w = new LmdbTreeWriter(sink);
  for (let j = 0; j < sorted.length; j++) {
    const i = sorted[j]!;
    const src = segments[seg[i]!]!;
    w.add(src, keyOff[i]!, keyLen[i]!, false, src, valOff[i]!, valLen[i]!, false);
  }
  w.finish();
}

// ---------------------------------------------------------------- reader

/** The exclusive upper bound of the keys of a leaf page (none: the leaf is the last one). */
class LeafBound {
  private key = Buffer.alloc(LMDB_MAX_KEY + 1);
  private keyView = viewOf(this.key);
  private len = -1;

  clear(): void {
    this.len = -1;
  }

  set(b: Uint8Array, off: number, len: number): void {
    if (len > this.key.length) {
      this.key = Buffer.alloc(len);
      this.keyView = viewOf(this.key);
    }
    copyBytes(b, off, this.key, 0, len);
    this.len = len;
  }

  copy(other: LeafBound): void {
    if (other.len < 0) this.len = -1;
    else this.set(other.key, 0, other.len);
  }

  /** True when the key sorts before the bound. */
  below(k: Uint8Array, ko: number, kl: number): boolean {
    return this.len < 0 || compareAt(k, ko, kl, this.key, 0, this.len) < 0;
  }

  /** below() for a key in a DataView. */
  belowView(k: DataView, ko: number, kl: number): boolean {
    return this.len < 0 || compareWords(k, ko, kl, this.keyView, 0, this.len) < 0;
  }
}

/**
 * Where a walk in key order is: the leaf's upper bound, and the branch page above the leaf
 * (the child taken there and that page's own upper bound), so that the next leaf is usually
 * found from the parent instead of from the root.
 */
class TreeCursor {
  readonly bound = new LeafBound();
  readonly parentBound = new LeafBound();
  parent = -1;
  child = 0;
}

interface Meta {
  psize: number;
  root: number;
  /** Levels of the tree (md_depth): the leaves are depth - 1 branch hops below the root. */
  depth: number;
  txnid: bigint;
}

export class LmdbReader implements RawReader {
  private readonly psize: number;
  private readonly root: number;
  private readonly pageCount: number;
  private readonly depth: number;

  constructor(private readonly src: ByteSource) {
    const m0 = this.readMeta(0, 0);
    if (m0 === undefined) throw new CorruptFileError('not an LMDB file (no meta page)');
    const m1 = this.readMeta(1, m0.psize);
    const m = m1 !== undefined && m1.txnid > m0.txnid ? m1 : m0;
    this.psize = m.psize;
    this.root = m.root;
    this.depth = m.depth;
    this.pageCount = Math.floor(src.size / m.psize);
  }

  private readMeta(pgno: number, psize: number): Meta | undefined {
    if (pgno * psize + 152 > this.src.size) return undefined;
    const b = this.src.read(pgno * psize, 152);
    if ((b.readUInt16LE(10) & P_META) === 0 || b.readUInt32LE(16) !== MAGIC) return undefined;
    const version = b.readUInt32LE(20);
    if (version !== DATA_VERSION) {
      throw new CorruptFileError(
        `LMDB data format version ${version}; Postfix and Outpost use version ${DATA_VERSION} (liblmdb 0.9)`,
      );
    }
    const ps = b.readUInt32LE(40);
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)) !== 0) throw new CorruptFileError(`bad page size ${ps}`);
    const root = b.readBigUInt64LE(128);
    return {
      psize: ps,
      root: root === P_INVALID ? -1 : Number(root),
      depth: b.readUInt16LE(94),
      txnid: b.readBigUInt64LE(144),
    };
  }

  /** Makes a page readable; returns its offset in src.buf. */
  private page(pgno: number): number {
    if (pgno < 2 || pgno >= this.pageCount) throw new CorruptFileError(`page ${pgno} out of range`);
    return this.src.view(pgno * this.psize, this.psize);
  }

  /** Offset in the page buffer of node i (checked to lie inside the page). */
  private node(b: Uint8Array, p: number, i: number): number {
    const ofs = u16(b, p + PAGEHDRSZ + 2 * i);
    if (ofs < PAGEHDRSZ || ofs + NODESIZE > this.psize) throw new CorruptFileError('bad node offset');
    const ksize = u16(b, p + ofs + 6);
    if (ofs + NODESIZE + ksize > this.psize) throw new CorruptFileError('node key beyond page end');
    return p + ofs;
  }

  private numKeys(b: Uint8Array, p: number): number {
    return (u16(b, p + 12) - PAGEHDRSZ) >> 1;
  }

  private childPage(b: Uint8Array, n: number): number {
    return u16(b, n) + u16(b, n + 2) * 0x10000 + u16(b, n + 4) * 2 ** 32;
  }

  /** The value of leaf node n (a copy). */
  private leafValue(b: Uint8Array, p: number, n: number): Buffer {
    const data = this.valueOffset(b, p, n);
    const dsize = u16(b, n) + u16(b, n + 2) * 0x10000;
    if (data >= 0) return Buffer.from(b.subarray(data, data + dsize));
    const at = n + NODESIZE + u16(b, n + 6);
    const ov = u32(b, at) + u32(b, at + 4) * 2 ** 32;
    if (ov < 2 || ov >= this.pageCount) throw new CorruptFileError(`overflow page ${ov} out of range`);
    if (ov * this.psize + PAGEHDRSZ + dsize > this.src.size)
      throw new CorruptFileError('truncated overflow page');
    return this.src.read(ov * this.psize + PAGEHDRSZ, dsize);
  }

  /** Offset in b of leaf node n's value, checked; -1 when it is on overflow pages. */
  private valueOffset(b: Uint8Array, p: number, n: number): number {
    const flags = u16(b, n + 4);
    const ksize = u16(b, n + 6);
    const dsize = u16(b, n) + u16(b, n + 2) * 0x10000;
    const data = n + NODESIZE + ksize;
    if (flags & (F_SUBDATA | F_DUPDATA))
      throw new CorruptFileError('sub-databases and duplicate keys are not supported');
    if (flags & F_BIGDATA) return -1;
    if (data + dsize > p + this.psize) throw new CorruptFileError('node data beyond page end');
    return data;
  }

  get(key: Buffer): Buffer | undefined {
    if (this.root < 0) return undefined;
    const pgno = this.leafOf(key, 0, key.length);
    const p = this.page(pgno);
    const n = this.findInLeaf(this.src.buf, p, pgno, key, 0, key.length);
    return n < 0 ? undefined : this.leafValue(this.src.buf, p, n);
  }

  /**
   * Batch get(): the keys in key order, so the tree is walked once from left to right: a leaf
   * is found from the root only when a key lies past the previous leaf's upper bound (the
   * separator of the next subtree), and leaves are read through one forward window (in file
   * order when the file was written in key order, as Outpost and liblmdb's MDB_APPEND do).
   */
  getBatch(keys: KeyBatch, hit: BatchHit): void {
    const n = keys.count;
    const { bytes, off, len } = keys;
    const w = this.src.window?.();
    if (this.root < 0) return;
    if (w === undefined) {
      for (let j = 0; j < n; j++) {
        const v = this.get(Buffer.from(bytes.subarray(off[j]!, off[j]! + len[j]!)));
        if (v !== undefined) hit(j, v, 0, v.length);
      }
      return;
    }
    const order = sortKeys(bytes, off, len, n);
    const cursor = new TreeCursor();
    const bound = cursor.bound;
    // The current leaf: page number, offset in w.buf, key count; `skip`: bytes all its keys
    // share (compared once per key, not once per search step); `lo`: where the previous
    // (smaller or equal) key was or would be, so the next search starts there.
    let pgno = -1;
    let p = 0;
    let count = 0;
    let skip = 0;
    let first = 0;
    let lo = 0;
    const keyView = viewOf(bytes);
    let pageBuf = w.buf;
    let pageView = viewOf(pageBuf);
    for (let x = 0; x < n; x++) {
      const j = order[x]!;
      const ko = off[j]!;
      const kl = len[j]!;
      if (pgno < 0 || bound.belowView(keyView, ko, kl) === false) {
        const leaf = pgno < 0 ? this.leafOf(bytes, ko, kl, cursor) : this.nextLeaf(bytes, ko, kl, cursor);
        if (leaf !== pgno) {
          pgno = leaf;
          p = this.leafPage(w, pgno);
          count = this.numKeys(w.buf, p);
          lo = 0;
          skip = 0;
          if (count > 0) {
            const b = w.buf;
            first = this.node(b, p, 0) + NODESIZE;
            const last = this.node(b, p, count - 1) + NODESIZE;
            const m = Math.min(u16(b, first - 2), u16(b, last - 2));
            while (skip < m && b[first + skip] === b[last + skip]) skip++;
          }
        }
      }
      const b = w.buf;
      if (b !== pageBuf) {
        pageBuf = b;
        pageView = viewOf(b);
      }
      if (kl < skip || compareWords(keyView, ko, skip, pageView, first, skip) !== 0) continue;
      let hi = count - 1;
      let node = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const nd = this.node(b, p, mid);
        const c = compareWords(
          keyView,
          ko + skip,
          kl - skip,
          pageView,
          nd + NODESIZE + skip,
          u16(b, nd + 6) - skip,
        );
        if (c === 0) {
          node = nd;
          lo = mid;
          break;
        }
        if (c > 0) lo = mid + 1;
        else hi = mid - 1;
      }
      if (node < 0) continue;
      const data = this.valueOffset(b, p, node);
      if (data < 0) {
        const v = this.leafValue(b, p, node);
        hit(j, v, 0, v.length);
      } else hit(j, b, data, u16(b, node) + u16(b, node + 2) * 0x10000);
    }
  }

  /** Reads leaf page pgno through the window (checked); its offset in w.buf. */
  private leafPage(w: WindowSource, pgno: number): number {
    if (pgno < 2 || pgno >= this.pageCount) throw new CorruptFileError(`page ${pgno} out of range`);
    const p = w.view(pgno * this.psize, this.psize);
    const flags = u16(w.buf, p + 10);
    if (flags & P_LEAF2 || (flags & P_LEAF) === 0)
      throw new CorruptFileError(`page ${pgno}: unexpected page type`);
    return p;
  }

  /** The number of the leaf page where the key is or would be. */
  private leafOf(key: Uint8Array, ko: number, kl: number, cursor?: TreeCursor): number {
    let pgno = this.root;
    const bound = cursor?.bound;
    bound?.clear();
    if (cursor !== undefined) cursor.parent = -1;
    // The leaf itself is not read here (getBatch reads it later, in file order).
    if (this.depth < 1 || this.depth > 64) throw new CorruptFileError(`bad tree depth ${this.depth}`);
    for (let hops = 1; hops < this.depth; hops++) {
      const p = this.page(pgno);
      const b = this.src.buf;
      if ((u16(b, p + 10) & P_BRANCH) === 0)
        throw new CorruptFileError(`page ${pgno}: expected a branch page`);
      const count = this.numKeys(b, p);
      // The last child whose separator key <= key; node 0's key is ignored (lower bound).
      let lo = 1;
      let hi = count - 1;
      let child = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const n = this.node(b, p, mid);
        if (compareAt(key, ko, kl, b, n + NODESIZE, u16(b, n + 6)) >= 0) {
          child = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (cursor !== undefined && hops === this.depth - 1) {
        cursor.parentBound.copy(cursor.bound);
        cursor.parent = pgno;
        cursor.child = child;
      }
      // The next child's separator bounds the keys of this subtree; the deepest one counts.
      if (bound !== undefined && child + 1 < count) {
        const next = this.node(b, p, child + 1);
        bound.set(b, next + NODESIZE, u16(b, next + 6));
      }
      pgno = this.childPage(b, this.node(b, p, child));
    }
    return pgno;
  }

  /**
   * The leaf for a key at or past the cursor's leaf bound: from the parent page when the key
   * is still below the parent's bound, else from the root.
   */
  private nextLeaf(key: Uint8Array, ko: number, kl: number, cursor: TreeCursor): number {
    const parent = cursor.parent;
    if (parent < 0 || !cursor.parentBound.below(key, ko, kl)) return this.leafOf(key, ko, kl, cursor);
    const p = this.page(parent);
    const b = this.src.buf;
    const count = this.numKeys(b, p);
    // The last child whose separator key <= key: past the current one, as the key is (it is at
    // or past the next child's separator, the bound). Usually a few children on: gallop first.
    const sepAtOrBelow = (i: number): boolean => {
      const n = this.node(b, p, i);
      return compareAt(key, ko, kl, b, n + NODESIZE, u16(b, n + 6)) >= 0;
    };
    let child = Math.min(cursor.child + 1, count - 1);
    let step = 1;
    while (child + step < count && sepAtOrBelow(child + step)) {
      child += step;
      step *= 2;
    }
    let lo = child + 1;
    let hi = Math.min(child + step, count) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sepAtOrBelow(mid)) {
        child = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    cursor.child = child;
    if (child + 1 < count) {
      const next = this.node(b, p, child + 1);
      cursor.bound.set(b, next + NODESIZE, u16(b, next + 6));
    } else cursor.bound.copy(cursor.parentBound);
    return this.childPage(b, this.node(b, p, child));
  }

  /** The offset in b of the key's node in leaf page pgno (at offset p of b), or -1. */
  private findInLeaf(
    b: Uint8Array,
    p: number,
    pgno: number,
    key: Uint8Array,
    ko: number,
    kl: number,
  ): number {
    if (pgno < 2 || pgno >= this.pageCount) throw new CorruptFileError(`page ${pgno} out of range`);
    const flags = u16(b, p + 10);
    if (flags & P_LEAF2 || (flags & P_LEAF) === 0)
      throw new CorruptFileError(`page ${pgno}: unexpected page type`);
    let lo = 0;
    let hi = this.numKeys(b, p) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const n = this.node(b, p, mid);
      const c = compareAt(key, ko, kl, b, n + NODESIZE, u16(b, n + 6));
      if (c === 0) return n;
      if (c > 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  *entries(): Iterable<[Buffer, Buffer]> {
    if (this.root < 0) return;
    // Depth-first, left to right; the path is kept as (page, next index) pairs.
    const stack: [number, number][] = [[this.root, 0]];
    while (stack.length > 0) {
      if (stack.length > 64) throw new CorruptFileError('tree too deep');
      const top = stack[stack.length - 1]!;
      const p = this.page(top[0]);
      const b = this.src.buf;
      const count = this.numKeys(b, p);
      if (top[1] >= count) {
        stack.pop();
        continue;
      }
      const n = this.node(b, p, top[1]++);
      if (u16(b, p + 10) & P_BRANCH) {
        stack.push([this.childPage(b, n), 0]);
      } else {
        const ksize = u16(b, n + 6);
        const key = Buffer.from(b.subarray(n + NODESIZE, n + NODESIZE + ksize));
        yield [key, this.leafValue(b, p, n)];
      }
    }
  }
}
