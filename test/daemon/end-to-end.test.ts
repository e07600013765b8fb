// End to end, through the real modules only (src/config, src/smtpd, src/cleanup, src/queue,
// qmgr, local delivery): `outpost start` on a temp configuration with a high port, swaks
// (a real SMTP client) sends to a local user, the message lands in the Maildir with
// Postfix-format log lines; mailq and postqueue -f talk to the running daemon; sendmail while
// the daemon is down leaves a maildrop file that is delivered after start; and a kill -9 of
// the whole daemon while clients submit loses nothing that got a 250.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeInstance,
  outpost,
  sendmail,
  waitFor,
  waitForLog,
  maildirNew,
  root,
  type TestInstance,
} from './helpers.js';
import { RawSmtp } from './smtp-client.js';
import { hasCommand, needPeer } from '../helpers/peers.js';

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) {
    outpost(i.dir, 'stop');
    await i.cleanup();
  }
});

const tool = (name: string, ...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin', name), ...args], { encoding: 'utf8', timeout: 30_000 });

test('swaks -> smtpd -> cleanup -> queue -> qmgr -> local Maildir, with Postfix log lines; mailq; postqueue -f', async (t) => {
  if (!needPeer(t, 'swaks', hasCommand('swaks', ['--version']))) return;
  const inst = await makeInstance();
  instances.push(inst);
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const r = spawnSync(
    'swaks',
    ['--server', `127.0.0.1:${inst.port}`, '--from', 'sender@example.org', '--to', 'alice@mx.test.example'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const id = /250 2\.0\.0 Ok: queued as ([0-9A-F]+)/.exec(r.stdout)![1]!;
  const log = await waitForLog(inst, new RegExp(`qmgr\\[\\d+\\]: ${id}: removed`));
  for (const re of [
    /postfix\/smtpd\[\d+\]: connect from localhost\[127\.0\.0\.1\]/,
    new RegExp(`postfix/smtpd\\[\\d+\\]: ${id}: client=localhost\\[127\\.0\\.0\\.1\\]`),
    new RegExp(`postfix/cleanup\\[\\d+\\]: ${id}: message-id=<`),
    new RegExp(
      `postfix/qmgr\\[\\d+\\]: ${id}: from=<sender@example\\.org>, size=\\d+, nrcpt=1 \\(queue active\\)`,
    ),
    new RegExp(
      `postfix/local\\[\\d+\\]: ${id}: to=<alice@mx\\.test\\.example>, relay=local, delay=[\\d.]+, delays=[\\d./]+, dsn=2\\.0\\.0, status=sent \\(delivered to maildir\\)`,
    ),
    new RegExp(`postfix/qmgr\\[\\d+\\]: ${id}: removed`),
  ]) {
    assert.match(log, re);
  }
  const files = await maildirNew(inst, 'alice');
  assert.equal(files.length, 1);
  const text = await readFile(join(inst.mail, 'alice', 'Maildir', 'new', files[0]!), 'utf8');
  assert.match(text, /^Return-Path: <sender@example\.org>\nX-Original-To: alice@mx\.test\.example\n/);

  // A message for another domain stays deferred: mailq shows it (through the daemon's showq).
  const far = spawnSync(
    'swaks',
    ['--server', `127.0.0.1:${inst.port}`, '--from', 'alice@mx.test.example', '--to', 'x@elsewhere.example'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  // Not in mynetworks? 127.0.0.1 is (mynetworks_style = host), so relaying is allowed.
  assert.equal(far.status, 0, far.stdout);
  const farId = /queued as ([0-9A-F]+)/.exec(far.stdout)![1]!;
  await waitForLog(inst, new RegExp(`${farId}: to=<x@elsewhere\\.example>.*status=deferred`));
  const q = tool('mailq', '-C', inst.dir);
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stderr, '', 'mailq reached the running daemon (no "accessing queue directly")');
  assert.match(q.stdout, /^-Queue ID- /);
  assert.match(
    q.stdout,
    new RegExp(
      `^${farId}\\s+\\d+ \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d  alice@mx\\.test\\.example\\n`,
      'm',
    ),
  );
  assert.match(q.stdout, /x@elsewhere\.example/);
  assert.match(q.stdout, /-- \d+ Kbytes in 1 Request\.\n$/);
  // postqueue -f: deferred -> incoming -> another delivery attempt, logged again.
  const before = (await readFile(inst.maillog, 'utf8')).split(`${farId}: to=<x@elsewhere`).length;
  const f = tool('postqueue', '-c', inst.dir, '-f');
  assert.equal(f.status, 0, f.stderr);
  await waitFor('second attempt after postqueue -f', async () =>
    (await readFile(inst.maillog, 'utf8')).split(`${farId}: to=<x@elsewhere`).length > before
      ? true
      : undefined,
  );
  assert.equal(outpost(inst.dir, 'stop').status, 0);
  // After a graceful stop every log line is on disk.
  assert.match(await readFile(inst.maillog, 'utf8'), /postfix\/master\[\d+\]: terminating on signal 15/);
});

test('sendmail while the daemon is down: a maildrop file mailq lists; delivered after outpost start', async () => {
  const inst = await makeInstance();
  instances.push(inst);
  const r = await sendmail(
    ['-C', inst.dir, '-f', 'carol@example.org', 'bob'],
    'Subject: offline\n\nqueued\n',
  );
  assert.equal(r.status, 0, r.stderr);
  const drop = (await readdir(join(inst.queue, 'maildrop'))).filter((n) => !n.startsWith('.'));
  assert.equal(drop.length, 1);
  const q = tool('mailq', '-C', inst.dir);
  assert.match(q.stderr, /Mail system is down -- accessing queue directly/);
  assert.match(q.stdout, new RegExp(`^${drop[0]}!?\\s+\\d+ .* carol@example\\.org\\n\\s+bob\\n`, 'm'));
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const files = await waitFor('delivery to bob', async () => {
    const f = await maildirNew(inst, 'bob');
    return f.length ? f : undefined;
  });
  const text = await readFile(join(inst.mail, 'bob', 'Maildir', 'new', files[0]!), 'utf8');
  assert.match(text, /Subject: offline\n/);
  assert.match(text, /Received: by mx\.test\.example \(Postfix, from userid \d+\)\n\tid [0-9A-F]+; /);
  assert.deepEqual(
    (await readdir(join(inst.queue, 'maildrop'))).filter((n) => !n.startsWith('.')),
    [],
  );
});

test('kill -9 of the whole daemon while clients submit: every 250 is delivered after restart, at most one twice', async () => {
  const inst = await makeInstance();
  instances.push(inst);
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const pid = Number((await readFile(join(inst.queue, 'pid', 'master.pid'), 'utf8')).trim());
  const accepted = new Set<string>();
  let stop = false;
  let n = 0;
  const client = async (): Promise<void> => {
    while (!stop) {
      let s: RawSmtp;
      try {
        s = await RawSmtp.open(inst.port);
      } catch {
        return; // the daemon is gone
      }
      try {
        if (!/^220/.test(await s.reply(5000))) return;
        await s.cmd('HELO crash.test');
        for (let i = 0; i < 5 && !stop; i++) {
          const tag = `m${++n}`;
          if (!/^250/.test(await s.cmd('MAIL FROM:<load@example.org>'))) return;
          if (!/^250/.test(await s.cmd('RCPT TO:<alice@mx.test.example>'))) return;
          if (!/^354/.test(await s.cmd('DATA'))) return;
          const reply = await s.cmd(`Subject: ${tag}\r\n\r\ncrash test ${tag}\r\n.`);
          if (/^250 /.test(reply)) accepted.add(tag);
          else return;
        }
      } catch {
        return;
      } finally {
        s.close();
      }
    }
  };
  const clients = Array.from({ length: 4 }, () => client());
  await waitFor('some accepted', async () => (accepted.size >= 30 ? true : undefined), 30_000);
  // The master runs in its own process group (detached): kill everything at once.
  process.kill(-pid, 'SIGKILL');
  stop = true;
  await Promise.all(clients);
  assert.ok(accepted.size >= 30);
  await waitFor('the killed master to be gone', async () => {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
    return cmd.includes('start-fg') ? undefined : true;
  });
  // Restart: recovery moves active/ back to incoming/ and delivery finishes.
  const restart = outpost(inst.dir, 'start');
  assert.equal(restart.status, 0, restart.stderr);
  const subjects = await waitFor(
    'every accepted message delivered',
    async () => {
      const dir = join(inst.mail, 'alice', 'Maildir', 'new');
      const names = await readdir(dir).catch(() => [] as string[]);
      const found: string[] = [];
      for (const name of names) {
        const m = /^Subject: (m\d+)$/m.exec(await readFile(join(dir, name), 'utf8'));
        if (m) found.push(m[1]!);
      }
      const got = new Set(found);
      return [...accepted].every((t) => got.has(t)) ? found : undefined;
    },
    40_000,
  );
  // Every 250 is delivered. Twice only in one window, as in Postfix: the Maildir file was
  // written but the kill came before the "sent" status record was fsync'd. qmgr delivers one
  // message at a time, so at most one message can be in that window.
  const counts = new Map<string, number>();
  for (const s of subjects) counts.set(s, (counts.get(s) ?? 0) + 1);
  const twice = [...accepted].filter((tag) => counts.get(tag)! > 1);
  assert.ok(twice.length <= 1, `delivered more than once: ${twice.join(', ')}`);
  for (const tag of accepted) assert.ok(counts.get(tag)! <= 2, `${tag} delivered ${counts.get(tag)} times`);
  // And nothing stays behind in the queue.
  await waitFor('queue empty', async () => {
    let n = 0;
    for (const q of ['incoming', 'active', 'deferred', 'maildrop'])
      n += (await readdir(join(inst.queue, q))).filter((x) => !x.startsWith('.')).length;
    return n === 0 ? true : undefined;
  });
});
