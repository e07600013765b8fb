// mailq(1) = sendmail -bp = postqueue -p. Accepts sendmail's -C config_dir and ignores -v.
import { getopt, UsageError } from './getopt.js';
import { postqueueMain } from './postqueue.js';
import type { ToolIO } from './tool-io.js';

export async function mailqMain(argv: string[], io: ToolIO): Promise<number> {
  let config: string | undefined;
  try {
    for (const o of getopt(argv, 'C:c:v').options) if (o.flag === 'C' || o.flag === 'c') config = o.value;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`mailq: fatal: ${err.message}\n`);
    return 64;
  }
  return postqueueMain(config ? ['-c', config, '-p'] : ['-p'], io, 'postqueue');
}
