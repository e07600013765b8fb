// Creates and changes SQLite files for the sqlite: table tests, with whichever library this
// Node can load (better-sqlite3 built for Node 20, or node:sqlite on Node 22).
import { createRequire } from 'node:module';
import { importQuietly } from '../../src/maps/sqlite-engine.js';

export interface SqliteWriter {
  exec(sql: string): void;
  run(sql: string, ...params: (string | number | null)[]): void;
  close(): void;
}

export async function openWritable(path: string): Promise<SqliteWriter> {
  try {
    const require = createRequire(import.meta.url);
    const Database = require('better-sqlite3') as new (p: string) => {
      exec(sql: string): void;
      prepare(sql: string): { run(...p: unknown[]): unknown };
      close(): void;
    };
    const db = new Database(path);
    return {
      exec: (s) => db.exec(s),
      run: (s, ...p) => void db.prepare(s).run(...p),
      close: () => db.close(),
    };
  } catch {
    const { DatabaseSync } = (await importQuietly('node:sqlite')) as {
      DatabaseSync: new (p: string) => {
        exec(sql: string): void;
        prepare(sql: string): { run(...p: unknown[]): unknown };
        close(): void;
      };
    };
    const db = new DatabaseSync(path);
    return {
      exec: (s) => db.exec(s),
      run: (s, ...p) => void db.prepare(s).run(...p),
      close: () => db.close(),
    };
  }
}
