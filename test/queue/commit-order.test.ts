// The order of system calls behind a durable commit, observed with strace on a real process:
// the queue file is renamed into incoming/ and then fsync'd, and the commit resolves only
// after that fsync returned. On Linux that fsync is what makes the rename durable (see
// src/queue/queue-writer.ts), so a commit that resolved before it, or an fsync that ran
// before the rename, would acknowledge mail a crash could lose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, needPeer } from '../helpers/peers.js';

const storeModule = fileURLToPath(new URL('../../src/queue/queue-store.js', import.meta.url));

test('Linux commit: rename into incoming/, then fsync of that file, then the commit resolves', async (t) => {
  if (process.platform !== 'linux') return t.skip('Linux-specific commit order');
  if (!needPeer(t, 'strace', hasCommand('strace', ['-V']))) return;
  const dir = await mkdtemp(join(tmpdir(), 'outpost-commit-order-'));
  try {
    const script = join(dir, 'commit.mjs');
    // The marker write to stdout shows in the trace the moment commit() resolved.
    await writeFile(
      script,
      `import { writeSync } from 'node:fs';
import { QueueStore } from ${JSON.stringify(storeModule)};
const store = await QueueStore.open({ queueDirectory: ${JSON.stringify(join(dir, 'q'))}, enableLongQueueIds: false });
const w = await store.create({ sender: 'a@example.com', recipients: [{ address: 'b@example.com' }] });
w.write(Buffer.from('Subject: x\\n\\nbody\\n'));
const id = await w.commit();
writeSync(1, 'COMMITTED ' + id);
await store.close();
`,
    );
    const trace = 'trace=openat,rename,renameat,renameat2,fsync,fdatasync,write';
    const r = spawnSync('strace', ['-f', '-qq', '-e', trace, '-s', '256', process.execPath, script], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.split('\n');
    const opened = lines.map((l) => /openat\(.*\/q\/tmp\/[^"]*".* = (\d+)$/.exec(l)).find(Boolean);
    assert.ok(opened, `no queue file created in tmp/:\n${r.stderr}`);
    const fd = opened[1];
    const renameAt = lines.findIndex((l) => /rename/.test(l) && /\/q\/incoming\//.test(l));
    assert.ok(renameAt >= 0, `no rename into incoming/:\n${r.stderr}`);
    const synced = (l: string): boolean => new RegExp(`f(data)?sync\\(${fd}\\)`).test(l);
    assert.ok(!lines.slice(0, renameAt).some(synced), `fsync before the rename:\n${r.stderr}`);
    const fsyncAt = lines.findIndex((l, i) => i > renameAt && new RegExp(`fsync\\(${fd}\\) += 0`).test(l));
    assert.ok(fsyncAt > renameAt, `no fsync(${fd}) after the rename:\n${r.stderr}`);
    const committedAt = lines.findIndex((l) => /write\(1, "COMMITTED /.test(l));
    assert.ok(committedAt > fsyncAt, `commit resolved before the fsync returned:\n${r.stderr}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
