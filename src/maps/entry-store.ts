// Entries of a table being built, kept as byte ranges instead of JavaScript objects: a million
// entries cost a few typed arrays, not two million strings for the garbage collector. Keys are
// de-duplicated with an open-addressing index over their bytes (Postfix's duplicate rules:
// first kept with a warning, -w keep first silently, -r keep last).
//
// Bytes live in "segments": the source file buffer itself (folded and NUL-terminated in place:
// the separator after a key and the byte after a value are overwritten with the NUL) and an
// append-only side buffer for bytes that had to be built (joined continuation lines, keys whose
// folding changed their length, entries loaded from an existing database).

/** FNV-1a over bytes, finished with MurmurHash3's fmix32 (also the hash: format's hash). */
export function hashBytes(b: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = off, end = off + len; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return finishHash(h);
}

/** The fmix32 step of hashBytes(), for callers that run the FNV-1a loop themselves. */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Copies bytes. Short ranges (most keys and values) are copied in a loop: Buffer#copy and
 * subarray() allocate an object per call, which dominates when building million-entry tables.
 */
export function copyBytes(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  len: number,
): void {
  if (len > 96) {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
    return;
  }
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}

function grow<T extends Uint32Array | Uint16Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

export type AddResult = 'added' | 'duplicate' | 'replaced';

export class EntryStore {
  readonly segments: Buffer[] = [];
  count = 0;
  seg = new Uint16Array(1024);
  keyOff = new Uint32Array(1024);
  keyLen = new Uint32Array(1024);
  valOff = new Uint32Array(1024);
  valLen = new Uint32Array(1024);
  /** hashBytes() of each key. */
  hash = new Uint32Array(1024);
  /** Deleted entries (postmap -d) are skipped by writers. */
  private dead: Uint8Array | undefined;
  /**
   * The index: pairs of (key hash, entry + 1), 0 = empty slot. Keeping the hash next to the
   * entry number spares a second random memory access per probe.
   */
  private slots = new Uint32Array(2 * 2048);
  private slotCount = 2048;
  /** False after append(): the index lacks entries and is rebuilt before its next use. */
  private indexed = true;
  private side: Buffer = Buffer.allocUnsafe(1 << 16);
  private sideUsed = 0;
  private sideSeg = -1;

  /** Registers a buffer whose byte ranges entries may reference; returns its segment number. */
  addSegment(buf: Buffer): number {
    if (this.segments.length >= 0xffff) throw new RangeError('too many segments');
    this.segments.push(buf);
    return this.segments.length - 1;
  }

  /** Copies bytes into the side segment; returns [segment, offset]. */
  copyIn(src: Uint8Array, off: number, len: number): [number, number] {
    if (this.sideSeg < 0 || this.sideUsed + len > this.side.length) {
      this.side = Buffer.allocUnsafe(Math.max(this.side.length * 2, 1 << 20, len));
      this.sideUsed = 0;
      this.sideSeg = this.addSegment(this.side);
    }
    const at = this.sideUsed;
    copyBytes(src, off, this.side, at, len);
    this.sideUsed += len;
    return [this.sideSeg, at];
  }

  /**
   * Makes room for about n entries up front (no regrowth while loading a big source); `index`
   * false when they will come through append() (the index is sized when it is next needed).
   */
  reserve(n: number, index = true): void {
    let size = this.seg.length;
    while (size < n) size *= 2;
    if (size > this.seg.length) {
      this.seg = grow(this.seg, size);
      this.keyOff = grow(this.keyOff, size);
      this.keyLen = grow(this.keyLen, size);
      this.valOff = grow(this.valOff, size);
      this.valLen = grow(this.valLen, size);
      this.hash = grow(this.hash, size);
      if (this.dead !== undefined) this.dead = grow(this.dead, size);
    }
    if (!index) return;
    let slots = this.slotCount;
    while (slots < 2 * n) slots *= 2;
    if (slots > this.slotCount) this.rehash(slots);
  }

