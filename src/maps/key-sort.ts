// Sorting byte-string keys for LMDB, which keeps keys in memcmp order: the table builder
// (lmdb-bulk.ts) and batch lookups (lmdb-format.ts, which walk the tree once in key order).
//
// The work is split into small functions: the first run of a loop is interpreted until the
// JIT has compiled it, and small functions compile sooner (this code runs once per process).

/**
 * The indexes 0..n-1 of keys buf[koff[i], koff[i]+klen[i]) in memcmp order (shorter first on
 * a tie; equal keys in index order): LSD radix sort on the 8 key bytes after the prefix all
 * keys share, then the rest of the bytes for keys alike in those 8 (runs are short in
 * practice). Linear time: a comparison sort of a million keys costs more than a whole build.
 * `same`, when given (n bytes, zero), gets same[k] = 1 when the k-th key in order equals the
 * one before it; `shared`, when the caller knows it, is how many leading bytes all keys share.
 */
export function sortKeys(
  buf: Uint8Array,
  koff: Uint32Array,
  klen: Uint32Array,
  n: number,
  same?: Uint8Array,
  shared?: number,
): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  // Bytes every key shares (such as "user" in user1@..., user2@...) decide nothing: skip them.
  const common = shared ?? commonPrefix(buf, koff, klen, n);
  // The next 8 bytes as two big-endian words, zero-padded (zero sorts first, as memcmp's
  // shorter-first rule and a trailing NUL do). They travel with the entries through the
  // passes, so every pass reads memory in order.
  const w0 = new Uint32Array(n);
  const w1 = new Uint32Array(n);
  prefixWords(buf, koff, klen, n, common, w0, w1);
  // 16-bit digits, least significant first; one counting pass for all four. (8-bit digits
  // take twice the passes; wider ones scatter over too many places for the caches.)
  const counts = new Uint32Array(4 * 65536);
  countDigits(w0, w1, n, counts);
  let src: Uint32Array = order;
  let dst: Uint32Array = new Uint32Array(n);
  let s0: Uint32Array = w0;
  let s1: Uint32Array = w1;
  let d0: Uint32Array = new Uint32Array(n);
  let d1: Uint32Array = new Uint32Array(n);
  for (let digit = 0; digit < 4; digit++) {
    const base = digit * 65536;
    if (prefixSums(counts, base, n)) continue; // every key has the same digit here
    scatter(digit >= 2 ? s0 : s1, (digit & 1) * 16, counts, base, src, dst, s0, s1, d0, d1, n);
    [src, dst] = [dst, src];
    [s0, d0] = [d0, s0];
    [s1, d1] = [d1, s1];
  }
  sortTies(buf, koff, klen, n, common + 8, src, s0, s1, same);
  return src;
}

function commonPrefix(buf: Uint8Array, koff: Uint32Array, klen: Uint32Array, n: number): number {
  const o0 = koff[0]!;
  let common = klen[0]!;
  for (let i = 1; i < n && common > 0; i++) {
    const o = koff[i]!;
    const m = Math.min(common, klen[i]!);
    let j = 0;
    while (j < m && buf[o + j] === buf[o0 + j]) j++;
    common = j;
  }
  return common;
}

function prefixWords(
  buf: Uint8Array,
  koff: Uint32Array,
  klen: Uint32Array,
  n: number,
  common: number,
  w0: Uint32Array,
  w1: Uint32Array,
): void {
  for (let i = 0; i < n; i++) {
    const o = koff[i]! + common;
    const len = klen[i]! - common;
    let a = 0;
    let b = 0;
    if (len >= 8) {
      a = (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
      b = (buf[o + 4]! << 24) | (buf[o + 5]! << 16) | (buf[o + 6]! << 8) | buf[o + 7]!;
    } else {
      for (let j = 0; j < 4; j++) a = (a << 8) | (j < len ? buf[o + j]! : 0);
      for (let j = 4; j < 8; j++) b = (b << 8) | (j < len ? buf[o + j]! : 0);
    }
    w0[i] = a >>> 0;
    w1[i] = b >>> 0;
  }
}

function countDigits(w0: Uint32Array, w1: Uint32Array, n: number, counts: Uint32Array): void {
  for (let i = 0; i < n; i++) {
    const a = w0[i]!;
    const b = w1[i]!;
    counts[b & 0xffff]!++;
    counts[65536 + (b >>> 16)]!++;
    counts[131072 + (a & 0xffff)]!++;
    counts[196608 + (a >>> 16)]!++;
  }
}

/** Turns the counts of one digit into start positions; true when all n keys share the digit. */
function prefixSums(counts: Uint32Array, base: number, n: number): boolean {
  let sum = 0;
  for (let d = base; d < base + 65536; d++) {
    const c = counts[d]!;
    if (c === n) return true;
    counts[d] = sum;
    sum += c;
  }
  return false;
}

/** One radix pass: entry k goes to counts[base + its digit]++, with its words. */
function scatter(
  key: Uint32Array,
  shift: number,
  counts: Uint32Array,
  base: number,
  src: Uint32Array,
  dst: Uint32Array,
  s0: Uint32Array,
  s1: Uint32Array,
  d0: Uint32Array,
  d1: Uint32Array,
  n: number,
): void {
  for (let k = 0; k < n; k++) {
    const at = counts[base + ((key[k]! >>> shift) & 0xffff)]!++;
    dst[at] = src[k]!;
    d0[at] = s0[k]!;
    d1[at] = s1[k]!;
  }
}

/** Orders the runs of keys alike in their 8 sorting bytes: the rest decides, then index. */
function sortTies(
  buf: Uint8Array,
  koff: Uint32Array,
  klen: Uint32Array,
  n: number,
  from: number,
  src: Uint32Array,
  s0: Uint32Array,
  s1: Uint32Array,
  same: Uint8Array | undefined,
): void {
  const rest = (x: number, y: number): number => {
    const ox = koff[x]!;
    const oy = koff[y]!;
    const nx = klen[x]!;
    const ny = klen[y]!;
    const m = nx < ny ? nx : ny;
    for (let j = from; j < m; j++) {
      const d = buf[ox + j]! - buf[oy + j]!;
      if (d !== 0) return d;
    }
    return nx !== ny ? nx - ny : x - y;
  };
  for (let k = 0; k < n; ) {
    let e = k + 1;
    while (e < n && s0[e] === s0[k] && s1[e] === s1[k]) e++;
    if (e - k > 1) {
      src.subarray(k, e).sort(rest);
      // Keys of equal length alike in their first `from` bytes: the rest tells equal ones.
      for (let a = k + 1; same !== undefined && a < e; a++) {
        const x = src[a - 1]!;
        const y = src[a]!;
        if (klen[x] !== klen[y]) continue;
        const ox = koff[x]!;
        const oy = koff[y]!;
        let j = from;
        const len = klen[x]!;
        while (j < len && buf[ox + j] === buf[oy + j]) j++;
        if (j >= len) same[a] = 1;
      }
    }
    k = e;
  }
}
