// Building compiled tables: collect entries (folding, NUL convention and duplicate policy as
// Postfix's mkmap/dict_*_update), then write the whole file atomically. Shared by postmap and
// the drivers' build() exports.
import { isAscii } from 'node:buffer';
import { stat } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { EntryStore, finishHash, hashBytes } from './entry-store.js';
import { foldText } from './fold.js';
import { parseSource, parseSourceFile, readWithSpare, type EntryHandler } from './source.js';
import type { CompiledFormat } from './compiled-table.js';

export type DuplicatePolicy = 'warn' | 'ignore' | 'replace';

export interface BuildOptions {
  /** Fold keys (default true; postmap -f turns it off). */
  foldCase?: boolean;
  /** smtputf8_enable: Unicode folding and UTF-8 checks (default true). */
  utf8?: boolean;
  /** Store a trailing NUL (postmap -N) or not (-n); default: the format's Postfix default. */
  nulTerminated?: boolean;
  /** Default 'warn' (first value kept); postmap -w = 'ignore', -r = 'replace'. */
  duplicates?: DuplicatePolicy;
  warn?: (message: string) => void;
  /**
   * Settle duplicate keys once, after the last entry (whole builds from a source), instead of
   * entry by entry. Same warnings in the same order: warnings given to builder.warnLater()
   * meanwhile are held and merged with the duplicate warnings by when they happened.
   */
  deferDuplicates?: boolean;
  /** Mode of the new file (default 0644). */
  mode?: number;
  owner?: { uid: number; gid: number };
}

/** Collects the entries of one table being built or updated. */
export class TableBuilder {
  readonly store = new EntryStore();
  private readonly fold: boolean;
  private readonly utf8: boolean;
  private readonly nul: boolean;
  private readonly dup: DuplicatePolicy;
  private readonly warn: (m: string) => void;
  private readonly deferred: boolean;
  /** Held warnings (deferDuplicates): message and the entry count when it was given. */
  private held: { message: string; at: number }[] = [];

  constructor(
    readonly format: CompiledFormat,
    readonly name: string,
    options: BuildOptions,
  ) {
    this.fold = options.foldCase ?? true;
    this.utf8 = options.utf8 ?? true;
    this.nul = options.nulTerminated ?? format.defaultNul;
    this.dup = options.duplicates ?? 'warn';
    this.warn = options.warn ?? (() => undefined);
    this.deferred = options.deferDuplicates ?? false;
  }

  /** A warning about the source (parser): held until the duplicates are known when deferred. */
  readonly warnLater = (message: string): void => {
    if (this.deferred) this.held.push({ message, at: this.store.count });
    else this.warn(message);
  };

  /**
   * With deferDuplicates: finds the duplicates and gives the held and duplicate warnings in
   * the order entry-by-entry adding would have (a warning given before entry i was added
   * comes before i's duplicate warning).
   */
  settleDuplicates(): void {
    if (!this.deferred) return;
    const dups = this.store.dedupe(this.dup === 'replace');
    const held = this.held;
    this.held = [];
    let h = 0;
    if (this.dup === 'warn') {
      const buf = this.store.segments;
      for (const i of dups) {
        while (h < held.length && held[h]!.at <= i) this.warn(held[h++]!.message);
        const k = this.store;
        const key = buf[k.seg[i]!]!.toString(
          'utf8',
          k.keyOff[i]!,
          k.keyOff[i]! + k.keyLen[i]! - (this.nul ? 1 : 0),
        );
        this.warn(this.format.duplicateWarning(this.name, key));
      }
    }
    while (h < held.length) this.warn(held[h++]!.message);
  }

  /** Adds stored entries of an existing database (postmap -i / -d) unchanged. */
  addExisting(entries: Iterable<[Buffer, Buffer]>): void {
    const st = this.store;
    for (const [k, v] of entries) {
      const [seg, off] = st.copyIn(Buffer.concat([k, v]), 0, k.length + v.length);
      st.add(seg, off, k.length, off + k.length, v.length, false);
    }
  }

  /**
   * An EntryHandler for the source parser, for bytes that live in `segmentBuf` (registered
   * here). Entries from other buffers (joined continuation lines) are copied.
   */
  handler(segmentBuf: Buffer): EntryHandler {
    const st = this.store;
    const seg = st.addSegment(segmentBuf);
    // One entry per line at most: size the index once instead of regrowing it.
    let lines = 0;
    for (let p = segmentBuf.indexOf(10); p >= 0; p = segmentBuf.indexOf(10, p + 1)) lines++;
    st.reserve(this.store.count + lines + 1, !this.deferred);
    return (buf, ks, ke, vs, ve) => {
      if (buf === segmentBuf) {
        // Fast path: fold ASCII in place while hashing (FNV-1a, as hashBytes()).
        let h = 0x811c9dc5;
        let ascii = true;
        const fold = this.fold;
        for (let i = ks; i < ke; i++) {
          let c = buf[i]!;
          if (fold && c >= 65 && c <= 90) buf[i] = c += 32;
          else if (c >= 0x80) ascii = false;
          h = Math.imul(h ^ c, 0x01000193);
        }
        if (ascii || !fold || !this.utf8) {
          if (this.nul) {
            h = Math.imul(h, 0x01000193); // the NUL byte: h ^ 0 = h
            buf[ke++] = 0;
            buf[ve++] = 0;
          }
          this.addChecked(seg, ks, ke - ks, vs, ve - vs, finishHash(h));
          return;
        }
      }
      let key = buf.subarray(ks, ke);
      if (this.fold) {
        const folded = Buffer.from(foldText(buf.toString('utf8', ks, ke), this.utf8), 'utf8');
        key = folded;
      }
      this.addCopy(key, buf.subarray(vs, ve));
    };
  }

