// sqlite: lookup tables (sqlite_table(5)). Postfix reads only the first column of each row
// (dict_sqlite.c). The database is opened read-only on first lookup and reopened when the
// file at `dbpath` is replaced (new inode), so table updates, in place or by rename, are seen
// without a restart; SQLite itself sees in-place commits on the next query.
import { stat } from 'node:fs/promises';
import { loadSqlConfig } from './sql-config.js';
import { readTemplates, SqlTable, type Rows, type SqlBackend } from './sql-table.js';
import { sqliteEngine, type SqliteDatabase, type SqliteEngine } from './sqlite-engine.js';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

/** How long a query waits for a writer's lock before the lookup fails temporarily. */
export const SQLITE_BUSY_TIMEOUT_MS = 100;

/** Escapes text for use inside '...' like sqlite3_mprintf("%q"): quotes are doubled. */
export function sqliteQuote(text: string): string {
  return text.replace(/'/g, "''");
}

class SqliteBackend implements SqlBackend {
  private db: SqliteDatabase | undefined;
  private identity = '';

  constructor(
    private readonly path: string,
    private readonly label: string,
    /** The library, or why none loads (reported on each lookup, as a temporary error). */
    private readonly engine: SqliteEngine | Error,
  ) {}

  async query(build: (quote: (s: string) => string) => string): Promise<Rows> {
    const id = await this.fileIdentity();
    // Nothing from here on awaits, so a concurrent lookup cannot close this handle under us.
    const db = this.handleFor(id);
    try {
      return db.firstColumn(build(sqliteQuote)).map((value) => [value]);
    } catch (err) {
      throw new TableError(`${this.label}: SQL query failed: ${(err as Error).message}`, this.label);
    }
  }

  /** Device and inode of the file now at dbpath; a new pair means the file was replaced. */
  private async fileIdentity(): Promise<string> {
    try {
      const st = await stat(this.path);
      return `${st.dev}:${st.ino}`;
    } catch (err) {
      this.closeHandle();
      throw new TableError(
        `${this.label}: cannot open database ${this.path}: ${(err as Error).message}`,
        this.label,
      );
    }
  }

  /** The open handle for that file, (re)opened when the file is new. */
  private handleFor(id: string): SqliteDatabase {
    if (this.db !== undefined && id === this.identity) return this.db;
    this.closeHandle();
    if (this.engine instanceof Error)
      throw new TableError(`${this.label}: ${this.engine.message}`, this.label);
    try {
      this.db = this.engine.open(this.path, SQLITE_BUSY_TIMEOUT_MS);
      this.identity = id;
      return this.db;
    } catch (err) {
      throw new TableError(
        `${this.label}: cannot open database ${this.path}: ${(err as Error).message}`,
        this.label,
      );
    }
  }

  private closeHandle(): void {
    const db = this.db;
    this.db = undefined;
    this.identity = '';
    db?.close();
  }

  async close(): Promise<void> {
    this.closeHandle();
  }
}

export async function open(name: string, options: OpenOptions): Promise<LookupTable> {
  const label = `sqlite:${name}`;
  const config = await loadSqlConfig('sqlite', name, options);
  const dbpath = config.str('dbpath', '', 1);
  const templates = await readTemplates(config, label, options);
  // Like sqlite3_open() in Postfix, a relative dbpath is relative to the working directory.
  const engine = await sqliteEngine().catch((err: Error) => err);
  return new SqlTable('sqlite', name, templates, new SqliteBackend(dbpath, label, engine), options);
}
