// hash:, btree: and dbm: tables: "file.db" in Outpost's own indexed format (hash-format.ts).
// The three names share one format: Outpost has no ordered-iteration or dbm-specific needs, and
// Postfix users pick among them for Berkeley DB reasons that do not apply here.
import type { BuildOptions } from './compiled-build.js';
import { CompiledTable, type CompiledFormat } from './compiled-table.js';
import { writeHashFile, HashReader, isBerkeleyDb } from './hash-format.js';
import { TableError, type OpenOptions } from './types.js';

function hashFormat(type: string): CompiledFormat {
  return {
    type,
    suffix: '.db',
    defaultNul: true,
    needsSortedKeys: false,
    canUpdate: true,
    canSequence: true,
    duplicateWarning: (name, key) => `${name}.db: duplicate entry: "${key}"`,
    write: writeHashFile,
    reader(src, dbPath, name) {
      const head = src.read(0, 16);
      if (isBerkeleyDb(head)) {
        throw new TableError(
          `${dbPath} is a Berkeley DB file written by Postfix; run "postmap ${type}:${name}" with Outpost to rebuild it in Outpost's format`,
          `${type}:${name}`,
        );
      }
      return new HashReader(src);
    },
  };
}

export const formats: Record<string, CompiledFormat> = {
  hash: hashFormat('hash'),
  btree: hashFormat('btree'),
  dbm: hashFormat('dbm'),
};

/** The registry passes the type it was asked for as the third argument (hash, btree or dbm). */
export async function open(name: string, options: OpenOptions = {}, type = 'hash'): Promise<CompiledTable> {
  return CompiledTable.open(formats[type] ?? formats.hash!, name, options);
}

export async function build(
  sourcePath: string,
  entries: Iterable<readonly [string, string]>,
  options: BuildOptions = {},
): Promise<void> {
  // Imported when needed: lookups (the daemon, postmap -q) never load the build code.
  const { buildFromEntries } = await import('./compiled-build.js');
  return buildFromEntries(formats.hash!, sourcePath, entries, options);
}
