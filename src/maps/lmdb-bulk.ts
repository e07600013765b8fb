// The fast path of `postmap lmdb:file` for plain sources: one pass over the source bytes finds
// the entries (no objects, no hashing), a radix sort puts them in key order, duplicates are
// then neighbours, and the leaves are written straight from the source buffer.
//
// "Plain" means every line is a comment, blank, or `key<whitespace>value` where the key has
// no quote or backslash and does not end in ':', with no continuation lines (and, with
// smtputf8_enable, an all-ASCII file). Those are the lines for which the general parser
// (source.ts) gives no warning and folding is ASCII-only. On anything else PlainParser stops
// (entries() is undefined) before it has changed anything but the case of keys already accepted
// (folding is idempotent, and no warning of the general parser shows those keys), and the
// caller takes the general path.
import { isAscii } from 'node:buffer';
import type { FileSink } from './atomic-file.js';
import { LmdbTreeWriter } from './lmdb-format.js';
import { sortKeys } from './key-sort.js';

/** Entries of a plain source: entry i's key is buf[koff[i], koff[i]+klen[i]), and so on. */
export interface PlainEntries {
  readonly buf: Buffer;
  readonly count: number;
  readonly koff: Uint32Array;
  readonly klen: Uint32Array;
  readonly voff: Uint32Array;
  readonly vlen: Uint32Array;
  /** How many leading bytes all keys share. */
  readonly common: number;
  /** The cdb hash of each key (without a NUL), when the parser was asked for it (cdb-bulk.ts). */
  readonly hash: Uint32Array;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Parses a plain source as its bytes arrive (the file is read in chunks, and each chunk is
 * parsed while the next one is read), folding keys (A-Z) in place when `fold`.
 */
export class PlainParser {
  private cap = 0;
  private koff: Uint32Array = new Uint32Array(0);
  private klen: Uint32Array = new Uint32Array(0);
  private voff: Uint32Array = new Uint32Array(0);
  private vlen: Uint32Array = new Uint32Array(0);
  private hash: Uint32Array = new Uint32Array(0);
  private n = 0;
  /** Where the next line starts. */
  private p = 0;
  /** How many leading bytes all keys so far share with the first (for the sort). */
  private common = -1;
  private first = 0;
  /** False once the source turned out not to be plain. */
  plain = true;

  /** `hashKeys`: also compute each key's cdb hash (djb: h = (h * 33) ^ byte) while parsing. */
  constructor(
    private readonly fold: boolean,
    private readonly utf8: boolean,
    private readonly hashKeys = false,
  ) {}

  /**
   * Parses the complete lines among the first `avail` bytes of buf (the whole rest when
   * `last`); buf may be a new, larger buffer holding the same bytes (a file that grew).
   */
  feed(buf: Buffer, avail: number, last: boolean): void {
    if (!this.plain) return;
    const to = last ? avail : buf.lastIndexOf(10, avail - 1) + 1;
    if (to <= this.p) return;
    if (this.utf8 && !isAscii(buf.subarray(this.p, to))) {
      this.plain = false;
      return;
    }
    if (this.cap === 0) {
      // Room for the entries, from the line length of the first 64 KiB (grown if it was wrong).
      const sample = Math.min(to, 1 << 16);
      let lines = 1;
      for (let i = buf.indexOf(10); i >= 0 && i < sample; i = buf.indexOf(10, i + 1)) lines++;
      this.resize(Math.ceil((buf.length / Math.max(1, sample)) * lines * 1.1) + 16);
    }
    this.plain = this.parse(buf, to);
  }

  private resize(cap: number): void {
    this.cap = cap;
    this.koff = grow(this.koff, cap);
    this.klen = grow(this.klen, cap);
    this.voff = grow(this.voff, cap);
    this.vlen = grow(this.vlen, cap);
    if (this.hashKeys) this.hash = grow(this.hash, cap);
  }

