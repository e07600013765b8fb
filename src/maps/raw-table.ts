// What the compiled-table formats (hash, cdb, lmdb) have in common: a reader that answers raw
// byte keys from a ByteSource, and a writer that turns raw entries into file bytes. Keys and
// values here are exactly the stored bytes (including a trailing NUL when the table has one);
// folding, NUL conventions and freshness live in compiled-table.ts.

import type { BatchHit, KeyBatch } from './byte-source.js';

export interface RawReader {
  /** The stored value for exactly these key bytes, or undefined. */
  get(key: Buffer): Buffer | undefined;
  /**
   * get() for many keys at once, visiting the file in position order (see WindowSource);
   * hit() is called for the keys found, in any order. Readers may lack it (callers then loop
   * over get()) or have no window source (then they loop over get() themselves).
   */
  getBatch?(keys: KeyBatch, hit: BatchHit): void;
  /** Every entry in the file's own order (postmap -s). */
  entries(): Iterable<[Buffer, Buffer]>;
}

/** The file's bytes do not make sense; the message says where. */
export class CorruptFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptFileError';
  }
}
