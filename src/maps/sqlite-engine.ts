// The SQLite library behind sqlite: tables. Outpost runs on Node 20.18+ and 22 from the same
// node_modules, and a native addon loads only under the Node ABI it was built for. So:
// better-sqlite3 (an optional dependency, built at install time) when it loads, else Node's
// built-in node:sqlite (Node 22.13+ without a flag). Both are synchronous; lookup queries
// are single indexed SELECTs, so they are run inline. See docs/decisions.md.
import { createRequire } from 'node:module';

/** A read-only database handle that returns the first column of each row, as Postfix reads it. */
export interface SqliteDatabase {
  firstColumn(sql: string): (string | null)[];
  close(): void;
}

export interface SqliteEngine {
  /** "better-sqlite3" or "node:sqlite". */
  readonly name: string;
  open(path: string, busyTimeoutMs: number): SqliteDatabase;
}

/**
 * Text of a column value as sqlite3_column_text() gives it: integers in decimal, REALs with
 * "%!.15g" (SQLite 3.40, the library Debian's Postfix 3.7 uses), blobs as their bytes.
 */
export function sqliteText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return realText(value); // integers arrive as bigint
  if (value instanceof Uint8Array) {
    const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
    const nul = text.indexOf('\0');
    return nul < 0 ? text : text.slice(0, nul);
  }
  return String(value);
}

/** printf("%!.15g"): 15 significant digits, trailing zeros dropped but at least one decimal. */
export function realText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  const [mantissa, expText] = x.toExponential(14).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (s: string): string => {
    if (!s.includes('.')) return `${s}.0`;
    const t = s.replace(/0+$/, '');
    return t.endsWith('.') ? `${t}0` : t;
  };
  if (exp < -4 || exp >= 15) {
    const sign = exp < 0 ? '-' : '+';
    return `${trim(mantissa)}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return trim(x.toFixed(14 - exp));
}

interface BetterStatement {
  reader: boolean;
  raw(on: boolean): BetterStatement;
  safeIntegers(on: boolean): BetterStatement;
  all(): unknown[][];
  run(): unknown;
}
interface BetterDatabase {
  prepare(sql: string): BetterStatement;
  close(): void;
}
type BetterConstructor = new (
  path: string,
  options: { readonly: boolean; fileMustExist: boolean; timeout: number },
) => BetterDatabase;

function betterSqlite(Database: BetterConstructor): SqliteEngine {
  return {
    name: 'better-sqlite3',
    open(path, busyTimeoutMs) {
      const db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      return {
        firstColumn(sql) {
          const stmt = db.prepare(sql);
          if (!stmt.reader) {
            stmt.run();
            return [];
          }
          return stmt
            .raw(true)
            .safeIntegers(true)
            .all()
            .map((row) => sqliteText(row[0]));
        },
        close: () => db.close(),
      };
    },
  };
}

interface NodeStatement {
  setReadBigInts(on: boolean): void;
  setReturnArrays?(on: boolean): void;
  columns?(): { name: string }[];
  all(): unknown[];
}
interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
}
type NodeConstructor = new (path: string, options: { readOnly: boolean }) => NodeDatabase;

function nodeSqlite(DatabaseSync: NodeConstructor): SqliteEngine {
  return {
    name: 'node:sqlite',
    open(path, busyTimeoutMs) {
      const db = new DatabaseSync(path, { readOnly: true });
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
      return {
        firstColumn(sql) {
          const stmt = db.prepare(sql);
          stmt.setReadBigInts(true);
          if (stmt.setReturnArrays) {
            stmt.setReturnArrays(true);
            return (stmt.all() as unknown[][]).map((row) => sqliteText(row[0]));
          }
          // Older Node 22: rows are objects; find the first column by name.
          const first = stmt.columns?.()[0]?.name;
          return (stmt.all() as Record<string, unknown>[]).map((row) =>
            sqliteText(first !== undefined ? row[first] : Object.values(row)[0]),
          );
        },
        close: () => db.close(),
      };
    },
  };
}

let cached: Promise<SqliteEngine> | undefined;

/** The engine for this process, loaded on first use. `prefer` is for tests. */
export function sqliteEngine(prefer?: 'better-sqlite3' | 'node:sqlite'): Promise<SqliteEngine> {
  if (prefer !== undefined) return loadEngine(prefer);
  cached ??= loadEngine(undefined);
  return cached;
}

async function loadEngine(prefer: 'better-sqlite3' | 'node:sqlite' | undefined): Promise<SqliteEngine> {
  const reasons: string[] = [];
  if (prefer !== 'node:sqlite') {
    try {
      const require = createRequire(import.meta.url);
      const Database = require('better-sqlite3') as BetterConstructor;
      // The addon itself loads on first use; built for another Node ABI it fails only here.
      new Database(':memory:', { readonly: false, fileMustExist: false, timeout: 0 }).close();
      return betterSqlite(Database);
    } catch (err) {
      reasons.push(`better-sqlite3: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (prefer !== 'better-sqlite3') {
    try {
      const mod = await importQuietly('node:sqlite');
      return nodeSqlite((mod as { DatabaseSync: NodeConstructor }).DatabaseSync);
    } catch (err) {
      reasons.push(`node:sqlite: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no SQLite library could be loaded (${reasons.join('; ')})`);
}

/** Imports a module while dropping the one-time "SQLite is an experimental feature" warning. */
export async function importQuietly(specifier: string): Promise<unknown> {
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import(specifier);
  } finally {
    process.emitWarning = original;
  }
}
