// The on-disk queue: commit durability order, group commit, state moves, status records,
// corrupt-file detection and start-up recovery.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { QueueStore } from '../../src/queue/queue-store.js';
import { recoverQueue } from '../../src/queue/recovery.js';
import { CorruptQueueFileError, pendingRecipients } from '../../src/queue/queue-file.js';
import { activateMessage, queueActiveLogText, removeFinishedMessage } from '../../src/queue/qmgr-log.js';
import { listQueue } from '../../src/queue/queue-listing.js';
import { DirectorySyncer } from '../../src/queue/group-commit.js';
import { flushMailLogs, MailLog } from '../../src/log/maillog.js';
import { parseQueueId } from '../../src/queue/queue-id.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-queue-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function freshStore(long = false, directoryFsyncOnCommit?: boolean): Promise<QueueStore> {
  return QueueStore.open({
    queueDirectory: join(dir, `q${++n}`),
    enableLongQueueIds: long,
    directoryFsyncOnCommit,
  });
}

const envelope = {
  sender: 'alice@example.com',
  recipients: [
    { address: 'bob@example.net', orcpt: 'rfc822;bob@example.net', notify: ['FAILURE'] },
    { address: 'carol@example.net' },
  ],
  ret: 'HDRS' as const,
  envid: 'ENV1',
  context: {
    service: 'smtpd',
    localRewriteContext: false,
    clientName: 'c.example',
    clientAddress: '192.0.2.5',
  },
};

async function commitMessage(store: QueueStore, content: string): Promise<string> {
  const w = await store.create(envelope);
  await w.write(Buffer.from(content));
  return w.commit();
}

test('commit writes the file under its queue ID; the ID encodes the file inode', async () => {
  const store = await freshStore();
  const id = await commitMessage(store, 'Subject: x\n\nhello\n');
  assert.deepEqual(await store.list('incoming'), [id]);
  assert.deepEqual(await readdir(join(store.directory, 'tmp')), []);
  const st = await stat(store.path('incoming', id), { bigint: true });
  assert.equal(parseQueueId(id)?.inode, st.ino);
  const s = await store.read('incoming', id);
  assert.equal(s.size, 18);
  assert.deepEqual(s.envelope.recipients, envelope.recipients);
  assert.equal(s.envelope.envid, 'ENV1');
  assert.equal(await text(await store.openContent('incoming', id)), 'Subject: x\n\nhello\n');
  await store.close();
  const longStore = await freshStore(true);
  assert.equal(parseQueueId(await commitMessage(longStore, 'x\n'))?.long, true);
  await longStore.close();
});

test('with directory fsync on (the default off Linux), commit resolves only after it', async () => {
  const store = await freshStore(false, true);
  const syncer = store.syncer('incoming');
  const events: string[] = [];
  const realSync = syncer.sync.bind(syncer);
  syncer.sync = async () => {
    events.push('dir-fsync-start');
    await new Promise((r) => setTimeout(r, 150));
    await realSync();
    events.push('dir-fsync-done');
  };
  const w = await store.create(envelope);
  w.write(Buffer.from('x\n'));
  const id = await w.commit().then((v) => (events.push('resolved'), v));
  assert.deepEqual(events, ['dir-fsync-start', 'dir-fsync-done', 'resolved']);
  assert.ok(id);
  await store.close();
});

test('group commit: many concurrent commits share directory fsyncs', async () => {
  const store = await freshStore(false, true);
  const ids = await Promise.all(Array.from({ length: 50 }, (_v, i) => commitMessage(store, `m${i}\n`)));
  assert.equal(new Set(ids).size, 50);
  const syncs = store.syncer('incoming').syncCount;
  assert.ok(syncs < 50, `expected fewer than 50 directory fsyncs, got ${syncs}`);
  await store.close();
});

test('DirectorySyncer: a caller arriving during an fsync waits for the next one', async () => {
  const d = new DirectorySyncer(dir);
  const first = d.sync();
  const second = d.sync();
  const third = d.sync();
  assert.notEqual(first, second);
  assert.equal(second, third, 'callers during one fsync share the next');
  await Promise.all([first, second, third]);
  assert.equal(d.syncCount, 2);
  await d.close();
});

test('large content is streamed to disk in pieces and read back intact (size patched in place)', async () => {
  const store = await freshStore();
  const w = await store.create(envelope);
  const piece = Buffer.alloc(50000, 0x62);
  for (let i = 0; i < 10; i++) await w.write(piece);
  const id = await w.commit();
  const s = await store.read('incoming', id);
  assert.equal(s.size, 500000);
  assert.equal((await text(await store.openContent('incoming', id))).length, 500000);
  await store.close();
});

