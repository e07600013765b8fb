// cdb: tables: "file.cdb" in the standard cdb format, readable by Postfix's dict_cdb (tinycdb).
// Postfix writes cdb keys and values WITHOUT a trailing NUL by default and tries both forms on
// lookup (dict_cdb.c), so files cross-read both ways.
import type { BuildOptions } from './compiled-build.js';
import { CompiledTable, type CompiledFormat } from './compiled-table.js';
import { writeCdbFile, CdbReader } from './cdb-format.js';
import type { OpenOptions } from './types.js';

export const format: CompiledFormat = {
  type: 'cdb',
  suffix: '.cdb',
  defaultNul: false,
  needsSortedKeys: false,
  canUpdate: false,
  batchReads: true,
  canSequence: false,
  duplicateWarning: (name, key) => `${name}: duplicate entry: "${key}"`,
  write: writeCdbFile,
  reader: (src) => new CdbReader(src),
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
