// The LookupTable for tables compiled by postmap (hash/btree/dbm, cdb, lmdb): key folding,
// Postfix's trailing-NUL conventions, freshness (a rebuilt file is picked up without restart),
// the "forgot to run postmap" warning, and turning file problems into TableError.
import { stat } from 'node:fs/promises';
import { openByteSource, ShortReadError, type ByteSource, type KeyBatch } from './byte-source.js';
import { copyBytes } from './entry-store.js';
import { foldText } from './fold.js';
import { CorruptFileError, type RawReader } from './raw-table.js';
import type { EntryStore } from './entry-store.js';
import type { FileSink } from './atomic-file.js';
import { strerror } from './strerror.js';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

/** What a compiled format driver tells the shared code. */
export interface CompiledFormat {
  readonly type: string;
  /** Appended to the table name: ".db", ".cdb", ".lmdb". */
  readonly suffix: string;
  /** Postfix's build default on Linux: hash and lmdb store a trailing NUL, cdb does not. */
  readonly defaultNul: boolean;
  /** lmdb stores keys in byte order; the others keep insertion order. */
  readonly needsSortedKeys: boolean;
  /** postmap -i / -d work (cdb is write-once in Postfix). */
  readonly canUpdate: boolean;
  /** postmap -s works (Postfix's cdb driver has no sequence operation). */
  readonly canSequence: boolean;
  /** Postfix's duplicate-key warning for this type (the prefix differs per driver). */
  duplicateWarning(name: string, key: string): string;
  /** Streams the file for the live entries of the store. */
  write(store: EntryStore, sink: FileSink): void;
  /**
   * The reader answers batches in file order (RawReader.getBatch), so positionalReads pays
   * off; formats without it keep loading the file whole.
   */
  readonly batchReads?: boolean;
  /** A reader for the file; may throw CorruptFileError or TableError. */
  reader(src: ByteSource, dbPath: string, name: string): RawReader;
}

/** lookupBatchBytes() looks up at most this many keys one by one to settle the NUL form. */
const SINGLE_KEYS = 64;

/** How often, at most, a table checks whether its file was replaced (milliseconds). */
export const FRESHNESS_INTERVAL_MS = 1000;
/** Postfix does not warn about a source edited within the last 100 seconds. */
const STALE_GRACE_S = 100;

interface Snapshot {
  src: ByteSource;
  reader: RawReader;
  ino: number;
  size: number;
  mtimeMs: number;
}

export function defaultWarn(message: string): void {
  process.stderr.write(`outpost: warning: ${message}\n`);
}

type NulMode = 'both' | 'with' | 'without';

export class CompiledTable implements LookupTable {
  readonly fixedKeys = true;
  readonly dbPath: string;
  private snap: Snapshot | undefined;
  private checkedAt = 0;
  private refreshing: Promise<void> | undefined;
  private nul: NulMode;
  private readonly fold: boolean;
  private readonly utf8: boolean;
  private readonly warn: (m: string) => void;
  private readonly memoryLimit: number | undefined;

  private constructor(
    readonly format: CompiledFormat,
    readonly name: string,
    options: OpenOptions,
  ) {
    this.dbPath = name + format.suffix;
    this.fold = options.foldCase ?? true;
    this.utf8 = options.utf8 ?? true;
    this.warn = options.warn ?? defaultWarn;
    this.memoryLimit = options.positionalReads === true && format.batchReads === true ? 0 : undefined;
    this.nul = options.nulTerminated === undefined ? 'both' : options.nulTerminated ? 'with' : 'without';
  }

  get type(): string {
    return this.format.type;
  }

  static async open(format: CompiledFormat, name: string, options: OpenOptions = {}): Promise<CompiledTable> {
    const t = new CompiledTable(format, name, options);
    t.snap = await t.load();
    t.checkedAt = Date.now();
    return t;
  }

