// postalias(1): build, query, update and dump alias databases. The same program as postmap
// (src/cli/postmap.ts) with Postfix 3.7's postalias differences: aliases(5) sources
// (src/maps/alias-source.ts), the "@" and NIS signature entries, "key:<TAB>value" listings,
// and its own option letters and usage line (docs/aliases.md).
import { main } from './postmap.js';
import { POSTALIAS } from './postmap-options.js';

export function postaliasMain(argv: string[]): Promise<number> {
  return main(argv, POSTALIAS);
}

/** Entry point for bin/postalias. */
export async function run(): Promise<void> {
  process.exitCode = await postaliasMain(process.argv.slice(2));
}
