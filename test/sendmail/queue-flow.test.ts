// Through the running daemon: remote recipients are deferred with a reason and listed by
// sendmail -bp, `outpost flush` retries them, an unknown local user bounces and the sender
// gets a non-delivery notification; newaliases builds the alias database.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeInstance,
  root,
  outpost,
  sendmail,
  waitFor,
  waitForLog,
  maildirNew,
  logText,
  type TestInstance,
} from '../daemon/helpers.js';

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) await i.cleanup();
});

test('deferred remote mail: reason, mailq listing, flush retries; unknown user bounces to the sender', async () => {
  const inst = await makeInstance({ noSmtp: true });
  instances.push(inst);
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const r = await sendmail(
    ['-C', inst.dir, '-f', 'alice@mx.test.example', 'friend@remote.example', 'ghost@localhost'],
    'Subject: mixed\n\nhello\n',
  );
  assert.equal(r.status, 0, r.stderr);
  const log = await waitForLog(
    inst,
    /postfix\/bounce\[\d+\]: [0-9A-F]+: sender non-delivery notification: [0-9A-F]+/,
  );
  const id = /postfix\/pickup\[\d+\]: ([0-9A-F]+): uid=\d+ from=<alice@mx\.test\.example>/.exec(log)![1]!;
  assert.match(
    log,
    new RegExp(
      `qmgr\\[\\d+\\]: ${id}: to=<friend@remote\\.example>, relay=none, delay=[\\d.]+, delays=[\\d./]+, dsn=4\\.3\\.0, status=deferred \\(mail transport unavailable\\)`,
    ),
  );
  assert.match(
    log,
    new RegExp(
      `local\\[\\d+\\]: ${id}: to=<ghost@localhost>, relay=local, .*dsn=5\\.1\\.1, status=bounced \\(unknown user: "ghost"\\)`,
    ),
  );
  await waitFor('deferred file', async () =>
    (await readdir(join(inst.queue, 'deferred'))).includes(id) ? true : undefined,
  );

  const bounce = await waitFor('bounce in alice Maildir', async () => {
    for (const n of await maildirNew(inst, 'alice')) {
      const text = await readFile(join(inst.mail, 'alice', 'Maildir', 'new', n), 'utf8');
      if (text.includes('Undelivered Mail Returned to Sender')) return text;
    }
    return undefined;
  });
  assert.match(bounce, /^Return-Path: <>\n/);
  assert.match(bounce, /Content-Type: multipart\/report; report-type=delivery-status;/);
  assert.match(bounce, /<ghost@localhost>: unknown user: "ghost"/);
  assert.match(bounce, /Final-Recipient: rfc822; ghost@localhost\nAction: failed\nStatus: 5\.1\.1/);

  const q = await sendmail(['-C', inst.dir, '-bp'], '');
  assert.equal(q.status, 0);
  assert.match(q.stdout, /^-Queue ID- {2}--Size-- ----Arrival Time---- -Sender\/Recipient-------\n/);
  assert.match(
    q.stdout,
    new RegExp(`\\n${id} +\\d+ \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d  alice@mx\\.test\\.example\\n`),
  );
  assert.match(q.stdout, / {41}friend@remote\.example\n/);
  assert.match(q.stdout, /-- \d+ Kbytes in 1 Request\.\n$/);

  const before = ((await logText(inst)).match(/status=deferred \(mail transport unavailable\)/g) ?? [])
    .length;
  assert.equal(outpost(inst.dir, 'flush').status, 0);
  await waitFor('second attempt', async () => {
    const n = ((await logText(inst)).match(/status=deferred \(mail transport unavailable\)/g) ?? []).length;
    return n > before ? true : undefined;
  });
  assert.equal((await sendmail(['-C', inst.dir, '-q'], '')).status, 0);
});

test("newaliases: builds $alias_database with postalias; errors are postalias's", async () => {
  const inst = await makeInstance({ noSmtp: true });
  instances.push(inst);
  const main = await readFile(join(inst.dir, 'main.cf'), 'utf8');
  await writeFile(join(inst.dir, 'main.cf'), main + `alias_database = lmdb:${inst.dir}/aliases\n`);
  await writeFile(join(inst.dir, 'aliases'), 'Good: alice,\n  bob\nbad line\n');
  const ok = await sendmail(['-C', inst.dir, '-bi'], '');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stderr, `postalias: warning: ${inst.dir}/aliases, line 3: need name:value pair\n`);
  const q = spawnSync(
    join(root, 'bin', 'postalias'),
    ['-c', inst.dir, '-q', 'GOOD', `lmdb:${inst.dir}/aliases`],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(q.stdout, 'alice, bob\n');

  await writeFile(join(inst.dir, 'main.cf'), main + `alias_database = hash:${inst.dir}/missing\n`);
  const bad = await sendmail(['-C', inst.dir, '-I'], '');
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, `postalias: fatal: open ${inst.dir}/missing: No such file or directory\n`);

  await writeFile(join(inst.dir, 'main.cf'), main + 'alias_database =\n');
  const none = await sendmail(['-C', inst.dir, '-bi'], '');
  assert.deepEqual([none.status, none.stderr], [0, '']);
  const withRecipient = await sendmail(['-C', inst.dir, '-bi', 'x@y'], '');
  assert.equal(withRecipient.status, 75);
  assert.match(withRecipient.stderr, /sendmail: fatal: alias initialization mode requires no recipient/);
});
