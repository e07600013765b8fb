// outpost start/status/reload/flush/stop against a temp configuration on a high port, and the
// start-up errors a person must be able to act on (port in use, bad main.cf/master.cf,
// already running, not running).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeInstance, outpost, waitForLog, logText, type TestInstance } from './helpers.js';
import { RawSmtp } from './smtp-client.js';

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) await i.cleanup();
});
async function instance(...a: Parameters<typeof makeInstance>): Promise<TestInstance> {
  const i = await makeInstance(...a);
  instances.push(i);
  return i;
}

test('start, status, reload, flush, stop with a PID file and Postfix-format log lines', async () => {
  const inst = await instance();
  const started = outpost(inst.dir, 'start');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /starting the Outpost mail system/);
  const pidText = await readFile(join(inst.queue, 'pid', 'master.pid'), 'utf8');
  const pid = Number(pidText.trim());
  assert.ok(pid > 0);
  assert.match(pidText, /^ {0,9}\d+\n$/);

  const status = outpost(inst.dir, 'status');
  assert.equal(status.status, 0);
  assert.equal(status.stdout, `outpost: the Outpost mail system is running: PID: ${pid}\n`);
  await waitForLog(inst, /postfix\/master\[\d+\]: daemon started -- version [\w.-]+, configuration \//);

  const smtp = await RawSmtp.open(inst.port);
  assert.match(await smtp.reply(), /^220 mx\.test\.example ESMTP/);
  assert.match(await smtp.cmd('QUIT'), /^221/);
  smtp.close();

  const again = outpost(inst.dir, 'start');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /outpost: fatal: the Outpost mail system is already running \(PID \d+\)/);

  assert.equal(outpost(inst.dir, 'reload').status, 0);
  await waitForLog(inst, /postfix\/master\[\d+\]: reload -- version [\w.-]+, configuration /);

  const flush = outpost(inst.dir, 'flush');
  assert.equal(flush.status, 0, flush.stderr);

  const stopped = outpost(inst.dir, 'stop');
  assert.equal(stopped.status, 0, stopped.stderr);
  assert.match(stopped.stdout, /stopping the Outpost mail system/);
  assert.match(await logText(inst), /postfix\/master\[\d+\]: terminating on signal 15/);
  await assert.rejects(stat(join(inst.queue, 'pid', 'master.pid')));

  const down = outpost(inst.dir, 'status');
  assert.equal(down.status, 1);
  assert.equal(down.stdout, 'outpost: the Outpost mail system is not running\n');
  const stopDown = outpost(inst.dir, 'stop');
  assert.equal(stopDown.status, 1);
  assert.match(stopDown.stderr, /fatal: the Outpost mail system is not running/);
  const flushDown = outpost(inst.dir, 'flush');
  assert.equal(flushDown.status, 69);
  assert.match(flushDown.stderr, /Cannot flush mail queue - mail system is down/);
});

test('a port already in use names the service, the master.cf line and the fix', async () => {
  const inst = await instance();
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(inst.port, '127.0.0.1', () => r()));
  try {
    const r = outpost(inst.dir, 'start');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `outpost: fatal: bind 127\\.0\\.0\\.1 port ${inst.port}: Address already in use ` +
          `\\(master\\.cf service "127\\.0\\.0\\.1:${inst.port}/inet", .*master\\.cf, line 1\\); fix: .*change the port in master\\.cf`,
      ),
    );
    // Nothing left behind: no PID file, so a later start is not blocked.
    await assert.rejects(stat(join(inst.queue, 'pid', 'master.pid')));
    assert.equal(outpost(inst.dir, 'status').status, 1);
  } finally {
    blocker.close();
  }
});

test('bad main.cf and master.cf lines are reported with file and line', async () => {
  const inst = await instance();
  await writeFile(join(inst.dir, 'main.cf'), 'myhostname = a.example\nthis line is wrong\n');
  const r = outpost(inst.dir, 'start');
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    `outpost: fatal: ${join(inst.dir, 'main.cf')}, line 2: missing '=' after attribute name: "this line is wrong"\n`,
  );

  await writeFile(join(inst.dir, 'main.cf'), `queue_directory = ${inst.queue}\n`);
  await writeFile(join(inst.dir, 'master.cf'), 'smtp inet n - n - - smtpd\nbroken xyz n - n - - smtpd\n');
  const m = outpost(inst.dir, 'start');
  assert.equal(m.status, 1);
  // src/config's wording (master(8)'s "bad transport type"), with file and line.
  assert.match(m.stderr, /master\.cf[:,] line 2: bad transport type: xyz/);

  await writeFile(join(inst.dir, 'master.cf'), 'smtp inet n -\n');
  const f = outpost(inst.dir, 'start');
  assert.match(f.stderr, /master\.cf[:,] line 1: (bad field count|missing "chroot" field)/);
});

test(
  'unknown mail_owner is refused at start when running as root',
  { skip: process.getuid?.() !== 0 && 'needs root' },
  async () => {
    const inst = await instance({ main: 'mail_owner = no-such-user-outpost' });
    const r = outpost(inst.dir, 'start');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /parameter mail_owner: unknown user name value: no-such-user-outpost/);
  },
);

test('a queue directory the daemon cannot write is a clear start-up error', async () => {
  const inst = await instance({ main: 'queue_directory = /etc/hostname/outpost-queue' });
  const r = outpost(inst.dir, 'start');
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /outpost: fatal: cannot create queue directory tree \/etc\/hostname\/outpost-queue: ENOTDIR/,
  );
});

test('usage errors exit 64', () => {
  const r = outpost('/nonexistent', 'launch');
  assert.equal(r.status, 64);
  assert.match(r.stderr, /usage: outpost/);
});

test(
  'as root, a queue the mail_owner cannot reach is refused with the user and a fix',
  { skip: process.getuid?.() !== 0 && 'needs root' },
  async () => {
    const inst = await instance();
    const { chmod } = await import('node:fs/promises');
    await chmod(inst.dir, 0o700); // postfix cannot traverse the configuration directory
    const r = outpost(inst.dir, 'start');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /outpost: fatal: queue directory .*\/spool\/incoming is not writable by user postfix \(EACCES\); fix: /,
    );
  },
);

test("start without a maillog file warns and does not hold the caller's output open", async () => {
  const inst = await instance({ main: 'maillog_file =' });
  const r = outpost(inst.dir, 'start'); // spawnSync would hang if the daemon kept our pipes
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: maillog_file is not set to a file; the background daemon logs nowhere/);
  assert.equal(outpost(inst.dir, 'status').status, 0);
  assert.equal(outpost(inst.dir, 'stop').status, 0);
});
