// lmdb: tables: "file.lmdb", an LMDB (data format 1) file that Postfix's dict_lmdb reads and
// writes too. Postfix stores keys and values WITH a trailing NUL on Linux and tries both forms
// on lookup (dict_lmdb.c). Outpost reads and writes the format itself (lmdb-format.ts).
import type { BuildOptions } from './compiled-build.js';
import { CompiledTable, type CompiledFormat } from './compiled-table.js';
import { writeLmdbFile, LmdbReader } from './lmdb-format.js';
import type { OpenOptions } from './types.js';

export const format: CompiledFormat = {
  type: 'lmdb',
  suffix: '.lmdb',
  defaultNul: true,
  needsSortedKeys: true,
  canUpdate: true,
  batchReads: true,
  canSequence: true,
  duplicateWarning: (name, key) => `lmdb:${name}: duplicate entry: "${key}"`,
  write: writeLmdbFile,
  reader: (src) => new LmdbReader(src),
};

export async function open(name: string, options: OpenOptions = {}): Promise<CompiledTable> {
  return CompiledTable.open(format, name, options);
}

export async function build(
  sourcePath: string,
  entries: Iterable<readonly [string, string]>,
  options: BuildOptions = {},
): Promise<void> {
  // Imported when needed: lookups (the daemon, postmap -q) never load the build code.
  const { buildFromEntries } = await import('./compiled-build.js');
  return buildFromEntries(format, sourcePath, entries, options);
}
