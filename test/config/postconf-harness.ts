// Shared helpers for postconf tests: temporary configuration directories and
// running the real Postfix postconf next to Outpost's bin/postconf.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POSTCONF } from '../helpers/peers.js';
import { postconfMain } from '../../src/cli/postconf.js';

export const OUTPOST_POSTCONF = fileURLToPath(new URL('../../../bin/postconf', import.meta.url));

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

const OLD = new Date('2020-01-01T00:00:00Z');

export interface Files {
  /** main.cf text; null = no main.cf at all. */
  main?: string | null;
  /** master.cf text; undefined = no master.cf. */
  master?: string;
  /** Other files to create in the directory (name -> text). */
  extra?: Record<string, string>;
}

/** Creates a temporary config directory; mtimes are set into the past for a stable oracle. */
export function makeConfigDir(files: Files, created: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-postconf-'));
  created.push(dir);
  if (files.main !== null) writeFileSync(join(dir, 'main.cf'), files.main ?? '', 'latin1');
  if (files.master !== undefined) writeFileSync(join(dir, 'master.cf'), files.master, 'latin1');
  for (const [name, text] of Object.entries(files.extra ?? {}))
    writeFileSync(join(dir, name), text, 'latin1');
  for (const f of ['main.cf', 'master.cf']) {
    if (existsSync(join(dir, f))) utimesSync(join(dir, f), OLD, OLD);
  }
  return dir;
}

export function removeDirs(created: string[]): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Runs a postconf executable (argv[0] "postconf", so messages start with "postconf: "). */
export function runPostconf(
  which: 'postfix' | 'outpost',
  args: string[],
  env: NodeJS.ProcessEnv = {},
): RunResult {
  const cmd = which === 'postfix' ? POSTCONF : process.execPath;
  const argv = which === 'postfix' ? args : [OUTPOST_POSTCONF, ...args];
  const r = spawnSync(cmd, argv, {
    argv0: 'postconf',
    encoding: 'latin1',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Real Postfix postconf, asynchronously (so several cases can run at once). */
export function runRealPostconf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(POSTCONF, args, {
      argv0: 'postconf',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('latin1'),
        status,
      });
    });
  });
}

/** Outpost's postconf in this process (same code as bin/postconf without Node start-up cost). */
export function runOutpostInProcess(args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  let stdout = '';
  let stderr = '';
  const status = postconfMain(
    args,
    {
      out: (t) => {
        stdout += t;
      },
      err: (t) => {
        stderr += t;
      },
      progname: 'postconf',
    },
    env,
  );
  return { stdout, stderr, status };
}

/**
 * Lines that legitimately differ: the process id, Outpost's own version string, and
 * the parameters Outpost adds (outpost_*), which Postfix does not have.
 */
const VOLATILE = /^(process_id|mail_version|milter_macro_v|outpost_\w+) =|^outpost_\w+$/;

export function normalizeStdout(text: string, dir: string): string {
  return text
    .split('\n')
    .filter((l) => !VOLATILE.test(l))
    .join('\n')
    .split(dir)
    .join('$D');
}

/** Postfix prints some warnings in hash-table order: compare stderr as a sorted line set. */
export function normalizeStderr(text: string, dir: string): string[] {
  return text
    .split(dir)
    .join('$D')
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

export function readMain(dir: string): string {
  return readFileSync(join(dir, 'main.cf'), 'latin1');
}
