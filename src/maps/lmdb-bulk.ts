// The fast path of `postmap lmdb:file` for plain sources: one pass over the source bytes finds
// the entries (no objects, no hashing), a radix sort puts them in key order, duplicates are
// then neighbours, and the leaves are written straight from the source buffer.
//
// "Plain" means every line is a comment, blank, or `key<whitespace>value` where the key has
// no quote or backslash and does not end in ':', with no continuation lines (and, with
// smtputf8_enable, an all-ASCII file). Those are the lines for which the general parser
// (source.ts) gives no warning and folding is ASCII-only. On anything else parsePlainSource()
// returns undefined before it has changed anything but the case of keys already accepted
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
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Parses bytes [0, end) of buf when the source is plain (see above), folding keys (A-Z) in
 * place when `fold`; undefined otherwise.
 */
export function parsePlainSource(
  buf: Buffer,
  end: number,
  fold: boolean,
  utf8: boolean,
): PlainEntries | undefined {
  if (utf8 && !isAscii(buf.subarray(0, end))) return undefined;
  // Room for the entries, from the line length of the first 64 KiB (grown if it was wrong).
  let sampleLines = 1;
  const sampleEnd = Math.min(end, 1 << 16);
  for (let p = buf.indexOf(10); p >= 0 && p < sampleEnd; p = buf.indexOf(10, p + 1)) sampleLines++;
  let cap = Math.ceil((end / Math.max(1, sampleEnd)) * sampleLines * 1.1) + 16;
  let koff: Uint32Array = new Uint32Array(cap);
  let klen: Uint32Array = new Uint32Array(cap);
  let voff: Uint32Array = new Uint32Array(cap);
  let vlen: Uint32Array = new Uint32Array(cap);
  let n = 0;
  let p = 0;
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
      if (i < end && c !== 10 && c !== 35 && i > p) return undefined;
      while (i < end && buf[i] !== 10) i++;
      p = i + 1;
      continue;
    }
    const ks = p;
    for (; p < end; p++) {
      c = buf[p]!;
      if (c === 32 || (c >= 9 && c <= 13)) break;
      if (c === 34 || c === 92) return undefined;
      if (fold && c >= 65 && c <= 90) buf[p] = c + 32;
    }
    const ke = p;
    if (buf[ke - 1] === 58 /* : */) return undefined;
    while (p < end && (c = buf[p]!) !== 10 && isSpace(c)) p++;
    if (p >= end || c === 10) return undefined; // a key without a value
    const vs = p;
    while (p < end && buf[p] !== 10) p++;
    let ve = p;
    while (isSpace(buf[ve - 1]!)) ve--;
    p++;
    if (n === cap) {
      cap *= 2;
      koff = grow(koff, cap);
      klen = grow(klen, cap);
      voff = grow(voff, cap);
      vlen = grow(vlen, cap);
    }
    koff[n] = ks;
    klen[n] = ke - ks;
    voff[n] = vs;
    vlen[n] = ve - vs;
    n++;
  }
  return { buf, count: n, koff, klen, voff, vlen };
}

function grow(a: Uint32Array, size: number): Uint32Array {
  const b = new Uint32Array(size);
  b.set(a);
  return b;
}

/** Entry indexes in key order (memcmp, shorter first on a tie; equal keys in source order). */
export function sortPlainEntries(e: PlainEntries): Uint32Array {
  return sortKeys(e.buf, e.koff, e.klen, e.count);
}

function sameKey(e: PlainEntries, x: number, y: number): boolean {
  const len = e.klen[x]!;
  if (e.klen[y] !== len) return false;
  const b = e.buf;
  const ox = e.koff[x]!;
  const oy = e.koff[y]!;
  for (let j = 0; j < len; j++) if (b[ox + j] !== b[oy + j]) return false;
  return true;
}

/**
 * Writes the LMDB file for sorted entries; equal keys (neighbours in `order`, in source order)
 * are settled as Postfix does: the first value stays, or with `replace` the last one. Returns
 * the duplicates' entry indexes in source order (for the warnings, given before any byte is
 * written so that a fatal error comes after them, as with the general path).
 */
export function findDuplicates(e: PlainEntries, order: Uint32Array): Uint32Array {
  const dups: number[] = [];
  for (let k = 1; k < order.length; k++) {
    if (sameKey(e, order[k - 1]!, order[k]!)) dups.push(order[k]!);
  }
  return Uint32Array.from(dups).sort();
}

export function writePlainLmdb(
  e: PlainEntries,
  order: Uint32Array,
  nul: boolean,
  replace: boolean,
  sink: FileSink,
): void {
  const { buf, koff, klen, voff, vlen } = e;
  const w = new LmdbTreeWriter(sink);
  const n = order.length;
  for (let k = 0; k < n; ) {
    const i = order[k]!;
    let v = i;
    let next = k + 1;
    // Equal keys follow each other; only the last of them may differ from i.
    while (next < n && sameKey(e, i, order[next]!)) {
      if (replace) v = order[next]!;
      next++;
    }
    w.add(buf, koff[i]!, klen[i]!, nul, buf, voff[v]!, vlen[v]!, nul);
    k = next;
  }
  w.finish();
}

export interface PlainBuildOptions {
  fold: boolean;
  utf8: boolean;
  nul: boolean;
  duplicates: 'warn' | 'ignore' | 'replace';
  /** Called with each duplicate key (as text, without the NUL), in source order. */
  duplicate: (key: string) => void;
  /** Replaces the table file atomically with what `write` streams. */
  writeFile: (write: (sink: FileSink) => void) => void;
}

/**
 * Builds the table from bytes [0, end) of buf when the source is plain; false (nothing
 * written, nothing said) when the general path must do it.
 */
export function buildPlainLmdb(buf: Buffer, end: number, o: PlainBuildOptions): boolean {
  const e = parsePlainSource(buf, end, o.fold, o.utf8);
  if (e === undefined) return false;
  const order = sortPlainEntries(e);
  if (o.duplicates === 'warn') {
    for (const i of findDuplicates(e, order))
      o.duplicate(buf.toString('utf8', e.koff[i]!, e.koff[i]! + e.klen[i]!));
  }
  o.writeFile((sink) => writePlainLmdb(e, order, o.nul, o.duplicates === 'replace', sink));
  return true;
}