  private ensureRoom(): void {
    const n = this.seg.length;
    if (this.count < n) return;
    const m = n * 2;
    this.seg = grow(this.seg, m);
    this.keyOff = grow(this.keyOff, m);
    this.keyLen = grow(this.keyLen, m);
    this.valOff = grow(this.valOff, m);
    this.valLen = grow(this.valLen, m);
    this.hash = grow(this.hash, m);
    if (this.dead !== undefined) this.dead = grow(this.dead, m);
  }

  private rehash(size = this.slotCount * 2): void {
    const slots = new Uint32Array(2 * size);
    const mask = size - 1;
    for (let i = 0; i < this.count; i++) {
      const h = this.hash[i]!;
      let s = h & mask;
      while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
      slots[2 * s] = h;
      slots[2 * s + 1] = i + 1;
    }
    this.slots = slots;
    this.slotCount = size;
  }

  private sameKey(i: number, seg: number, off: number, len: number): boolean {
    if (this.keyLen[i] !== len) return false;
    const a = this.segments[this.seg[i]!]!;
    const b = this.segments[seg]!;
    const ao = this.keyOff[i]!;
    for (let j = 0; j < len; j++) if (a[ao + j] !== b[off + j]) return false;
    return true;
  }

  /** Index of an entry with these key bytes, or -1. */
  find(seg: number, off: number, len: number, h = hashBytes(this.segments[seg]!, off, len)): number {
    if (!this.indexed) this.reindex();
    const mask = this.slotCount - 1;
    const slots = this.slots;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const i1 = slots[2 * s + 1]!;
      if (i1 === 0) return -1;
      const i = i1 - 1;
      if (slots[2 * s] === h && this.sameKey(i, seg, off, len) && this.dead?.[i] !== 1) return i;
    }
  }

  /**
   * Adds an entry whose key and value bytes are already in segment `seg`. On a duplicate key,
   * 'replace' overwrites the value, otherwise the first value stays.
   */
  add(
    seg: number,
    koff: number,
    klen: number,
    voff: number,
    vlen: number,
    replace: boolean,
    h: number = hashBytes(this.segments[seg]!, koff, klen),
  ): AddResult {
    if (!this.indexed) this.reindex();
    const mask = this.slotCount - 1;
    const slots = this.slots;
    let s = h & mask;
    for (; ; s = (s + 1) & mask) {
      const i1 = slots[2 * s + 1]!;
      if (i1 === 0) break;
      const i = i1 - 1;
      if (slots[2 * s] === h && this.sameKey(i, seg, koff, klen) && this.dead?.[i] !== 1) {
        if (!replace) return 'duplicate';
        this.seg[i] = seg;
        this.keyOff[i] = koff;
        this.valOff[i] = voff;
        this.valLen[i] = vlen;
        return 'replaced';
      }
    }
    const i = this.push(seg, koff, klen, voff, vlen, h);
    slots[2 * s] = h;
    slots[2 * s + 1] = i + 1;
    if (this.count * 2 > this.slotCount) this.rehash();
    return 'added';
  }

  /**
   * Adds an entry without looking for an earlier one with the same key (h = hashBytes() of the
   * key). For whole builds: dedupe() then settles all duplicates at once, which costs less
   * than an index probe per entry (a random memory access into a table of millions of slots).
   */
  append(seg: number, koff: number, klen: number, voff: number, vlen: number, h: number): void {
    this.push(seg, koff, klen, voff, vlen, h);
    this.indexed = false;
  }

  /** Stores a new entry at the end; returns its index. */
  private push(seg: number, koff: number, klen: number, voff: number, vlen: number, h: number): number {
    this.ensureRoom();
    const i = this.count++;
    this.seg[i] = seg;
    this.keyOff[i] = koff;
    this.keyLen[i] = klen;
    this.valOff[i] = voff;
    this.valLen[i] = vlen;
    this.hash[i] = h;
    return i;
  }

  private reindex(): void {
    let size = this.slotCount;
    while (size < 2 * this.count + 2) size *= 2;
    this.rehash(size);
    this.indexed = true;
  }

  /**
   * Settles duplicate keys among appended entries as add() would have, entry by entry: the
   * first entry with a key stays where it is; with `replace` it takes the last duplicate's
   * bytes. The duplicates are marked deleted; returns their indexes in insertion order.
   * Entries are grouped by hash with a stable radix sort (linear, sequential memory access).
   */
  dedupe(replace: boolean): Uint32Array {
    const n = this.count;
    // LSD radix sort of (hash, entry) pairs on 11-bit digits; the hashes travel with the
    // entries so every pass reads memory in order.
    let src = new Uint32Array(n);
    let dst = new Uint32Array(n);
    let sh = this.hash.slice(0, n);
    let dh = new Uint32Array(n);
    for (let i = 0; i < n; i++) src[i] = i;
    const count = new Uint32Array(3 * 2048);
    for (let k = 0; k < n; k++) {
      const h = sh[k]!;
      count[h & 2047]!++;
      count[2048 + ((h >>> 11) & 2047)]!++;
      count[4096 + (h >>> 22)]!++;
    }
    for (let base = 0; base < 3 * 2048; base += 2048) {
      let sum = 0;
      for (let d = base; d < base + 2048; d++) {
        const c = count[d]!;
        count[d] = sum;
        sum += c;
      }
    }
    for (let pass = 0; pass < 3; pass++) {
      const shift = 11 * pass;
      const base = 2048 * pass;
      for (let k = 0; k < n; k++) {
        const h = sh[k]!;
        const at = count[base + ((h >>> shift) & 2047)]!++;
        dst[at] = src[k]!;
        dh[at] = h;
      }
      [src, dst] = [dst, src];
      [sh, dh] = [dh, sh];
    }
    const dups: number[] = [];
    for (let k = 0; k < n; ) {
      const h = sh[k]!;
      let e = k + 1;
      while (e < n && sh[e] === h) e++;
      // Equal hashes: usually equal keys, but a run may mix keys that merely collide.
      for (let a = k; a < e - 1; a++) {
        const i = src[a]!;
        if (!this.isLive(i)) continue;
        for (let b = a + 1; b < e; b++) {
          const j = src[b]!;
          if (!this.isLive(j) || !this.sameKey(i, this.seg[j]!, this.keyOff[j]!, this.keyLen[j]!)) continue;
          (this.dead ??= new Uint8Array(this.seg.length))[j] = 1;
          dups.push(j);
          if (replace) {
            this.seg[i] = this.seg[j]!;
            this.keyOff[i] = this.keyOff[j]!;
            this.valOff[i] = this.valOff[j]!;
            this.valLen[i] = this.valLen[j]!;
          }
        }
      }
      k = e;
    }
    this.indexed = false;
    return Uint32Array.from(dups).sort();
  }

  /** Marks the entry with these key bytes deleted; true when there was one. */
  delete(key: Buffer): boolean {
    const seg = this.addSegment(key);
    const i = this.find(seg, 0, key.length);
    this.segments.pop();
    if (i < 0) return false;
    if (this.dead === undefined) this.dead = new Uint8Array(this.seg.length);
    this.dead[i] = 1;
    return true;
  }

  isLive(i: number): boolean {
    return this.dead?.[i] !== 1;
  }

  /** Indexes of live entries in insertion order. */
  order(): Uint32Array {
    if (this.dead === undefined) {
      const out = new Uint32Array(this.count);
      for (let i = 0; i < this.count; i++) out[i] = i;
      return out;
    }
    let live = 0;
    for (let i = 0; i < this.count; i++) if (this.dead[i] !== 1) live++;
    const out = new Uint32Array(live);
    for (let i = 0, k = 0; i < this.count; i++) if (this.dead[i] !== 1) out[k++] = i;
    return out;
  }

  /** Indexes of live entries sorted by key bytes (memcmp order, shorter first on a tie). */
  sortedOrder(): Uint32Array {
    let src: Uint32Array = this.order();
    const n = src.length;
    if (n < 2) return src;
    const { segments, seg, keyOff, keyLen } = this;
    // Bytes every key shares (such as "user" in user1@..., user2@...) decide nothing: skip them.
    const b0 = segments[seg[src[0]!]!]!;
    const o0 = keyOff[src[0]!]!;
    let common = keyLen[src[0]!]!;
    for (let k = 1; k < n && common > 0; k++) {
      const i = src[k]!;
      const b = segments[seg[i]!]!;
      const o = keyOff[i]!;
      const m = Math.min(common, keyLen[i]!);
      let j = 0;
      while (j < m && b[o + j] === b0[o0 + j]) j++;
      common = j;
    }
    // The next 8 key bytes as two big-endian words (zero-padded; zero sorts first, so this
    // agrees with memcmp), sorted by LSD radix sort on 16-bit digits: linear time, where a
    // comparison sort of a million keys costs a quarter of the build.
    const words = new Uint32Array(this.count * 2);
    for (let k = 0; k < n; k++) {
      const i = src[k]!;
      const b = segments[seg[i]!]!;
      const o = keyOff[i]! + common;
      const len = keyLen[i]! - common;
      let w0 = 0;
      let w1 = 0;
      for (let j = 0; j < 4; j++) w0 = (w0 << 8) | (j < len ? b[o + j]! : 0);
      for (let j = 4; j < 8; j++) w1 = (w1 << 8) | (j < len ? b[o + j]! : 0);
      words[2 * i] = w0 >>> 0;
      words[2 * i + 1] = w1 >>> 0;
    }
    let dst: Uint32Array = new Uint32Array(n);
    const count = new Uint32Array(65536);
    for (let digit = 0; digit < 4; digit++) {
      const q = digit < 2 ? 1 : 0;
      const shift = digit % 2 === 0 ? 0 : 16;
      count.fill(0);
      for (let k = 0; k < n; k++) count[(words[2 * src[k]! + q]! >>> shift) & 0xffff]!++;
      if (count[(words[2 * src[0]! + q]! >>> shift) & 0xffff] === n) continue; // all alike
      let sum = 0;
      for (let d = 0; d < 65536; d++) {
        const c = count[d]!;
        count[d] = sum;
        sum += c;
      }
      for (let k = 0; k < n; k++) {
        const i = src[k]!;
        dst[count[(words[2 * i + q]! >>> shift) & 0xffff]!++] = i;
      }
      const t = src;
      src = dst;
      dst = t;
    }
    // Keys alike in those 8 bytes too: the rest decides (runs are short in practice).
    const from = common + 8;
    const rest = (a: number, c: number): number => {
      const ba = segments[seg[a]!]!;
      const bc = segments[seg[c]!]!;
      const oa = keyOff[a]!;
      const oc = keyOff[c]!;
      const na = keyLen[a]!;
      const nc = keyLen[c]!;
      const m = na < nc ? na : nc;
      for (let j = from; j < m; j++) {
        const d = ba[oa + j]! - bc[oc + j]!;
        if (d !== 0) return d;
      }
      return na - nc;
    };
    for (let k = 0; k < n; ) {
      const a = src[k]!;
      let e = k + 1;
      while (e < n && words[2 * src[e]!] === words[2 * a] && words[2 * src[e]! + 1] === words[2 * a + 1]) e++;
      if (e - k > 1) src.subarray(k, e).sort(rest);
      k = e;
    }
    return src;
  }

  keyBytes(i: number): Buffer {
    const o = this.keyOff[i]!;
    return this.segments[this.seg[i]!]!.subarray(o, o + this.keyLen[i]!);
  }

  valueBytes(i: number): Buffer {
    const o = this.valOff[i]!;
    return this.segments[this.seg[i]!]!.subarray(o, o + this.valLen[i]!);
  }

  /** The key as a Latin-1 "byte string". */
  keyString(i: number): string {
    const o = this.keyOff[i]!;
    return this.segments[this.seg[i]!]!.toString('latin1', o, o + this.keyLen[i]!);
  }
}
