// postsuper -r then pickup: the message goes through cleanup again into a new queue file
// with only the recipients that were not yet delivered.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { QueueStore } from '../../src/queue/queue-store.js';
import { CleanupSink } from '../../src/cleanup/cleanup-sink.js';
import { pickupMaildropFile } from '../../src/queue/pickup.js';
import { flushMailLogs, MailLog } from '../../src/log/maillog.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-pickup-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a requeued message is re-cleaned into incoming with its undelivered recipients only', async () => {
  const store = await QueueStore.open({ queueDirectory: join(dir, 'q'), enableLongQueueIds: false });
  const log = new MailLog({ file: join(dir, 'maillog'), host: 'pc' });
  const sink = new CleanupSink(store, { myhostname: 'pc.example', messageSizeLimit: 0 }, log);
  const w = await sink.open(
    {
      sender: 'alice@example.com',
      recipients: [{ address: 'bob@example.net' }, { address: 'carol@example.net', notify: ['NEVER'] }],
      envid: 'E1',
    },
    { service: 'sendmail', localRewriteContext: true, uid: 1000, senderFullName: 'Alice' },
  );
  await w.write(Buffer.from('Subject: again\n\nbody\n'));
  const first = await w.commit();
  const original = await text(await store.openContent('incoming', first));
  await store.recordStatus('incoming', first, [{ rcpt: 0, status: 'sent', time: 1 }]);
  assert.equal(await store.move(first, 'incoming', 'maildrop'), true); // what postsuper -r does

  const second = await pickupMaildropFile(store, first, sink, log);
  assert.ok(second && second !== first);
  assert.deepEqual(await store.list('maildrop'), []);
  const s = await store.read('incoming', second);
  assert.deepEqual(s.envelope.recipients, [{ address: 'carol@example.net', notify: ['NEVER'] }]);
  assert.equal(s.envelope.envid, 'E1');
  assert.equal(s.envelope.context.service, 'pickup');
  assert.equal(
    await text(await store.openContent('incoming', second)),
    original,
    'headers were complete: nothing added twice',
  );
  assert.match(
    await flushMailLogs().then(() => readFile(join(dir, 'maillog'), 'utf8')),
    new RegExp(`postfix/pickup\\[\\d+\\]: ${second}: uid=1000 from=<alice@example.com>\\n`),
  );
  assert.equal(await pickupMaildropFile(store, first, sink), undefined, 'already picked up');
  await store.close();
});
