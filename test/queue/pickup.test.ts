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
    // The file's owner, not the uid recorded inside it (1000); requeued: orig_id names the old ID.
    new RegExp(
      `postfix/pickup\\[\\d+\\]: ${second}: uid=${process.getuid!()} from=<alice@example.com> orig_id=${first}\\n`,
    ),
  );
  assert.equal(await pickupMaildropFile(store, first, sink), undefined, 'already picked up');
  await store.close();
});

test('pickup logs the maildrop file owner, not a uid written inside the file', async () => {
  const store = await QueueStore.open({ queueDirectory: join(dir, 'q2'), enableLongQueueIds: false });
  const log = new MailLog({ file: join(dir, 'maillog2'), host: 'pc' });
  const sink = new CleanupSink(store, { myhostname: 'pc.example', messageSizeLimit: 0 }, log);
  // What a hostile local submitter could write: a made-up uid in the envelope.
  const w = await store.create(
    {
      sender: 'mallory@example.com',
      recipients: [{ address: 'bob@example.net' }],
      context: { service: 'sendmail', localRewriteContext: true, uid: 4242 },
    },
    'maildrop',
  );
  w.write(Buffer.from('Subject: hi\n\nbody\n'));
  const dropped = await w.commit();
  const picked = await pickupMaildropFile(store, dropped, sink, log, {
    myhostname: 'pc.example',
    mailName: 'Postfix',
  });
  assert.ok(picked);
  const me = process.getuid!();
  const content = await text(await store.openContent('incoming', picked));
  assert.match(content, new RegExp(`^Received: by pc\\.example \\(Postfix, from userid ${me}\\)\\n`));
  const logText = await flushMailLogs().then(() => readFile(join(dir, 'maillog2'), 'utf8'));
  assert.match(
    logText,
    new RegExp(`postfix/pickup\\[\\d+\\]: ${picked}: uid=${me} from=<mallory@example.com>\\n`),
  );
  assert.doesNotMatch(logText, /uid=4242|orig_id/);
  await store.close();
});
