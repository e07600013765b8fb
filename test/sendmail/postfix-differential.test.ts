// sendmail error behaviour compared with Postfix 3.7's sendmail on the same configuration:
// the same stderr text and the same exit status for submission and usage errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { SENDMAIL } from '../daemon/helpers.js';

let dir = '';
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const CASES: { args: string[]; input: string }[] = [
  { args: [], input: 'Subject: x\n\nbody\n' },
  { args: ['-t'], input: 'Subject: x\n\nbody\n' },
  { args: ['-K', 'x'], input: '' },
  { args: ['-f'], input: '' },
  { args: ['-B', '9BIT', 'x'], input: 'x\n' },
  { args: ['alice'], input: 'Subject: big\n\n' + `${'a'.repeat(70)}\n`.repeat(200) },
];

test('error messages and exit codes match Postfix sendmail', async (t) => {
  if (!needPeer(t, 'postfix (sendmail)', hasPostfix())) return;
  dir = await mkdtemp(join(tmpdir(), 'outpost-sendmail-diff-'));
  await chmod(dir, 0o755);
  // Postfix's sendmail needs the queue tree to exist (it chdirs there first).
  await mkdir(join(dir, 'q', 'maildrop'), { recursive: true });
  await mkdir(join(dir, 'q', 'public'), { recursive: true });
  await writeFile(
    join(dir, 'main.cf'),
    `compatibility_level = 3.7\nqueue_directory = ${dir}/q\nmessage_size_limit = 1000\n`,
  );
  await writeFile(join(dir, 'master.cf'), '');
  const past = new Date('2020-01-01T00:00:00Z');
  await utimes(join(dir, 'main.cf'), past, past);
  for (const c of CASES) {
    const real = spawnSync('/usr/sbin/sendmail', ['-C', dir, ...c.args], {
      input: c.input,
      encoding: 'utf8',
    });
    const ours = spawnSync(process.execPath, [SENDMAIL, '-C', dir, ...c.args], {
      input: c.input,
      encoding: 'utf8',
    });
    // postdrop/cleanup chatter that has no counterpart here ("postdrop: warning: ...").
    const realErr = real.stderr
      .split('\n')
      .filter(
        (l) => l.startsWith('sendmail: ') && !l.includes('mail_stream_cleanup') && !l.includes('postdrop'),
      )
      .join('\n');
    assert.equal(ours.status, real.status, `sendmail ${c.args.join(' ')}: exit status`);
    assert.equal(ours.stderr.trimEnd(), realErr.trimEnd(), `sendmail ${c.args.join(' ')}: stderr`);
  }
});
