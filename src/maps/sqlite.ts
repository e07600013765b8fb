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
    private readonly engine: Promise<SqliteEngine>,
  ) {}

  async query(build: (quote: (s: string) => string) => string): Promise<Rows> {
    const db = await this.current();
    try {
      return db.firstColumn(build(sqliteQuote)).map((value) => [value]);
    } catch (err) {
      throw new TableError(`${this.label}: SQL query failed: ${(err as Error).message}`, this.label);
    }
  }

  /** The open handle, reopened when the file was replaced since the last lookup. */
  private async current(): Promise<SqliteDatabase> {
    let id: string;
    try {
      const st = await stat(this.path);
      id = `${st.dev}:${st.ino}`;
    } catch (err) {
      this.closeHandle();
      throw new TableError(
        `${this.label}: cannot open database ${this.path}: ${(err as Error).message}`,
        this.label,
      );
    }
    if (this.db !== undefined && id === this.identity) return this.db;
    this.closeHandle();
    let engine: SqliteEngine;
    try {
      engine = await this.engine;
    } catch (err) {
      throw new TableError(`${this.label}: ${(err as Error).message}`, this.label);
    }
    try {
      this.db = engine.open(this.path, SQLITE_BUSY_TIMEOUT_MS);
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
  return new SqlTable('sqlite', name, templates, new SqliteBackend(dbpath, label, sqliteEngine()), options);
}
