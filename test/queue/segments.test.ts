// Queue segments (src/queue/segment-*.ts): messages committed into a shared segment file are
// seen by every queue tool, move between queues by compare-and-set records that any process
// may append, leave the segment as queue files of their own where segments do not go, and
// survive torn appends. Each "process" here is its own QueueStore, as the daemon and
// postsuper would be.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, stat, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { text } from 'node:stream/consumers';
import { QueueStore } from '../../src/queue/queue-store.js';
import { recoverQueue } from '../../src/queue/recovery.js';
import { parseQueueId } from '../../src/queue/queue-id.js';
import { readQueueFile } from '../../src/queue/queue-file.js';
import { SPILL_BYTES } from '../../src/queue/segment-message-writer.js';
import { SegmentIndex } from '../../src/queue/segment-index.js';
import type { QueueName } from '../../src/queue/layout.js';
import { hasCommand, needPeer } from '../helpers/peers.js';

let dir = '';
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-segments-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function settings(queueDirectory: string, segmentCommit: boolean) {
  return { queueDirectory, enableLongQueueIds: false, segmentCommit };
}

/** A fresh queue with a daemon-like store (commits into segments) and a tool-like one. */
async function queue(): Promise<{ q: string; daemon: QueueStore; tool: () => Promise<QueueStore> }> {
  const q = join(dir, `q${++n}`);
  const daemon = await QueueStore.open(settings(q, true));
  return { q, daemon, tool: () => QueueStore.open(settings(q, false), { create: false }) };
}

async function commit(store: QueueStore, body: string, queue: QueueName = 'incoming'): Promise<string> {
  const w = await store.create(
    {
      sender: 'alice@example.com',
      recipients: [{ address: 'bob@example.net' }, { address: 'carol@example.net' }],
      context: { service: 'smtpd', localRewriteContext: false },
    },
    queue,
  );
  const r = w.write(Buffer.from(body));
  if (r !== true) await r;
  return w.commit();
}

const segmentFiles = async (q: string): Promise<string[]> => (await readdir(join(q, 'segment'))).sort();

test('committed messages live in one segment, not in files, and other processes read them', async () => {
  const { q, daemon, tool } = await queue();
  const ids = await Promise.all(
    Array.from({ length: 20 }, (_, i) => commit(daemon, `Subject: ${i}\n\nbody ${i}\n`)),
  );
  const held = await commit(daemon, 'Subject: held\n\nx\n', 'hold');
  assert.equal(new Set(ids).size, 20, 'IDs are unique');
  for (const id of ids) assert.ok(parseQueueId(id), `${id} is a well-formed queue ID`);
  assert.deepEqual(await readdir(join(q, 'incoming')), []);
  assert.deepEqual(await readdir(join(q, 'hold')), []);
  assert.equal((await segmentFiles(q)).length, 2, 'one segment and its state log');

  const other = await tool();
  assert.deepEqual((await other.list('incoming')).sort(), [...ids].sort());
  assert.deepEqual(await other.list('hold'), [held]);
  assert.equal(await other.locate(held), 'hold');
  const s = await other.read('incoming', ids[7]!);
  assert.equal(s.envelope.sender, 'alice@example.com');
  assert.equal(s.size, Buffer.byteLength('Subject: 7\n\nbody 7\n'));
  assert.equal(await text(await other.openContent('incoming', ids[7]!)), 'Subject: 7\n\nbody 7\n');
  await assert.rejects(other.read('hold', ids[7]!), { code: 'ENOENT' });
  await other.close();
  await daemon.close();
});

test('moves are compare-and-set across processes: of two racing moves exactly one wins', async () => {
  const { daemon, tool } = await queue();
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => commit(daemon, `Subject: ${i}\n\nx\n`)));
  const postsuper = await tool();
  const results = await Promise.all(
    ids.flatMap((id) => [postsuper.move(id, 'incoming', 'hold'), daemon.move(id, 'incoming', 'active')]),
  );
  for (let i = 0; i < ids.length; i++) {
    assert.equal(Number(results[2 * i]) + Number(results[2 * i + 1]), 1, `one winner for ${ids[i]}`);
  }
  // Both processes agree on where each message is.
  const view = async (s: QueueStore): Promise<string[]> =>
    [
      ...(await s.list('hold')).map((id) => `hold ${id}`),
      ...(await s.list('active')).map((id) => `active ${id}`),
    ].sort();
  assert.deepEqual(await view(daemon), await view(postsuper));
  assert.equal((await view(daemon)).length, ids.length);
  // A move from a queue the message is no longer in fails, as a rename of a missing file does.
  const [someHeld] = await postsuper.list('hold');
  if (someHeld) assert.equal(await daemon.move(someHeld, 'incoming', 'active'), false);
  await postsuper.close();
  await daemon.close();
});

