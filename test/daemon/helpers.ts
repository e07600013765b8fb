// Shared set-up for daemon tests: a throw-away configuration directory with high loopback
// ports, its own queue, a maillog file and demo-style mail homes, plus small process helpers.
// When the tests run as root the master drops to mail_owner (postfix), so everything the
// daemon writes must be reachable by that user.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile, utimes } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lookupUser } from '../../src/master/privileges.js';

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const OUTPOST = join(root, 'bin', 'outpost');
export const SENDMAIL = join(root, 'bin', 'sendmail');
export const isRoot = process.getuid?.() === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface TestInstance {
  dir: string;
  port: number;
  queue: string;
  maillog: string;
  mail: string;
  cleanup(): Promise<void>;
}

export interface InstanceOptions {
  main?: string;
  /** Extra master.cf lines. */
  master?: string;
  users?: string[];
  /** Omit the default smtp listener line. */
  noSmtp?: boolean;
}

export async function makeInstance(options: InstanceOptions = {}): Promise<TestInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-daemon-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  const mail = join(dir, 'mail');
  for (const u of options.users ?? ['alice', 'bob']) await mkdir(join(mail, u), { recursive: true });
  const main = [
    'compatibility_level = 3.7',
    'myhostname = mx.test.example',
    'mydestination = $myhostname, localhost',
    'inet_protocols = ipv4',
    'queue_directory = $config_directory/spool',
    'maillog_file = $config_directory/maillog',
    'outpost_mail_home_directory = $config_directory/mail',
    'home_mailbox = Maildir/',
    'alias_maps = hash:$config_directory/aliases',
    'alias_database = hash:$config_directory/aliases',
    // The test users have no system accounts: list them, as a Postfix site would.
    'local_recipient_maps = texthash:$config_directory/local-users $alias_maps',
    'outpost_shutdown_timeout = 2s',
    options.main ?? '',
  ].join('\n');
  const master = [
    options.noSmtp ? '' : `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'qmgr unix n - n 300 1 qmgr',
    'local unix - n n - - local',
    options.master ?? '',
  ].join('\n');
  await writeFile(join(dir, 'main.cf'), main + '\n');
  await writeFile(join(dir, 'master.cf'), master + '\n');
  await writeFile(join(dir, 'aliases'), 'postmaster: alice\nteam: alice, bob\n');
  await writeFile(
    join(dir, 'local-users'),
    (options.users ?? ['alice', 'bob']).map((u) => `${u} OK\n`).join(''),
  );
  // As a Postfix user does after editing the aliases file.
  const built = spawnSync(join(root, 'bin', 'newaliases'), ['-C', dir], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`newaliases failed: ${built.stderr}`);
  await writeFile(join(dir, 'maillog'), '');
  if (isRoot) {
    const owner = await lookupUser('postfix');
    if (owner) {
      await chown(mail, owner.uid, owner.gid);
      for (const u of options.users ?? ['alice', 'bob']) await chown(join(mail, u), owner.uid, owner.gid);
    }
  }
  const past = new Date('2020-01-01T00:00:00Z');
  await utimes(join(dir, 'main.cf'), past, past);
  return {
    dir,
    port,
    queue: join(dir, 'spool'),
    maillog: join(dir, 'maillog'),
    mail,
    async cleanup() {
      // Signal the master directly: the test may have left main.cf broken on purpose.
      const pid = Number(
        (await readFile(join(dir, 'spool', 'pid', 'master.pid'), 'utf8').catch(() => '')).trim(),
      );
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGTERM');
          await waitFor('master exit', async () => {
            try {
              process.kill(pid, 0);
              return undefined;
            } catch {
              return true;
            }
          });
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function outpost(dir: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [OUTPOST, '-c', dir, ...args], { encoding: 'utf8', timeout: 60_000 });
}

/** Run bin/sendmail with `input` on stdin (async, so a daemon in this process can work meanwhile). */
export function sendmail(
  args: string[],
  input: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SENDMAIL, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function logText(inst: TestInstance): Promise<string> {
  return readFile(inst.maillog, 'utf8').catch(() => '');
}

export async function waitForLog(inst: TestInstance, pattern: RegExp, ms = 15_000): Promise<string> {
  return waitFor(
    `log line ${pattern}`,
    async () => ((await logText(inst)).match(pattern) ? logText(inst) : undefined),
    ms,
  );
}

/** Files in a user's Maildir/new. */
export async function maildirNew(inst: TestInstance, user: string): Promise<string[]> {
  return readdir(join(inst.mail, user, 'Maildir', 'new')).catch(() => []);
}
