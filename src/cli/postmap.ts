// postmap(1): build, query, update and dump lookup tables, with Postfix 3.7's options, messages
// and exit codes (docs/tables.md). Builds replace the database atomically (temporary file,
// fsync, rename). postalias(1) is the same program with aliases(5) sources (src/cli/postalias.ts).
import { ConfigError, readPostmapConfig } from './postmap-config.js';
import { Output, printable, type Context } from './postmap-context.js';
import { Fatal, parseFlags, POSTALIAS, POSTMAP, setRunningTool, type ToolSpec } from './postmap-options.js';
// postmap-query and postmap-update are imported when needed: start-up time counts in every
// postmap run (bench/RESULTS.md), and a query needs none of the build code.

export async function main(argv: string[], tool: ToolSpec = POSTMAP): Promise<number> {
  setRunningTool(tool);
  const out = new Output();
  try {
    const flags = parseFlags(argv);
    let config;
    try {
      config = await readPostmapConfig(flags.configDir);
    } catch (err) {
      if (err instanceof ConfigError) throw new Fatal(err.message);
      throw err;
    }
    if (flags.headerBodyMime) {
      if (flags.query !== '-') throw new Fatal('specify -b -h or -m only with "-q -"');
      throw new Fatal('-b, -h and -m (message keys) are not supported by Outpost postmap');
    }
    if (flags.fileValues) throw new Fatal('-F (file content values) is not supported by Outpost postmap');
    const ctx: Context = {
      flags,
      defaultType: config.defaultDatabaseType,
      utf8: config.utf8,
      out,
      aliases: tool === POSTALIAS,
      myhostname: config.myhostname,
    };
    if (flags.args.length === 0) {
      if (flags.sequence) return 1;
      throw new Fatal(tool.usage);
    }
    let rc = 0;
    if (flags.deleteKey !== undefined) {
      const { deleteKeys } = await import('./postmap-update.js');
      rc = await deleteKeys(ctx, flags.deleteKey === '-' ? 'stdin' : [flags.deleteKey]);
    } else if (flags.query !== undefined) {
      const { queryBulk, querySingle } = await import('./postmap-query.js');
      rc = flags.query === '-' ? await queryBulk(ctx) : await querySingle(ctx, flags.query);
    } else if (flags.sequence) {
      const { sequence } = await import('./postmap-query.js');
      rc = await sequence(ctx);
    } else if (flags.incremental) {
      const { incremental } = await import('./postmap-update.js');
      await incremental(ctx);
    } else {
      const { buildOne } = await import('./postmap-update.js');
      for (const arg of flags.args) await buildOne(ctx, arg);
    }
    out.flush();
    return rc;
  } catch (err) {
    out.flush();
    if (err instanceof Fatal) {
      process.stderr.write(`${tool.prog}: fatal: ${printable(err.message)}\n`);
      return 1;
    }
    throw err;
  }
}

/** Entry point for bin/postmap. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2));
}
