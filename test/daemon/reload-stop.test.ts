// SIGHUP reload keeps open SMTP sessions working and applies master.cf changes; SIGTERM stops
// accepting at once, lets a session finish within outpost_shutdown_timeout, and never leaves
// an unacknowledged message half-queued.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:net';
import {
  makeInstance,
  outpost,
  waitForLog,
  waitFor,
  maildirNew,
  freePort,
  logText,
  type TestInstance,
} from './helpers.js';
import { RawSmtp } from './smtp-client.js';

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) await i.cleanup();
});

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

test('reload (SIGHUP) keeps an open session working and starts a new master.cf service', async () => {
  const inst = await makeInstance();
  instances.push(inst);
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const smtp = await RawSmtp.open(inst.port);
  assert.match(await smtp.reply(), /^220 /);
  assert.match(await smtp.cmd('EHLO client.example'), /^250-mx\.test\.example/);
  assert.match(await smtp.cmd('MAIL FROM:<sender@example.org>'), /^250 2\.1\.0/);

  const extra = await freePort();
  await appendFile(
    join(inst.dir, 'master.cf'),
    `127.0.0.1:${extra} inet n - n - - smtpd -o syslog_name=postfix/extra\n`,
  );
  await writeFile(
    join(inst.dir, 'main.cf'),
    (await readFile(join(inst.dir, 'main.cf'), 'utf8')).replace(
      'myhostname = mx.test.example',
      'myhostname = mx2.test.example',
    ),
  );
  assert.equal(outpost(inst.dir, 'reload').status, 0);
  await waitForLog(inst, /reload -- version [\w.-]+/);

  // The old session is untouched: same state, same greeting host, finishes its message.
  assert.match(await smtp.cmd('RCPT TO:<alice@localhost>'), /^250 2\.1\.5/);
  assert.match(await smtp.cmd('DATA'), /^354/);
  smtp.send('Subject: across a reload\r\n\r\nstill here\r\n.\r\n');
  assert.match(await smtp.reply(), /^250 2\.0\.0 Ok: queued as [0-9A-F]+/);
  assert.match(await smtp.cmd('QUIT'), /^221/);
  smtp.close();
  const files = await waitFor('delivery', async () =>
    (await maildirNew(inst, 'alice')).length ? maildirNew(inst, 'alice') : undefined,
  );
  assert.match(await readFile(join(inst.mail, 'alice', 'Maildir', 'new', files[0]!), 'utf8'), /still here/);

  // New sessions see the new configuration; the new service listens with its -o override.
  const fresh = await RawSmtp.open(inst.port);
  assert.match(await fresh.reply(), /^220 mx2\.test\.example /);
  fresh.close();
  const added = await RawSmtp.open(extra);
  assert.match(await added.reply(), /^220 mx2\.test\.example /);
  assert.match(await added.cmd('QUIT'), /^221/);
  added.close();
  await waitForLog(inst, /postfix\/extra\/smtpd\[\d+\]: connect from/);

  // A broken main.cf on reload is logged and the running configuration stays.
  // outpost reload itself refuses a broken main.cf (it names file and line) ...
  const pid = Number((await readFile(join(inst.queue, 'pid', 'master.pid'), 'utf8')).trim());
  await writeFile(join(inst.dir, 'main.cf'), 'garbage here\n');
  const refusedReload = outpost(inst.dir, 'reload');
  assert.equal(refusedReload.status, 1);
  assert.match(refusedReload.stderr, /main\.cf, line 1: missing '=' after attribute name: "garbage here"/);
  // ... and a master that gets SIGHUP anyway logs the error and keeps running.
  process.kill(pid, 'SIGHUP');
  await waitForLog(
    inst,
    /error: reload failed, keeping the running configuration: .*main\.cf, line 1: missing '='/,
  );
  const still = await RawSmtp.open(inst.port);
  assert.match(await still.reply(), /^220 /);
  still.close();
});

test('stop (SIGTERM): listener closes at once, a session in DATA gets the grace time, then is abandoned without queuing', async () => {
  const inst = await makeInstance();
  instances.push(inst);
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const finishing = await RawSmtp.open(inst.port);
  const abandoned = await RawSmtp.open(inst.port);
  for (const s of [finishing, abandoned]) {
    assert.match(await s.reply(), /^220/);
    await s.cmd('HELO client');
    await s.cmd('MAIL FROM:<a@example.org>');
    await s.cmd('RCPT TO:<bob@localhost>');
    assert.match(await s.cmd('DATA'), /^354/);
    s.send('Subject: in flight\r\n\r\npart one\r\n');
  }
  const pid = Number((await readFile(join(inst.queue, 'pid', 'master.pid'), 'utf8')).trim());
  process.kill(pid, 'SIGTERM');
  await waitForLog(inst, /terminating on signal 15/);
  await waitFor('listener closed', async () => ((await refused(inst.port)) ? true : undefined));

  // Within the grace time a session can still finish its message.
  finishing.send('part two\r\n.\r\n');
  assert.match(await finishing.reply(), /^250 2\.0\.0 Ok: queued as/);
  finishing.send('QUIT\r\n');
  // The other one never ends its DATA: after outpost_shutdown_timeout (2s) it is dropped.
  assert.match(await abandoned.reply(8000), /^421 4\.3\.2/);
  await waitFor('master exit', async () => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  // Exactly one message reached the queue; no partial file anywhere.
  const log = await logText(inst);
  // Both sessions got a queue ID at RCPT (smtpd logs "ID: client=" then, as Postfix does);
  // only the finished one was committed (checked on disk below).
  assert.equal((log.match(/smtpd\[\d+\]: [0-9A-F]+: client=/g) ?? []).length, 2);
  for (const q of ['incoming', 'active', 'deferred']) {
    const names = await readdir(join(inst.queue, q));
    assert.deepEqual(
      names.filter((n) => n.startsWith('.')),
      [],
      `temp file left in ${q}`,
    );
  }
  const queued = [
    ...(await readdir(join(inst.queue, 'incoming'))),
    ...(await readdir(join(inst.queue, 'active'))),
  ];
  const delivered = await maildirNew(inst, 'bob');
  assert.equal(queued.length + delivered.length, 1);
});
