// The streams and environment a command-line tool uses; tests pass their own.
import type { Readable } from 'node:stream';
import { resolveConfigDir } from '../config/config-dir.js';

export interface ToolIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
}

export const processIO = (): ToolIO => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});

/** -c DIR wins, then MAIL_CONFIG, then /etc/postfix (as Postfix's tools). */
export function configDirectoryFrom(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolveConfigDir(option, env);
}

/** Runs a tool's main and exits with its status once stdout has drained. */
export function runTool(main: (argv: string[], io: ToolIO) => Promise<number>): void {
  main(process.argv.slice(2), processIO()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
      process.exitCode = 1;
    },
  );
}