  private async load(): Promise<Snapshot> {
    let st;
    let src: ByteSource;
    try {
      st = await stat(this.dbPath);
      src = await openByteSource(this.dbPath, this.memoryLimit);
    } catch (err) {
      throw new TableError(`open database ${this.dbPath}: ${strerror(err)}`, this.spec());
    }
    let reader: RawReader;
    try {
      reader = this.format.reader(src, this.dbPath, this.name);
    } catch (err) {
      src.close();
      throw this.wrap(err);
    }
    // dict_db/dict_cdb/dict_lmdb: "forgot to run postmap" warning.
    try {
      const s = await stat(this.name);
      if (s.mtimeMs > st.mtimeMs && s.mtimeMs < Date.now() - STALE_GRACE_S * 1000) {
        this.warn(`database ${this.dbPath} is older than source file ${this.name}`);
      }
    } catch {
      // No source file next to the database: nothing to compare.
    }
    return { src, reader, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  }

  private spec(): string {
    return `${this.format.type}:${this.name}`;
  }

  private wrap(err: unknown): Error {
    if (err instanceof TableError) return err;
    if (err instanceof CorruptFileError || err instanceof ShortReadError) {
      return new TableError(`corrupt database ${this.dbPath}: ${err.message}`, this.spec());
    }
    return new TableError(`read database ${this.dbPath}: ${strerror(err)}`, this.spec());
  }

  /** Reopens the file when it was replaced or changed; cheap when nothing changed. */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.checkedAt < FRESHNESS_INTERVAL_MS) return;
    if (this.refreshing !== undefined) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const st = await stat(this.dbPath).catch(() => undefined);
        const cur = this.snap;
        // A vanished file keeps the old snapshot (a rebuild renames over it; try again later).
        if (st === undefined || cur === undefined) return;
        if (st.ino === cur.ino && st.size === cur.size && st.mtimeMs === cur.mtimeMs) return;
        const next = await this.load();
        this.snap = next;
        cur.src.close();
      } finally {
        this.checkedAt = Date.now();
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  async lookup(key: string): Promise<string | undefined> {
    if (Date.now() - this.checkedAt >= FRESHNESS_INTERVAL_MS) await this.refresh();
    return this.lookupSync(key);
  }

  /** The lookup without the freshness check: for postmap's bulk queries. Throws TableError. */
  lookupSync(key: string): string | undefined {
    const snap = this.snap;
    if (snap === undefined) throw new TableError(`table ${this.spec()} is closed`, this.spec());
    const folded = this.fold ? foldText(key, this.utf8) : key;
    const bytes = Buffer.from(folded, 'utf8');
    try {
      let value: Buffer | undefined;
      if (this.nul !== 'without') {
        const k1 = Buffer.allocUnsafe(bytes.length + 1);
        bytes.copy(k1);
        k1[bytes.length] = 0;
        value = snap.reader.get(k1);
        if (value !== undefined && this.nul === 'both') this.nul = 'with';
      }
      if (value === undefined && this.nul !== 'with') {
        value = snap.reader.get(bytes);
        if (value !== undefined && this.nul === 'both') this.nul = 'without';
      }
      if (value === undefined) return undefined;
      return cString(value);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /**
   * lookupSync() for many keys (postmap -q -), with the same answers, including how the first
   * hit (in key order) settles the trailing-NUL convention. Keys are already folded; each is
   * followed by a NUL byte in keys.bytes (the with-NUL form is one byte longer). Values come
   * back as stored bytes (cut at a NUL by the caller, as cString()). With positionalReads the
   * reader visits the file in position order instead of key order (RawReader.getBatch), and
   * no strings are made per key.
   */
  lookupBatchBytes(keys: KeyBatch): BatchAnswers {
    const snap = this.snap;
    if (snap === undefined) throw new TableError(`table ${this.spec()} is closed`, this.spec());
    const m = keys.count;
    const reader = snap.reader;
    // All answers go straight into `out` (key j at index j); values are about as long as keys.
    const out = new BatchAnswers(m, keys.bytes.length);
    // Answers for keys [from, to) in one form, into `ans` at index j - base.
    const batch = (from: number, to: number, withNul: boolean, ans: BatchAnswers, base: number): void => {
      const n = Math.max(0, to - from);
      const len = keys.len.slice(from, from + n);
      if (withNul) for (let j = 0; j < n; j++) len[j]!++;
      const sub = { bytes: keys.bytes, off: keys.off.subarray(from, from + n), len, count: n };
      const shift = from - base;
      const hit =
        shift === 0
          ? ans.hit
          : (j: number, b: Uint8Array, o: number, l: number) => ans.hit(j + shift, b, o, l);
      if (reader.getBatch !== undefined) reader.getBatch(sub, hit);
      else {
        for (let j = 0; j < n; j++) {
          const v = reader.get(Buffer.from(sub.bytes.subarray(sub.off[j]!, sub.off[j]! + len[j]!)));
          if (v !== undefined) hit(j, v, 0, v.length);
        }
      }
    };
    try {
      // While the trailing-NUL form is open, the first keys go one by one, as in lookupSync():
      // usually the first key found settles it, and one pass in that form answers the rest.
      let j = 0;
      for (; j < m && j < SINGLE_KEYS && this.nul === 'both'; j++) {
        const plain = keys.bytes.subarray(keys.off[j]!, keys.off[j]! + keys.len[j]!);
        let v = reader.get(Buffer.from(keys.bytes.subarray(keys.off[j]!, keys.off[j]! + keys.len[j]! + 1)));
        if (v !== undefined) this.nul = 'with';
        else {
          v = reader.get(Buffer.from(plain));
          if (v !== undefined) this.nul = 'without';
        }
        if (v !== undefined) out.hit(j, v, 0, v.length);
      }
      if (j === m) return out;
      if (this.nul !== 'both') batch(j, m, this.nul === 'with', out, 0);
      else {
        // Still open: with NUL for all, then without NUL up to the first hit with NUL.
        const withNul = new BatchAnswers(m - j);
        batch(j, m, true, withNul, j);
        const f = j + withNul.firstFound(m - j);
        const without = new BatchAnswers(f - j);
        batch(j, f, false, without, j);
        const k = j + without.firstFound(f - j);
        if (k < f) {
          this.nul = 'without';
          out.copyFrom(without, j, k, f);
          batch(f, m, false, out, 0);
        } else {
          if (f < m) this.nul = 'with';
          out.copyFrom(withNul, j, f, m);
        }
      }
      return out;
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** lookupBatchBytes() for text keys (tests, and callers without byte keys). */
  lookupBatch(keys: readonly string[]): (string | undefined)[] {
    const folded = this.fold ? keys.map((k) => foldText(k, this.utf8)) : keys;
    const m = keys.length;
    const off = new Uint32Array(m);
    const len = new Uint32Array(m);
    let size = 0;
    for (let j = 0; j < m; j++) {
      off[j] = size;
      len[j] = Buffer.byteLength(folded[j]!, 'utf8');
      size += len[j]! + 1;
    }
    const bytes = Buffer.alloc(size);
    for (let j = 0; j < m; j++) bytes.write(folded[j]!, off[j]!, 'utf8');
    const ans = this.lookupBatchBytes({ bytes, off, len, count: m });
    return keys.map((_, j) => (ans.found[j] === 1 ? ans.text(j) : undefined));
  }

  /** Every entry as (key, value) text, in the file's order (postmap -s). */
  *entries(): Iterable<[string, string]> {
    const snap = this.snap;
    if (snap === undefined) return;
    try {
      for (const [k, v] of snap.reader.entries()) yield [cString(k), cString(v)];
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** Stored entries exactly as on disk (for postmap -i / -d rewrites). */
  rawEntries(): Iterable<[Buffer, Buffer]> {
    const snap = this.snap;
    if (snap === undefined) return [];
    const out: [Buffer, Buffer][] = [];
    try {
      for (const e of snap.reader.entries()) out.push(e);
    } catch (err) {
      throw this.wrap(err);
    }
    return out;
  }

  async close(): Promise<void> {
    this.snap?.src.close();
    this.snap = undefined;
  }
}

/**
 * Answers of a batch lookup: key j was found when found[j] is 1; its value is
 * bytes[off[j], off[j] + len[j]), up to the first NUL (as cString()).
 */
export class BatchAnswers {
  readonly found: Uint8Array;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  bytes: Buffer;
  private used = 0;

  /** `bytes`: a guess of the size of all values (the buffer grows when it was wrong). */
  constructor(n: number, bytes = 1 << 16) {
    this.bytes = Buffer.allocUnsafe(Math.max(bytes, 1 << 12));
    this.found = new Uint8Array(n);
    this.off = new Uint32Array(n);
    this.len = new Uint32Array(n);
  }

  /** Stores key j's value (copied: b is the reader's window, overwritten later). */
  readonly hit = (j: number, b: Uint8Array, off: number, len: number): void => {
    let n = 0;
    while (n < len && b[off + n] !== 0) n++;
    this.store(j, b, off, n);
  };

  /** Stores n value bytes for key j (already cut at the NUL). */
  store(j: number, b: Uint8Array, off: number, n: number): void {
    if (this.used + n > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.used + n));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    copyBytes(b, off, this.bytes, this.used, n);
    this.found[j] = 1;
    this.off[j] = this.used;
    this.len[j] = n;
    this.used += n;
  }

  /** The first found index below `limit`, or `limit`. */
  firstFound(limit: number): number {
    for (let j = 0; j < limit; j++) if (this.found[j] === 1) return j;
    return limit;
  }

  /** Copies answers [from, to) of `src`, whose index 0 is key `base`. */
  copyFrom(src: BatchAnswers, base: number, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      if (src.found[j - base] === 1) this.store(j, src.bytes, src.off[j - base]!, src.len[j - base]!);
    }
  }

  text(j: number): string {
    return this.bytes.toString('utf8', this.off[j]!, this.off[j]! + this.len[j]!);
  }
}

/** A stored value read as a C string, as Postfix does: up to the first NUL, as UTF-8. */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('utf8');
}
