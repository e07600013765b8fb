// Crash behaviour: a message left in active/ (master killed mid-delivery) is delivered after
// the next start; a master killed with SIGKILL leaves no root helper behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeInstance,
  outpost,
  sendmail,
  waitFor,
  waitForLog,
  maildirNew,
  type TestInstance,
} from './helpers.js';
import { QueueStore } from '../../src/queue/queue-store.js';

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) await i.cleanup();
});

const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

for (const segments of ['yes', 'no']) {
  test(`a message in active after a crash goes back through incoming and is delivered (outpost_queue_segments = ${segments})`, async () => {
    const inst = await makeInstance({ noSmtp: true, main: `outpost_queue_segments = ${segments}` });
    instances.push(inst);
    // No qmgr in master.cf: pickup queues the message, nobody delivers it.
    const master = (await readFile(join(inst.dir, 'master.cf'), 'utf8')).replace(/^qmgr .*$/m, '');
    await writeFile(join(inst.dir, 'master.cf'), master);
    assert.equal(outpost(inst.dir, 'start').status, 0);
    assert.equal((await sendmail(['-C', inst.dir, 'bob'], 'Subject: crash\n\nx\n')).status, 0);
    const settings = { queueDirectory: inst.queue, enableLongQueueIds: false };
    const [id] = await waitFor('incoming message', async () => {
      const store = await QueueStore.open(settings, { create: false });
      const ids = await store.list('incoming');
      await store.close();
      return ids.length ? ids : undefined;
    });
    assert.equal(
      (await readdir(join(inst.queue, 'incoming'))).includes(id!),
      segments === 'no',
      'a queue file of its own only without segments',
    );
    assert.equal(outpost(inst.dir, 'stop').status, 0);
    // What a crash in the middle of a delivery leaves behind: the queue manager's move.
    const store = await QueueStore.open(settings, { create: false });
    assert.equal(await store.move(id!, 'incoming', 'active'), true);
    assert.deepEqual(await store.list('active'), [id]);
    await store.close();
    await appendFile(join(inst.dir, 'master.cf'), 'qmgr unix n - n 300 1 qmgr\n');
    assert.equal(outpost(inst.dir, 'start').status, 0);
    await waitForLog(inst, new RegExp(`qmgr\\[\\d+\\]: ${id}: removed`));
    assert.equal((await maildirNew(inst, 'bob')).length, 1);
    const after = await QueueStore.open(settings, { create: false });
    assert.deepEqual(await after.list('active'), []);
    assert.deepEqual(await after.list('incoming'), []);
    await after.close();
  });
}

test(
  'SIGKILL of a root-started master leaves no root helper running',
  { skip: process.getuid?.() !== 0 && 'needs root' },
  async () => {
    const inst = await makeInstance({ noSmtp: true });
    instances.push(inst);
    assert.equal(outpost(inst.dir, 'start').status, 0);
    const pid = Number((await readFile(join(inst.queue, 'pid', 'master.pid'), 'utf8')).trim());
    const children = execFileSync('ps', ['-o', 'pid=,user=,args=', '--ppid', String(pid)], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .filter((l) => l.includes('--root-helper'));
    assert.equal(children.length, 1, 'exactly one root helper');
    const [helperPid, user] = children[0]!.trim().split(/\s+/);
    assert.equal(user, 'root');
    process.kill(pid, 'SIGKILL');
    await waitFor('master gone', async () => (gone(pid) ? true : undefined));
    await waitFor('root helper gone', async () => (gone(Number(helperPid)) ? true : undefined), 5000);
    // The stale PID file does not block the next start.
    assert.equal(outpost(inst.dir, 'status').status, 1);
    assert.equal(outpost(inst.dir, 'start').status, 0);
  },
);
