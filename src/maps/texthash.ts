// texthash:/path: the source file itself, read into memory (Postfix dict_thash): no postmap
// step. Postfix reads it once at process start; Outpost also re-reads it when the file changes
// (checked at most once per second), like the compiled tables.
import { stat } from 'node:fs/promises';
import { defaultWarn, FRESHNESS_INTERVAL_MS } from './compiled-table.js';
import { MemoryTable } from './memory-table.js';
import { parseSourceFile } from './source.js';
import { strerror } from './strerror.js';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

async function readTable(path: string, options: OpenOptions): Promise<MemoryTable> {
  const warn = options.warn ?? defaultWarn;
  const dup = options.duplicates ?? 'warn';
  const table = new MemoryTable('texthash', path, options);
  try {
    await parseSourceFile(
      path,
      { displayName: path, utf8: options.utf8 ?? true, style: 'texthash', warn },
      (buf, ks, ke, vs, ve, line) => {
        const key = buf.toString('utf8', ks, ke);
        const value = buf.toString('utf8', vs, ve);
        if (table.has(key)) {
          if (dup === 'replace') table.set(key, value);
          else if (dup === 'warn') warn(`${path}, line ${line}: duplicate entry: "${key}"`);
        } else {
          table.set(key, value);
        }
      },
    );
  } catch (err) {
    throw new TableError(`open database ${path}: ${strerror(err)}`, `texthash:${path}`);
  }
  return table;
}

class TextHashTable implements LookupTable {
  readonly type = 'texthash';
  readonly fixedKeys = true;
  private checkedAt = Date.now();
  private refreshing: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private table: MemoryTable,
    private mtimeMs: number,
    private ino: number,
    private size: number,
    private readonly options: OpenOptions,
  ) {}

  private async refresh(): Promise<void> {
    if (this.refreshing !== undefined) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const st = await stat(this.name).catch(() => undefined);
        if (st === undefined) return;
        if (st.mtimeMs === this.mtimeMs && st.ino === this.ino && st.size === this.size) return;
        this.table = await readTable(this.name, this.options);
        this.mtimeMs = st.mtimeMs;
        this.ino = st.ino;
        this.size = st.size;
      } finally {
        this.checkedAt = Date.now();
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  lookupSync(key: string): string | undefined {
    return this.table.lookupSync(key);
  }

  async lookup(key: string): Promise<string | undefined> {
    if (Date.now() - this.checkedAt >= FRESHNESS_INTERVAL_MS) await this.refresh();
    return this.table.lookupSync(key);
  }

  entries(): Iterable<[string, string]> {
    return this.table.entries();
  }

  async close(): Promise<void> {
    await this.table.close();
  }
}

export async function open(name: string, options: OpenOptions = {}): Promise<LookupTable> {
  const st = await stat(name).catch((err: unknown) => {
    throw new TableError(`open database ${name}: ${strerror(err)}`, `texthash:${name}`);
  });
  const table = await readTable(name, options);
  return new TextHashTable(name, table, st.mtimeMs, st.ino, st.size, options);
}