test('status and expire records, then a move to deferred writes a queue file with them', async () => {
  const { q, daemon, tool } = await queue();
  const id = await commit(daemon, 'Subject: defer me\n\nbody\n');
  assert.equal(await daemon.move(id, 'incoming', 'active'), true);
  await daemon.recordStatus('active', id, [
    { rcpt: 0, status: 'sent', relay: 'local', time: 1 },
    { rcpt: 1, status: 'deferred', dsn: '4.3.0', reason: 'mailbox full', time: 2 },
  ]);
  await daemon.markExpired('active', id);
  const before = await daemon.read('active', id);
  assert.equal(before.statuses.length, 2);
  assert.equal(before.forcedExpire, true);

  assert.equal(await daemon.move(id, 'active', 'deferred'), true);
  assert.deepEqual(await readdir(join(q, 'deferred')), [id], 'a queue file of its own, same ID');
  const file = await readQueueFile(join(q, 'deferred', id));
  assert.deepEqual(file.statuses, before.statuses);
  assert.equal(file.forcedExpire, true);
  assert.equal(await text(await daemon.openContent('deferred', id)), 'Subject: defer me\n\nbody\n');
  const other = await tool();
  assert.equal(await other.locate(id), 'deferred');
  assert.deepEqual(await other.list('active'), []);
  await other.close();
  await daemon.close();
});

test('a segment is deleted once its last message is gone, but never while it is appended to', async () => {
  const { q, daemon } = await queue();
  const a = await commit(daemon, 'Subject: a\n\nx\n');
  assert.equal(await daemon.remove('incoming', a), true);
  assert.equal((await segmentFiles(q)).length, 2, 'the current segment stays');
  assert.equal(await daemon.remove('incoming', a), false, 'already gone');
  await daemon.close(); // seals the segment

  const next = await QueueStore.open(settings(q, true));
  const b = await commit(next, 'Subject: b\n\nx\n');
  assert.equal((await segmentFiles(q)).length, 4, 'a new segment for the new process');
  const report = await recoverQueue(next);
  assert.equal(report.removedSegments, 1, 'recovery deletes the empty old segment');
  assert.equal((await segmentFiles(q)).length, 2);
  assert.deepEqual(await next.list('incoming'), [b]);
  await next.close();
});

test('only the daemon deletes emptied segments, also with segments turned off', async () => {
  const { q, daemon, tool } = await queue();
  const a = await commit(daemon, 'Subject: a\n\nx\n');
  const b = await commit(daemon, 'Subject: b\n\nx\n');
  await daemon.close();
  const postsuper = await tool();
  assert.equal(await postsuper.remove('incoming', a), true);
  await postsuper.close();
  // A daemon started with outpost_queue_segments = no (queue-adapter.ts sets maintainSegments).
  const filesDaemon = await QueueStore.open({ ...settings(q, false), maintainSegments: true });
  const c = await commit(filesDaemon, 'Subject: c\n\nx\n');
  assert.deepEqual(await readdir(join(q, 'incoming')), [c], 'new mail gets queue files');
  assert.deepEqual((await filesDaemon.list('incoming')).sort(), [b, c].sort());
  assert.equal((await segmentFiles(q)).length, 2);
  assert.equal(await filesDaemon.remove('incoming', b), true);
  assert.deepEqual(await segmentFiles(q), [], 'the last segment message gone: segment deleted');
  await filesDaemon.close();
});

test('compaction copies the last messages of a mostly empty old segment out, then deletes it', async () => {
  const { q, daemon, tool } = await queue();
  const ids: string[] = [];
  for (let i = 0; i < 8; i++)
    ids.push(await commit(daemon, `Subject: ${i}\n\n${'z'.repeat(2000)}\n`, 'hold'));
  for (const id of ids.slice(1)) assert.equal(await daemon.remove('hold', id), true);
  assert.equal(await daemon.compactSegments(), 0, 'the segment being appended to is left alone');
  await daemon.close();

  const restarted = await QueueStore.open(settings(q, true));
  await restarted.markExpired('hold', ids[0]!);
  const report = await recoverQueue(restarted); // compacts: 1 of 8 messages left
  assert.equal(report.removedSegments, 0);
  assert.deepEqual(await readdir(join(q, 'hold')), [ids[0]], 'now a queue file of its own');
  assert.deepEqual(await segmentFiles(q), [], 'the emptied segment is deleted');
  const other = await tool();
  assert.deepEqual(await other.list('hold'), [ids[0]]);
  assert.equal((await other.read('hold', ids[0]!)).forcedExpire, true);
  await other.close();
  await restarted.close();
});