  /** Adds a (folded) key and a value by copying them, with NULs, into the side segment. */
  private addCopy(key: Buffer, value: Buffer): void {
    const n = this.nul ? 1 : 0;
    const pair = Buffer.alloc(key.length + n + value.length + n);
    key.copy(pair, 0);
    value.copy(pair, key.length + n);
    const [seg, off] = this.store.copyIn(pair, 0, pair.length);
    this.addChecked(seg, off, key.length + n, off + key.length + n, value.length + n);
  }

  private addChecked(
    seg: number,
    koff: number,
    klen: number,
    voff: number,
    vlen: number,
    hash?: number,
  ): void {
    if (this.deferred) {
      const st = this.store;
      st.append(seg, koff, klen, voff, vlen, hash ?? hashBytes(st.segments[seg]!, koff, klen));
      return;
    }
    const r = this.store.add(seg, koff, klen, voff, vlen, this.dup === 'replace', hash);
    if (r === 'duplicate' && this.dup === 'warn') {
      const buf = this.store.segments[seg]!;
      const key = buf.toString('utf8', koff, koff + klen - (this.nul ? 1 : 0));
      this.warn(this.format.duplicateWarning(this.name, key));
    }
  }

  /** Adds one entry given as text (drivers' build(), tests). */
  addText(key: string, value: string): void {
    const k = this.fold ? foldText(key, this.utf8) : key;
    this.addCopy(Buffer.from(k, 'utf8'), Buffer.from(value, 'utf8'));
  }

  /**
   * Adds a key and value given as bytes (postalias's parsed aliases), folding the key as the
   * source handler does: ASCII in place, Unicode folding for UTF-8 keys in UTF-8 mode.
   */
  addBytes(key: Buffer, value: Buffer): void {
    let k = key;
    if (this.fold) {
      if (this.utf8 && !isAscii(key)) k = Buffer.from(foldText(key.toString('utf8'), true), 'utf8');
      else k = Buffer.from(key.map((c) => (c >= 65 && c <= 90 ? c + 32 : c)));
    }
    this.addCopy(k, value);
  }

  /**
   * Adds an entry exactly as given: no folding, and a trailing NUL only when `nul` says so
   * (postalias's "@" and NIS signatures). `replace` overrides the duplicate policy (postalias
   * -i refreshes the signatures of an existing table).
   */
  addLiteral(key: string, value: string, nul: boolean, replace: boolean): void {
    const n = nul ? '\0' : '';
    const pair = Buffer.from(key + n + value + n, 'utf8');
    const klen = Buffer.byteLength(key + n);
    const [seg, off] = this.store.copyIn(pair, 0, pair.length);
    const r = this.store.add(
      seg,
      off,
      klen,
      off + klen,
      pair.length - klen,
      replace || this.dup === 'replace',
    );
    if (r === 'duplicate' && !replace && this.dup === 'warn') {
      this.warn(this.format.duplicateWarning(this.name, key));
    }
  }

  /** True when this build stores keys and values with a trailing NUL. */
  get nulTerminated(): boolean {
    return this.nul;
  }

  /** Deletes a key in both NUL forms (postmap -d); true when something was deleted. */
  delete(key: string): boolean {
    const k = Buffer.from(this.fold ? foldText(key, this.utf8) : key, 'utf8');
    const a = this.store.delete(Buffer.concat([k, Buffer.from([0])]));
    const b = this.store.delete(k);
    return a || b;
  }

  /** Writes name + suffix atomically (synchronous file writes; see atomic-file.ts). */
  async write(options: BuildOptions = {}): Promise<void> {
    this.settleDuplicates();
    const attrs = {
      mode: options.mode ?? 0o644,
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
    };
    writeFileAtomic(this.name + this.format.suffix, attrs, (sink) => this.format.write(this.store, sink));
  }
}

/** Builds `name + suffix` from the source file `name` (what `postmap type:name` does). */
export async function buildFromSource(
  format: CompiledFormat,
  name: string,
  options: BuildOptions = {},
): Promise<void> {
  const builder = new TableBuilder(format, name, { ...options, deferDuplicates: true });
  const buf = await readWithSpare(name);
  parseSource(
    buf,
    {
      displayName: name,
      utf8: options.utf8 ?? true,
      style: 'postmap',
      warn: builder.warnLater,
    },
    builder.handler(buf),
    buf.length - 1,
  );
  await builder.write(options);
}

/**
 * Builds a table from text entries (not from a source file): the drivers' build() export.
 * `sourcePath` only names the table; the file written is sourcePath + the format's suffix.
 */
export async function buildFromEntries(
  format: CompiledFormat,
  sourcePath: string,
  entries: Iterable<readonly [string, string]>,
  options: BuildOptions = {},
): Promise<void> {
  const builder = new TableBuilder(format, sourcePath, options);
  for (const [k, v] of entries) builder.addText(k, v);
  await builder.write(options);
}

/** Mode for a new database as Postfix computes it: 0644 minus what the source denies. */
export async function modeFromSource(sourcePath: string): Promise<number> {
  const st = await stat(sourcePath);
  return 0o644 & ~(~st.mode & 0o077);
}

export { parseSourceFile };
