// An smtpd access table HOLD action, end to end in the daemon: the message is acknowledged
// with 250 only once it is durable in hold/, postqueue -p shows it with "!", the queue manager
// leaves it alone, it survives a restart, and postsuper -H releases it for delivery.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeInstance,
  outpost,
  root,
  waitFor,
  waitForLog,
  maildirNew,
  type TestInstance,
} from './helpers.js';
import { dialogue } from '../smtpd/smtp-dialogue.js';
import { QueueStore } from '../../src/queue/queue-store.js';

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) await i.cleanup();
});

function tool(name: string, dir: string, ...args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', name), '-c', dir, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout };
}

test('HOLD from check_sender_access: held in hold/, shown with "!", kept across a restart, released by postsuper -H', async () => {
  const inst = await makeInstance({
    main: 'smtpd_sender_restrictions = check_sender_access texthash:$config_directory/sender_access',
  });
  instances.push(inst);
  await writeFile(join(inst.dir, 'sender_access'), 'suspect@example.com HOLD\n');
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const replies = await dialogue({ host: '127.0.0.1', port: inst.port }, [
    'EHLO client.example',
    'MAIL FROM:<suspect@example.com>',
    'RCPT TO:<bob@mx.test.example>',
    'DATA',
    'Subject: held\r\n\r\nwait for review\r\n.',
    'QUIT',
  ]);
  const queued = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(replies[5]!);
  assert.ok(queued, replies.join('\n'));
  const id = queued[1]!;
  // Durable in hold when the 250 was sent (in a queue segment: outpost_queue_segments is on
  // by default); never in incoming (the queue manager's input).
  const store = await QueueStore.open(
    { queueDirectory: inst.queue, enableLongQueueIds: false },
    { create: false },
  );
  assert.deepEqual(await store.list('hold'), [id]);
  assert.deepEqual(await store.list('incoming'), []);
  assert.deepEqual(await readdir(join(inst.queue, 'hold')), [], 'no queue file of its own');
  await store.close();
  await waitForLog(
    inst,
    /NOQUEUE: hold: RCPT from .*<suspect@example\.com>: Sender address triggers HOLD action/,
  );
  const listing = tool('postqueue', inst.dir, '-p');
  assert.equal(listing.status, 0);
  assert.match(listing.stdout, new RegExp(`^${id}!\\s+\\d+ .* suspect@example\\.com$`, 'm'));

  assert.equal(outpost(inst.dir, 'stop').status, 0);
  assert.equal(outpost(inst.dir, 'start').status, 0);
  assert.match(tool('postqueue', inst.dir, '-p').stdout, new RegExp(`^${id}!`, 'm'));
  assert.deepEqual(await maildirNew(inst, 'bob'), []);

  assert.equal(tool('postsuper', inst.dir, '-H', id).status, 0);
  tool('postqueue', inst.dir, '-f');
  await waitFor('delivery after release', async () =>
    (await maildirNew(inst, 'bob')).length === 1 ? true : undefined,
  );

  // Two more held messages while the daemon runs: postsuper -r sends one back through pickup
  // and cleanup (postsuper nudges pickup, so it is delivered at once), postsuper -d deletes
  // the other.
  const held: string[] = [];
  for (const subject of ['requeue me', 'delete me']) {
    const r = await dialogue({ host: '127.0.0.1', port: inst.port }, [
      'EHLO client.example',
      'MAIL FROM:<suspect@example.com>',
      'RCPT TO:<bob@mx.test.example>',
      'DATA',
      `Subject: ${subject}\r\n\r\nx\r\n.`,
      'QUIT',
    ]);
    held.push(/^250 2\.0\.0 Ok: queued as (\S+)$/.exec(r[5]!)![1]!);
  }
  const postsuper = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin', 'postsuper'), '-c', inst.dir, ...args], {
      encoding: 'utf8',
    });
  const requeue = postsuper('-r', held[0]!);
  assert.equal(requeue.status, 0);
  assert.equal(requeue.stderr, `postsuper: ${held[0]}: requeued\npostsuper: Requeued: 1 message\n`);
  const del = postsuper('-d', held[1]!);
  assert.equal(del.stderr, `postsuper: ${held[1]}: removed\npostsuper: Deleted: 1 message\n`);
  await waitFor('delivery after requeue', async () =>
    (await maildirNew(inst, 'bob')).length === 2 ? true : undefined,
  );
  assert.match(tool('postqueue', inst.dir, '-p').stdout, /^Mail queue is empty$/m);
  assert.equal(outpost(inst.dir, 'stop').status, 0);
});
