// Crash safety: a child process commits messages concurrently and is killed with SIGKILL at a
// random moment; after recovery every message whose commit resolved (reported before the
// kill) is present exactly once and byte-for-byte intact, and no partial message is visible.
// (SIGKILL keeps the page cache, so this checks atomicity and ordering, not the fsyncs; the
// fsync ordering is checked in queue-store.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { text } from 'node:stream/consumers';
import { QueueStore } from '../../src/queue/queue-store.js';
import { recoverQueue } from '../../src/queue/recovery.js';
import { expectedContent } from './fixtures/crash-content.js';

const child = fileURLToPath(new URL('./fixtures/crash-child.js', import.meta.url));
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-crash-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runAndKill(
  queueDir: string,
  start: number,
  killAfterMs: number,
  mode: string,
): Promise<Map<string, number>> {
  const proc = spawn(process.execPath, [child, queueDir, String(start), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // Wait until the child has committed something, then kill it at a random later moment.
  let exited = false;
  proc.once('exit', () => (exited = true));
  await new Promise<void>((resolve) => {
    const check = (): void => {
      if (out.includes('\n') || exited) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
  assert.equal(exited, false, 'the writer child must not die on its own');
  await new Promise((r) => setTimeout(r, killAfterMs));
  proc.kill('SIGKILL');
  await new Promise((r) => proc.once('close', r));
  const acked = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^(\S+) (\d+)$/.exec(line);
    if (m) acked.set(m[1]!, Number(m[2]));
  }
  return acked;
}

for (const mode of ['files', 'segments']) {
  test(
    `kill -9 during concurrent commits loses no acknowledged message and exposes no partial one (${mode})`,
    { timeout: 60000 },
    async () => {
      const queueDirectory = join(dir, `queue-${mode}`);
      const allAcked = new Map<string, number>();
      for (let round = 0; round < 4; round++) {
        const acked = await runAndKill(
          queueDirectory,
          round * 1_000_000,
          100 + Math.floor(Math.random() * 600),
          mode,
        );
        assert.ok(acked.size > 0, 'the child committed something before the kill');
        for (const [id, i] of acked) allAcked.set(id, i);

        const store = await QueueStore.open({ queueDirectory, enableLongQueueIds: false });
        const report = await recoverQueue(store);
        assert.deepEqual(report.corrupt, [], 'no half-written file is ever visible in incoming');
        assert.deepEqual(await readdir(join(queueDirectory, 'tmp')), [], 'interrupted commits are removed');

        const present = await store.list('incoming');
        const byIndex = new Map<number, number>();
        for (const id of present) {
          const s = await store.read('incoming', id);
          const index = Number(s.envelope.envid);
          byIndex.set(index, (byIndex.get(index) ?? 0) + 1);
          // Every visible message is complete, acknowledged or not (its commit may have finished
          // between the rename and the report).
          const content = await text(await store.openContent('incoming', id));
          assert.ok(content === expectedContent(index).toString(), `message ${index} (${id}) is intact`);
        }
        for (const [id, index] of allAcked) {
          assert.ok(present.includes(id), `acknowledged message ${index} (${id}) survived round ${round}`);
          assert.equal(byIndex.get(index), 1, `message ${index} is present exactly once`);
        }
        await store.close();
      }
    },
  );
}
