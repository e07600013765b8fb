// The one interface every lookup table driver implements (Postfix's dict(3) in spirit).
// A lookup has three outcomes: a value, "not found" (undefined), or a TableError, which a
// caller must treat as a temporary failure (defer the mail), never as "not found".

/** How a caller wants a table opened; mirrors the postmap/dict flags Outpost honours. */
export interface OpenOptions {
  /** Fold keys to lower case on build and lookup (fixed-string tables only). Default true. */
  foldCase?: boolean;
  /** The main.cf directory, for relative paths and for drivers that read settings. */
  configDir?: string;
  /** Parameter lookup (expanded main.cf value), for drivers whose behaviour depends on main.cf. */
  param?: (name: string) => string;
  /**
   * Added by the maps layer (backward compatible): where a table reports a non-fatal problem
   * (stale database, malformed source line, duplicate key). Default: stderr.
   */
  warn?: (message: string) => void;
  /**
   * UTF-8 mode (Postfix smtputf8_enable, "yes" from compatibility_level 1 on): keys are folded
   * with full Unicode case folding and source lines that are not UTF-8 are skipped. Default true.
   */
  utf8?: boolean;
  /**
   * Trailing NUL handling for compiled tables (postmap -N / -n): true = keys and values carry a
   * trailing NUL byte, false = they do not. Default: lookups try both; builds use the type's
   * Postfix default (with NUL for hash and lmdb, without for cdb).
   */
  nulTerminated?: boolean;
  /**
   * Duplicate keys in a source read at open time (texthash:): 'warn' (default, first kept),
   * 'ignore' (postmap -w) or 'replace' (postmap -r, last kept).
   */
  duplicates?: 'warn' | 'ignore' | 'replace';
  /**
   * Added by the maps layer (backward compatible): compiled tables (hash, cdb, lmdb) read their
   * file with positional reads instead of loading it into memory at open. For short-lived
   * callers such as postmap -q, which touch a file once: loading it costs more than the lookups.
   */
  positionalReads?: boolean;
}

export interface LookupTable {
  /** Table type as written in main.cf: "hash", "lmdb", "regexp", "mysql", ... */
  readonly type: string;
  /** Everything after "type:" (a path, or "{...}" for inline forms). */
  readonly name: string;
  /**
   * True for fixed-string tables (hash, lmdb, cdb, texthash, inline, SQL): callers may try
   * partial keys ("user", "@domain"). False for pattern tables (regexp, pcre, cidr), which
   * only ever see the full key.
   */
  readonly fixedKeys: boolean;
  /** Resolve a key. Undefined means not found; a thrown TableError means "try again later". */
  lookup(key: string): Promise<string | undefined>;
  /** Release files, connections and timers. */
  close(): Promise<void>;
}

/** A table that cannot answer right now (unreadable file, database down). Temporary. */
export class TableError extends Error {
  constructor(
    message: string,
    readonly table: string,
  ) {
    super(message);
    this.name = 'TableError';
  }
}
