// Shared test plumbing for the maps and postmap tests: a config directory Postfix accepts, and
// runners for the real /usr/sbin/postmap (the oracle) and Outpost's bin/postmap.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POSTMAP } from '../helpers/peers.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// bin/postmap is a shell wrapper (it sets a glibc tunable), run directly; it uses `node` from PATH.
// bin/postmap is a shell wrapper (it sets a glibc tunable) and runs `node` from PATH.
export const OUR_POSTMAP = join(ROOT, 'bin', 'postmap');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A temp dir with conf/main.cf (compatibility_level 3.7, so smtputf8_enable=yes) and a work dir. */
export function makeSandbox(prefix: string): { root: string; conf: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `outpost-${prefix}-`));
  const conf = join(root, 'conf');
  mkdirSync(conf);
  writeFileSync(join(conf, 'main.cf'), 'compatibility_level = 3.7\n');
  // Postfix repeats main.cf warnings for a file modified within the last second.
  const old = new Date('2020-01-01T00:00:00Z');
  utimesSync(join(conf, 'main.cf'), old, old);
  return { root, conf, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

function run(cmd: string, args: string[], conf: string, cwd: string, input?: string | Buffer): Run {
  const r = spawnSync(cmd, args, {
    cwd,
    input: input ?? '',
    env: { ...process.env, MAIL_CONFIG: conf },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

export function realPostmap(args: string[], conf: string, cwd: string, input?: string | Buffer): Run {
  return run(POSTMAP, args, conf, cwd, input);
}

export function ourPostmap(args: string[], conf: string, cwd: string, input?: string | Buffer): Run {
  return run(OUR_POSTMAP, args, conf, cwd, input);
}

/** Writes a source file with an mtime in the past (see Postfix's "hot file" re-read in dict_thash). */
export function writeSource(path: string, content: string | Buffer): void {
  writeFileSync(path, content);
  const old = new Date(Date.now() - 10_000);
  utimesSync(path, old, old);
}

/** Lines of output, sorted (for dumps whose order differs between implementations). */
export function sortedLines(s: string): string[] {
  return s
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}
