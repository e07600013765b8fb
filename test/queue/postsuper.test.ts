// postsuper -p (stale temp files) and -s (names that no longer match the inode), which the
// Postfix differential test cannot set up; the common operations are in postfix-oracle.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { postsuperMain } from '../../src/cli/postsuper.js';
import { QueueStore } from '../../src/queue/queue-store.js';
import { parseQueueId } from '../../src/queue/queue-id.js';
import type { ToolIO } from '../../src/cli/tool-io.js';

let dir = '';
let conf = '';
let queueDirectory = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-postsuper-'));
  conf = join(dir, 'etc');
  queueDirectory = join(dir, 'spool');
  await mkdir(conf);
  await writeFile(
    join(conf, 'main.cf'),
    `queue_directory = ${queueDirectory}\nmaillog_file = ${join(dir, 'maillog')}\n`,
  );
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function postsuper(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: ToolIO = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([]),
    env: {},
  };
  const code = await postsuperMain(['-c', conf, ...args], io);
  return { code, stderr };
}

test('postsuper -p removes temp files older than an hour and keeps younger ones', async () => {
  const store = await QueueStore.open({ queueDirectory, enableLongQueueIds: false });
  await writeFile(join(queueDirectory, 'tmp', 'old'), 'x');
  await writeFile(join(queueDirectory, 'tmp', 'young'), 'x');
  const past = new Date(Date.now() - 2 * 3600_000);
  await utimes(join(queueDirectory, 'tmp', 'old'), past, past);
  assert.deepEqual(await postsuper(['-p']), { code: 0, stderr: '' });
  assert.deepEqual(await readdir(join(queueDirectory, 'tmp')), ['young']);
  await unlink(join(queueDirectory, 'tmp', 'young'));
  await store.close();
});

test('postsuper -s renames a restored file to match its new inode', async () => {
  const store = await QueueStore.open({ queueDirectory, enableLongQueueIds: false });
  const w = await store.create({
    sender: 'a@b',
    recipients: [{ address: 'c@d' }],
    context: { service: 't', localRewriteContext: false },
  });
  w.write(Buffer.from('x\n'));
  const id = await w.commit();
  // A restore from backup: same name, new inode.
  // (The copy is made while the original exists, so it cannot reuse the original's inode.)
  await copyFile(store.path('incoming', id), join(queueDirectory, 'copy'));
  await rename(join(queueDirectory, 'copy'), store.path('incoming', id));
  const r = await postsuper(['-s']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, 'postsuper: Renamed to match inode number: 1 message\n');
  const [renamed] = await store.list('incoming');
  assert.notEqual(renamed, id);
  assert.equal(renamed!.slice(0, 5), id.slice(0, 5), 'time digits kept');
  assert.ok(parseQueueId(renamed!));
  assert.deepEqual(await postsuper([]), { code: 0, stderr: '' }, 'nothing left to fix');
  await store.close();
});
