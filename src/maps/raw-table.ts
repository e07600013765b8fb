// What the compiled-table formats (hash, cdb, lmdb) have in common: a reader that answers raw
// byte keys from a ByteSource, and a writer that turns raw entries into file bytes. Keys and
// values here are exactly the stored bytes (including a trailing NUL when the table has one);
// folding, NUL conventions and freshness live in compiled-table.ts.

export interface RawReader {
  /** The stored value for exactly these key bytes, or undefined. */
  get(key: Buffer): Buffer | undefined;
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
