// postqueue -f/-i/-s reach the running daemon through $queue_directory/public/flush; with
// nothing listening they fail like Postfix's ("mail system is down", exit status 69).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenForFlush, type FlushRequest } from '../../src/queue/flush-trigger.js';
import { QueueStore } from '../../src/queue/queue-store.js';

const postqueue = fileURLToPath(new URL('../../../bin/postqueue', import.meta.url));
let dir = '';
let conf = '';
let queueDirectory = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-flush-'));
  conf = join(dir, 'etc');
  queueDirectory = join(dir, 'spool');
  await mkdir(conf);
  await writeFile(join(conf, 'main.cf'), `# test\nqueue_directory = ${queueDirectory}\n`);
  await (await QueueStore.open({ queueDirectory, enableLongQueueIds: false })).close();
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], uid?: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(postqueue, ['-c', conf, ...args], uid === undefined ? {} : { uid, gid: uid });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test(
  'flush requests reach the daemon; refusals and a stopped daemon are reported as Postfix does',
  { timeout: 30000 },
  async () => {
    const seen: FlushRequest[] = [];
    const listener = await listenForFlush(queueDirectory, (req) => {
      seen.push(req);
      if (req.kind === 'site')
        throw new Error(`Flush service is not configured for destination "${req.site}"`);
    });
    assert.deepEqual(await run(['-f']), { code: 0, stdout: '', stderr: '' });
    assert.deepEqual(await run(['-i', '3F2A1B2C3D']), { code: 0, stdout: '', stderr: '' });
    // Postfix 3.7 with fast_flush_domains not covering the site prints exactly this.
    assert.deepEqual(await run(['-s', 'foo.example']), {
      code: 69,
      stdout: '',
      stderr: 'postqueue: fatal: Flush service is not configured for destination "foo.example"\n',
    });
    assert.deepEqual(seen, [
      { kind: 'all' },
      { kind: 'id', id: '3F2A1B2C3D' },
      { kind: 'site', site: 'foo.example' },
    ]);
    await listener.close();

    assert.deepEqual(await run(['-f']), {
      code: 69,
      stdout: '',
      stderr: 'postqueue: fatal: Cannot flush mail queue - mail system is down\n',
    });
    assert.deepEqual(await run(['-i', '3F2A1B2C3D']), {
      code: 69,
      stdout: '',
      stderr:
        'postqueue: warning: connect to public/flush: No such file or directory\n' +
        'postqueue: fatal: Cannot flush mail queue - mail system is down\n',
    });
    // The superuser reads the queue directly when the daemon is down, after Postfix's warning.
    assert.deepEqual(await run(['-p']), {
      code: 0,
      stdout: 'Mail queue is empty\n',
      stderr:
        'postqueue: warning: Mail system is down -- accessing queue directly ' +
        '(Connect to the Postfix showq service: No such file or directory)\n',
    });
    const missing = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const p = spawn(postqueue, ['-c', join(dir, 'nope'), '-p']);
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
    assert.deepEqual(missing, {
      code: 69,
      stderr: `postqueue: fatal: open ${join(dir, 'nope')}/main.cf: No such file or directory\n`,
    });
  },
);

test('deferredFlushHandler: -f moves all deferred mail to incoming, -i one message, -s is refused', async () => {
  const { deferredFlushHandler } = await import('../../src/queue/flush-actions.js');
  const store = await QueueStore.open({ queueDirectory: join(dir, 'q2'), enableLongQueueIds: false });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const w = await store.create({
      sender: 'a@b',
      recipients: [{ address: 'c@d' }],
      context: { service: 't', localRewriteContext: false },
    });
    w.write(Buffer.from('x\n'));
    const id = await w.commit();
    await store.move(id, 'incoming', 'deferred');
    ids.push(id);
  }
  let nudges = 0;
  const handler = deferredFlushHandler(store, () => nudges++);
  await handler({ kind: 'id', id: ids[0]! });
  assert.deepEqual(await store.list('incoming'), [ids[0]]);
  await handler({ kind: 'id', id: 'NOSUCH1' });
  await handler({ kind: 'all' });
  assert.deepEqual((await store.list('incoming')).sort(), [...ids].sort());
  assert.deepEqual(await store.list('deferred'), []);
  assert.equal(nudges, 2);
  await assert.rejects(
    async () => handler({ kind: 'site', site: 'x.example' }),
    /not configured for destination "x.example"/,
  );
  // A status append to a message deleted meanwhile fails instead of creating a stray file.
  await store.remove('incoming', ids[0]!);
  await assert.rejects(
    store.recordStatus('incoming', ids[0]!, [{ rcpt: 0, status: 'sent', time: 1 }]),
    /ENOENT/,
  );
  assert.equal(await store.locate(ids[0]!), undefined);
  await store.close();
});

test(
  "an unprivileged user gets the queue listing from the daemon, or Postfix's error when it is down",
  { timeout: 30000 },
  async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run postqueue as another user');
      return;
    }
    await chmod(dir, 0o755);
    await chmod(conf, 0o755);
    const nobody = 65534;
    const store = await QueueStore.open({ queueDirectory, enableLongQueueIds: false });
    const w = await store.create({
      sender: 'a@example.com',
      recipients: [{ address: 'b@example.net' }],
      context: { service: 't', localRewriteContext: false },
    });
    w.write(Buffer.from('Subject: x\n\nhi\n'));
    const id = await w.commit();
    const down = await run(['-p'], nobody);
    assert.deepEqual(down, {
      code: 69,
      stdout: '',
      stderr:
        'postqueue: fatal: Queue report unavailable - mail system is down ' +
        '(Connect to the Postfix showq service: No such file or directory)\n',
    });
    const listener = await listenForFlush(queueDirectory, () => undefined, { store });
    const viaDaemon = await run(['-p'], nobody);
    const direct = await run(['-p']);
    assert.equal(viaDaemon.code, 0, viaDaemon.stderr);
    assert.equal(viaDaemon.stderr, '');
    assert.equal(viaDaemon.stdout, direct.stdout);
    assert.match(viaDaemon.stdout, new RegExp(`^${id} `, 'm'));
    const json = await run(['-j'], nobody);
    assert.equal(JSON.parse(json.stdout).queue_id, id);
    await listener.close();
    await store.remove('incoming', id);
    await store.close();
  },
);
