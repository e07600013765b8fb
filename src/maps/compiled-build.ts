// Building compiled tables: collect entries (folding, NUL convention, duplicate policy as
// Postfix's mkmap/dict_*_update), then write the whole file atomically. Shared by postmap and
// the drivers' build() exports.
import { stat } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { foldBytes } from './fold.js';
import { toByteString, fromByteString } from './bytes.js';
import { parseSourceFile } from './source.js';
import type { CompiledFormat } from './compiled-table.js';
import type { RawEntry } from './raw-table.js';

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
  /** Mode of the new file (default 0644). */
  mode?: number;
  owner?: { uid: number; gid: number };
}

/** Collects entries for one table, applying Postfix's update rules. */
export class EntryCollector {
  private readonly map = new Map<string, string>();
  private readonly fold: boolean;
  private readonly utf8: boolean;
  private readonly nul: boolean;
  private readonly dup: DuplicatePolicy;
  private readonly warn: (m: string) => void;

  constructor(
    private readonly format: CompiledFormat,
    private readonly name: string,
    options: BuildOptions,
    existing?: readonly RawEntry[],
  ) {
    this.fold = options.foldCase ?? true;
    this.utf8 = options.utf8 ?? true;
    this.nul = options.nulTerminated ?? format.defaultNul;
    this.dup = options.duplicates ?? 'warn';
    this.warn = options.warn ?? (() => undefined);
    if (existing !== undefined) for (const [k, v] of existing) this.map.set(k, v);
  }

  /** Adds one entry given as byte strings (from the source parser). */
  add(key: string, value: string): void {
    let k = this.fold ? foldBytes(key, this.utf8) : key;
    let v = value;
    if (this.nul) {
      k += '\0';
      v += '\0';
    }
    const map = this.map;
    if (map.has(k)) {
      if (this.dup === 'replace') map.set(k, v);
      else if (this.dup === 'warn') {
        this.warn(this.format.duplicateWarning(this.name, fromByteString(this.nul ? k.slice(0, -1) : k)));
      }
      return;
    }
    map.set(k, v);
  }

  /** Removes a key (postmap -d); true when something was removed. Tries both NUL forms. */
  delete(key: string): boolean {
    const k = this.fold ? foldBytes(key, this.utf8) : key;
    const a = this.map.delete(k + '\0');
    const b = this.map.delete(k);
    return a || b;
  }

  get size(): number {
    return this.map.size;
  }

  entries(): RawEntry[] {
    const map = this.map;
    if (!this.format.needsSortedKeys) return [...map];
    // Byte strings sort like memcmp with the default comparison.
    const keys = [...map.keys()].sort();
    const out: RawEntry[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = [keys[i]!, map.get(keys[i]!)!];
    return out;
  }
}

/** Writes the compiled file for a table name ("/etc/postfix/virtual" -> virtual.db etc.). */
export async function writeCompiled(
  format: CompiledFormat,
  name: string,
  entries: readonly RawEntry[],
  options: BuildOptions = {},
): Promise<void> {
  const data = format.build(entries);
  await writeFileAtomic(name + format.suffix, data, {
    mode: options.mode ?? 0o644,
    ...(options.owner !== undefined ? { owner: options.owner } : {}),
  });
}

/** Builds `name + suffix` from the source file `name` (what `postmap type:name` does). */
export async function buildFromSource(
  format: CompiledFormat,
  name: string,
  options: BuildOptions = {},
): Promise<void> {
  const collector = new EntryCollector(format, name, options);
  await parseSourceFile(
    name,
    {
      displayName: name,
      utf8: options.utf8 ?? true,
      style: 'postmap',
      warn: options.warn ?? (() => undefined),
    },
    (k, v) => collector.add(k, v),
  );
  await writeCompiled(format, name, collector.entries(), options);
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
  const collector = new EntryCollector(format, sourcePath, options);
  for (const [k, v] of entries) collector.add(toByteString(k), toByteString(v));
  await writeCompiled(format, sourcePath, collector.entries(), options);
}

/** Mode for a new database as Postfix computes it: 0644 minus what the source denies. */
export async function modeFromSource(sourcePath: string): Promise<number> {
  const st = await stat(sourcePath);
  return 0o644 & ~(~st.mode & 0o077);
}
