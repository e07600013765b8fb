// Real peers (Postfix, swaks, MariaDB, ...) that tests need. Outside CI a missing peer skips
// the test with a loud message; with CI=true it fails, so CI can never go green by skipping.
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const inCI = process.env.CI === 'true';

/** True when `cmd` runs (exit status is ignored; only "could not start" counts as missing). */
export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined;
}

/**
 * Call at the top of a test: returns true when the peer is present. When it is missing, the
 * test is skipped with a warning (or fails under CI=true) and the caller should return.
 */
export function needPeer(t: TestContext, name: string, present: boolean): boolean {
  if (present) return true;
  const msg = `peer missing: ${name} (run: bash scripts/install-test-deps.sh)`;
  if (inCI) throw new Error(msg);
  process.stderr.write(`\n*** SKIPPED: ${msg} ***\n`);
  t.skip(msg);
  return false;
}

/** Real Postfix binaries as installed by Debian. */
export const POSTCONF = '/usr/sbin/postconf';
export const POSTMAP = '/usr/sbin/postmap';
export const hasPostfix = (): boolean => hasCommand(POSTCONF, ['-d', 'mail_version']);