test('moves between states, status records, expiry flag, deletion, qmgr log line', async () => {
  const store = await freshStore();
  const id = await commitMessage(store, 'Subject: x\n\nhi\n');
  const log = join(dir, `maillog${n}`);
  const summary = await activateMessage(store, id, 'incoming', new MailLog({ file: log, host: 'pc' }));
  assert.ok(summary);
  assert.match(
    await flushMailLogs().then(() => readFile(log, 'utf8')),
    new RegExp(
      `postfix/qmgr\\[\\d+\\]: ${id}: from=<alice@example.com>, size=15, nrcpt=2 \\(queue active\\)\\n$`,
    ),
  );
  await store.recordStatus('active', id, [
    { rcpt: 0, status: 'sent', dsn: '2.0.0', time: 1 },
    { rcpt: 1, status: 'deferred', dsn: '4.4.1', reason: 'connect to x: Connection refused', time: 2 },
  ]);
  assert.equal(await store.move(id, 'active', 'deferred'), true);
  const s = await store.read('deferred', id);
  assert.deepEqual(pendingRecipients(s), [1]);
  assert.equal(queueActiveLogText(id, s), `${id}: from=<alice@example.com>, size=15, nrcpt=1 (queue active)`);
  await store.markExpired('deferred', id);
  const listed = [];
  for await (const e of listQueue(store)) listed.push(e);
  assert.deepEqual(listed[0]?.recipients, [
    { address: 'carol@example.net', reason: 'connect to x: Connection refused' },
  ]);
  assert.equal(listed[0]?.forcedExpire, true);
  assert.equal(await store.locate(id), 'deferred');
  assert.equal(
    await removeFinishedMessage(store, 'deferred', id, new MailLog({ file: log, host: 'pc' })),
    true,
  );
  assert.match(
    await flushMailLogs().then(() => readFile(log, 'utf8')),
    new RegExp(`postfix/qmgr\\[\\d+\\]: ${id}: removed\\n$`),
  );
  assert.equal(await store.remove('deferred', id), false);
  assert.equal(await store.move(id, 'deferred', 'active'), false);
  await store.close();
});

test('corrupt files are detected with a reason', async () => {
  const store = await freshStore();
  const id = await commitMessage(store, 'Subject: x\n\nhello\n');
  const path = store.path('incoming', id);
  const good = await readFile(path);
  await writeFile(path, good.subarray(0, good.length - 6));
  await assert.rejects(
    store.read('incoming', id),
    (e: unknown) => e instanceof CorruptQueueFileError && /shorter|end marker/.test(e.detail),
  );
  await writeFile(path, 'garbage\n');
  await assert.rejects(store.read('incoming', id), CorruptQueueFileError);
  await store.close();
});

test('recovery: temp files removed, active back to incoming, corrupt files quarantined with a log line', async () => {
  const store = await freshStore();
  const kept = await commitMessage(store, 'a\n');
  const wasActive = await commitMessage(store, 'b\n');
  await store.move(wasActive, 'incoming', 'active');
  const broken = await commitMessage(store, 'c\n');
  await writeFile(store.path('incoming', broken), 'OUTPOST-QUEUE 1\nsize=000000000000099\n');
  const unfinished = await store.create(envelope); // a commit that never finished
  unfinished.write(Buffer.alloc(100000, 0x61));
  await writeFile(join(store.directory, 'deferred', 'not-an-id'), 'x');
  const logPath = join(dir, `recovery${n}.log`);
  const report = await recoverQueue(store, new MailLog({ file: logPath, host: 'pc' }));
  await unfinished.abort(); // only closes the descriptor: recovery already removed the file
  assert.equal(report.removedTemp, 1);
  assert.deepEqual(report.reactivated, [wasActive]);
  assert.deepEqual(report.corrupt.map((c) => c.id).sort(), [broken, 'not-an-id'].sort());
  assert.deepEqual((await store.list('incoming')).sort(), [kept, wasActive].sort());
  assert.deepEqual((await readdir(join(store.directory, 'corrupt'))).sort(), [broken, 'not-an-id'].sort());
  assert.deepEqual(await readdir(join(store.directory, 'tmp')), []);
  const log = await flushMailLogs().then(() => readFile(logPath, 'utf8'));
  assert.match(
    log,
    new RegExp(
      `postfix/qmgr\\[\\d+\\]: warning: saving corrupt file "${broken}" from queue "incoming" to queue "corrupt"`,
    ),
  );
  await store.close();
});
