// The LookupTable for tables compiled by postmap (hash/btree/dbm, cdb, lmdb): key folding,
// Postfix's trailing-NUL conventions, freshness (a rebuilt file is picked up without restart),
// the "forgot to run postmap" warning, and turning file problems into TableError.
import { stat } from 'node:fs/promises';
import { openByteSource, ShortReadError, type ByteSource } from './byte-source.js';
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
  /** A reader for the file; may throw CorruptFileError or TableError. */
  reader(src: ByteSource, dbPath: string, name: string): RawReader;
}

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

  private constructor(
    readonly format: CompiledFormat,
    readonly name: string,
    options: OpenOptions,
  ) {
    this.dbPath = name + format.suffix;
    this.fold = options.foldCase ?? true;
    this.utf8 = options.utf8 ?? true;
    this.warn = options.warn ?? defaultWarn;
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
      src = await openByteSource(this.dbPath);
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

/** A stored value read as a C string, as Postfix does: up to the first NUL, as UTF-8. */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('utf8');
}