  /** Parses lines from this.p up to `end` (a line start, or the end of the source). */
  private parse(buf: Buffer, end: number): boolean {
    const fold = this.fold;
    const hashKeys = this.hashKeys;
    let { koff, klen, voff, vlen, hash, n, p, common, first } = this;
    while (p < end) {
      let c = buf[p]!;
      if (c === 10) {
        p++;
        continue;
      }
      if (c === 35 /* # */ || isSpace(c)) {
        // A comment or blank line; anything else starting with whitespace is a continuation.
        let i = p;
        while (i < end && (c = buf[i]!) !== 10 && isSpace(c)) i++;
        if (i < end && c !== 10 && c !== 35 && i > p) return false;
        while (i < end && buf[i] !== 10) i++;
        p = i + 1;
        continue;
      }
      const ks = p;
      let h = 5381;
      if (hashKeys) {
        for (; p < end; p++) {
          c = buf[p]!;
          if (c === 32 || (c >= 9 && c <= 13)) break;
          if (c === 34 || c === 92) return false;
          if (fold && c >= 65 && c <= 90) buf[p] = c += 32;
          h = ((h << 5) + h) ^ c;
        }
      } else {
        for (; p < end; p++) {
          c = buf[p]!;
          if (c === 32 || (c >= 9 && c <= 13)) break;
          if (c === 34 || c === 92) return false;
          if (fold && c >= 65 && c <= 90) buf[p] = c + 32;
        }
      }
      const ke = p;
      if (buf[ke - 1] === 58 /* : */) return false;
      while (p < end && (c = buf[p]!) !== 10 && isSpace(c)) p++;
      if (p >= end || c === 10) return false; // a key without a value
      const vs = p;
      p = buf.indexOf(10, p);
      if (p < 0 || p > end) p = end;
      let ve = p;
      while (isSpace(buf[ve - 1]!)) ve--;
      p++;
      if (n === this.cap) {
        this.resize(this.cap * 2);
        ({ koff, klen, voff, vlen, hash } = this);
      }
      if (common < 0) {
        common = ke - ks;
        first = ks;
      } else {
        const m = common < ke - ks ? common : ke - ks;
        let j = 0;
        while (j < m && buf[ks + j] === buf[first + j]) j++;
        common = j;
      }
      koff[n] = ks;
      klen[n] = ke - ks;
      voff[n] = vs;
      vlen[n] = ve - vs;
      if (hashKeys) hash[n] = h;
      n++;
    }
    this.n = n;
    this.p = p;
    this.common = common;
    this.first = first;
    return true;
  }

  /** The entries, once the whole source was fed; undefined when it was not plain. */
  entries(buf: Buffer): PlainEntries | undefined {
    if (!this.plain) return undefined;
    const { koff, klen, voff, vlen, hash, n: count } = this;
    return { buf, count, koff, klen, voff, vlen, hash, common: Math.max(0, this.common) };
  }
}

function grow(a: Uint32Array, size: number): Uint32Array {
  const b = new Uint32Array(size);
  b.set(a.subarray(0, Math.min(a.length, size)));
  return b;
}

/** Entries in key order: order[k] is the k-th entry; same[k] is 1 when its key is the previous one's. */
export interface SortedEntries {
  order: Uint32Array;
  same: Uint8Array;
}

/** Entry indexes in key order (memcmp, shorter first on a tie; equal keys in source order). */
export function sortPlainEntries(e: PlainEntries): SortedEntries {
  const same = new Uint8Array(e.count);
  return { order: sortKeys(e.buf, e.koff, e.klen, e.count, same, e.common), same };
}

/** The duplicates' entry indexes in source order (for Postfix's warnings). */
export function findDuplicates(s: SortedEntries): Uint32Array {
  const dups: number[] = [];
  const { order, same } = s;
  for (let k = 1; k < order.length; k++) if (same[k] === 1) dups.push(order[k]!);
  return Uint32Array.from(dups).sort();
}

/**
 * Writes the LMDB file for sorted entries; equal keys (neighbours in order, in source order)
 * are settled as Postfix does: the first value stays, or with `replace` the last one.
 */
export function writePlainLmdb(
  e: PlainEntries,
  s: SortedEntries,
  nul: boolean,
  replace: boolean,
  sink: FileSink,
): void {
  const { buf, koff, klen, voff, vlen } = e;
  const { order, same } = s;
  const w = new LmdbTreeWriter(sink);
  const n = order.length;
  for (let k = 0; k < n; ) {
    const i = order[k]!;
    let v = i;
    let next = k + 1;
    for (; next < n && same[next] === 1; next++) if (replace) v = order[next]!;
    w.add(buf, koff[i]!, klen[i]!, nul, buf, voff[v]!, vlen[v]!, nul);
    k = next;
  }
  w.finish();
}

export interface PlainBuildOptions {
  nul: boolean;
  duplicates: 'warn' | 'ignore' | 'replace';
  /** Called with each duplicate key (as text, without the NUL), in source order. */
  duplicate: (key: string) => void;
  /** Replaces the table file atomically with what `write` streams. */
  writeFile: (write: (sink: FileSink) => void) => void;
}

/**
 * Builds the table from the entries of a plain source. The duplicate warnings come before any
 * byte is written, so that a fatal error comes after them, as with the general path.
 */
export function buildPlainLmdb(e: PlainEntries, o: PlainBuildOptions): void {
  const buf = e.buf;
  const sorted = sortPlainEntries(e);
  if (o.duplicates === 'warn') {
    for (const i of findDuplicates(sorted))
      o.duplicate(buf.toString('utf8', e.koff[i]!, e.koff[i]! + e.klen[i]!));
  }
  o.writeFile((sink) => writePlainLmdb(e, sorted, o.nul, o.duplicates === 'replace', sink));
}