test('a torn state record is ignored and does not swallow the next one', async () => {
  const { q, daemon, tool } = await queue();
  const id = await commit(daemon, 'Subject: a\n\nx\n');
  const [, state] = await segmentFiles(q);
  // What a crash in the middle of another process's append leaves: no " ." and no "\n".
  await appendFile(join(q, 'segment', state!), `\nmove ${id} incoming hold 1-dead.1`);
  const postsuper = await tool();
  assert.equal(await postsuper.move(id, 'incoming', 'hold'), true, 'the next record applies');
  assert.deepEqual(await daemon.list('hold'), [id]);
  assert.match(await readFile(join(q, 'segment', state!), 'utf8'), /1-dead\.1\nmove /);
  await postsuper.close();
  await daemon.close();
});

test('a message cut short at the end of a segment was never acknowledged and is not seen', async () => {
  const { q, daemon, tool } = await queue();
  const id = await commit(daemon, 'Subject: whole\n\nx\n');
  await daemon.close();
  const [seg] = await segmentFiles(q);
  await appendFile(
    join(q, 'segment', seg!),
    'message 5A40820C94300000009 incoming 900\nOUTPOST-QUEUE 1\nsize=',
  );
  const other = await tool();
  assert.deepEqual(await other.list('incoming'), [id]);
  const report = await recoverQueue(other);
  assert.deepEqual(report.corrupt, []);
  await other.close();
});

test('damage inside a segment is reported by recovery, and the segment is kept', async () => {
  const { q, daemon, tool } = await queue();
  await commit(daemon, 'Subject: one\n\nx\n');
  await daemon.close();
  const [seg] = await segmentFiles(q);
  await appendFile(join(q, 'segment', seg!), 'garbage that is not a record\n'.repeat(40));
  const other = await tool();
  const warnings: string[] = [];
  const log = { warn: (_s: string, t: string) => warnings.push(t), info: () => undefined };
  await recoverQueue(other, log as never);
  assert.ok(
    warnings.some((w) => /queue segment .* is damaged/.test(w)),
    warnings.join('\n'),
  );
  assert.equal((await other.list('incoming')).length, 1, 'messages before the damage are still there');
  assert.ok((await segmentFiles(q)).includes(seg!));
  await other.close();
});

test('after a crash during a copy out, recovery keeps the queue file and drops the segment copy', async () => {
  const { q, daemon, tool } = await queue();
  const id = await commit(daemon, 'Subject: twice\n\nx\n', 'hold');
  await daemon.close();
  // The copy is durable in deferred/ but the segment's "gone" record never made it.
  const other = await tool();
  const image = await text(await other.openContent('hold', id));
  assert.equal(image, 'Subject: twice\n\nx\n');
  const s = await other.read('hold', id);
  const seg = (await segmentFiles(q))[0]!;
  const raw = await readFile(join(q, 'segment', seg));
  const start = raw.indexOf('OUTPOST-QUEUE 1\n');
  await writeFile(join(q, 'deferred', id), raw.subarray(start, start + s.contentOffset + s.size + 4));
  const warnings: string[] = [];
  const log = { warn: (_s: string, t: string) => warnings.push(t), info: () => undefined };
  await recoverQueue(other, log as never);
  assert.deepEqual(await other.list('hold'), []);
  assert.deepEqual(await other.list('deferred'), [id]);
  assert.ok(
    warnings.some((w) => w.includes(`${id}: kept the queue file`)),
    warnings.join('\n'),
  );
  await other.close();
});

test('a message larger than the spill size goes to a queue file of its own, same ID', async () => {
  const { q, daemon, tool } = await queue();
  const big =
    'Subject: big\n\n' +
    'y'
      .repeat(76)
      .concat('\n')
      .repeat(Math.ceil((SPILL_BYTES * 1.5) / 77));
  const w = await daemon.create({
    sender: 'a@example.com',
    recipients: [{ address: 'b@example.net' }],
    context: { service: 'smtpd', localRewriteContext: false },
  });
  for (let off = 0; off < big.length; off += 65536) {
    const r = w.write(Buffer.from(big.slice(off, off + 65536)));
    if (r !== true) await r;
  }
  const id = await w.commit();
  assert.deepEqual(await readdir(join(q, 'incoming')), [id]);
  const other = await tool();
  assert.equal(await text(await other.openContent('incoming', id)), big);
  await other.close();
  await daemon.close();
});

test('disk full: the batch is refused and cut off, the acknowledged messages stay', async (t) => {
  if (process.platform !== 'linux') return t.skip('Linux tmpfs');
  const mnt = join(dir, `small${++n}`);
  await mkdir(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
  if (!needPeer(t, 'a small tmpfs to fill (mount, as root)', m.status === 0)) return;
  try {
    const q = join(mnt, 'q');
    const daemon = await QueueStore.open(settings(q, true));
    const acked: string[] = [];
    let failure: NodeJS.ErrnoException | undefined;
    for (let i = 0; i < 100 && !failure; i++) {
      try {
        acked.push(await commit(daemon, `Subject: ${i}\n\n${'f'.repeat(8000)}\n`));
      } catch (err) {
        failure = err as NodeJS.ErrnoException;
      }
    }
    assert.equal(failure?.code, 'ENOSPC');
    assert.ok(acked.length > 5);
    await daemon.close();
    const other = await QueueStore.open(settings(q, false), { create: false });
    assert.deepEqual(
      (await other.list('incoming')).sort(),
      [...acked].sort(),
      'exactly the acknowledged ones',
    );
    const report = await recoverQueue(other, {
      warn: (_s: string, w: string) => assert.fail(w),
      info: () => undefined,
    } as never);
    assert.deepEqual(report.corrupt, []);
    await other.close();
    // Nothing of the refused batch is left behind the last acknowledged message.
    const index = new SegmentIndex(join(q, 'segment'));
    await index.refresh();
    for (const seg of index.all()) assert.equal(seg.dataScanned, (await stat(seg.path)).size, seg.path);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('Linux segment commit: the batch is written, then fdatasync, then the commits resolve', async (t) => {
  if (process.platform !== 'linux') return t.skip('Linux-specific commit order');
  if (!needPeer(t, 'strace', hasCommand('strace', ['-V']))) return;
  const q = join(dir, `q${++n}`);
  const storeModule = fileURLToPath(new URL('../../src/queue/queue-store.js', import.meta.url));
  const script = join(dir, 'segment-commit.mjs');
  await writeFile(
    script,
    `import { writeSync } from 'node:fs';
import { QueueStore } from ${JSON.stringify(storeModule)};
const store = await QueueStore.open({ queueDirectory: ${JSON.stringify(q)}, enableLongQueueIds: false, segmentCommit: true });
const ids = await Promise.all([1, 2, 3].map(async (i) => {
  const w = await store.create({ sender: 'a@example.com', recipients: [{ address: 'b@example.com' }] });
  w.write(Buffer.from('Subject: ' + i + '\\n\\nMARKER' + i + '\\n'));
  return w.commit();
}));
writeSync(1, 'COMMITTED ' + ids.join(' '));
await store.close();
`,
  );
  const r = spawnSync(
    'strace',
    [
      '-f',
      '-qq',
      '-e',
      'trace=openat,pwrite64,write,fdatasync,fsync',
      '-s',
      '4096',
      process.execPath,
      script,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.split('\n');
  const opened = lines
    .map((l) => /openat\(.*\/segment\/[0-9a-f]{12}-\d+", O_RDWR.* = (\d+)$/.exec(l))
    .find(Boolean);
  assert.ok(opened, `segment not opened for appending:\n${r.stderr}`);
  const fd = opened[1];
  const ackAt = lines.findIndex((l) => l.includes('COMMITTED'));
  assert.ok(ackAt >= 0, r.stderr);
  for (const i of [1, 2, 3]) {
    const writeAt = lines.findIndex(
      (l) => new RegExp(`pwrite64\\(${fd},`).test(l) && l.includes(`MARKER${i}`),
    );
    assert.ok(writeAt >= 0, `no write of message ${i}:\n${r.stderr}`);
    const syncAt = lines.findIndex((l, j) => j > writeAt && new RegExp(`fdatasync\\(${fd}\\) += 0`).test(l));
    assert.ok(syncAt > writeAt, `no fdatasync after message ${i} was written:\n${r.stderr}`);
    assert.ok(ackAt > syncAt, `commit resolved before message ${i} was synced:\n${r.stderr}`);
  }
  // The first commit goes out at once; the two that arrive while it is on its way share the
  // next write and fdatasync (group commit).
  const shared = lines.filter(
    (l) => new RegExp(`pwrite64\\(${fd},`).test(l) && l.includes('MARKER2') && l.includes('MARKER3'),
  );
  assert.equal(shared.length, 1, `messages 2 and 3 in one write:\n${r.stderr}`);
});
