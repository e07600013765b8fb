// cleanup: header completion (Message-Id, Date, From) in the local context only, header
// drops, folded headers, header/body split, size limit, and the log lines.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { QueueStore } from '../../src/queue/queue-store.js';
import { CleanupSink, quotePhrase, type CleanupSettings } from '../../src/cleanup/cleanup-sink.js';
import { MessageRejectedError, replyForCommitError } from '../../src/cleanup/errors.js';
import { mailDate } from '../../src/cleanup/mail-date.js';
import { flushMailLogs, MailLog } from '../../src/log/maillog.js';
import type { ReceiveContext } from '../../src/queue/types.js';

let dir = '';
let store: QueueStore;
let logFile = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-cleanup-'));
  store = await QueueStore.open({ queueDirectory: join(dir, 'q'), enableLongQueueIds: false });
  logFile = join(dir, 'maillog');
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const local: ReceiveContext = { service: 'pickup', localRewriteContext: true, uid: 0 };
const remote: ReceiveContext = {
  service: 'smtpd',
  localRewriteContext: false,
  clientName: 'c',
  clientAddress: '192.0.2.5',
};

async function submit(
  content: string | Buffer[],
  context: ReceiveContext,
  settings: Partial<CleanupSettings> = {},
  sender = 'alice@example.com',
): Promise<{ id: string; stored: string }> {
  const sink = new CleanupSink(
    store,
    { myhostname: 'pc.example', messageSizeLimit: 10240000, ...settings },
    new MailLog({ file: logFile, host: 'pc' }),
  );
  const w = await sink.open({ sender, recipients: [{ address: 'bob@example.net' }] }, context);
  for (const c of typeof content === 'string' ? [Buffer.from(content)] : content) await w.write(c);
  const id = await w.commit();
  assert.equal(id, w.queueId, 'the ID known at open() is the committed one');
  return { id, stored: await text(await store.openContent('incoming', id)) };
}

test('local submission without headers gets Message-Id, Date, From at the top and an empty line', async () => {
  const { id, stored } = await submit('no header line here\nsecond\n', {
    ...local,
    senderFullName: 'Alice Liddell',
  });
  const created = (await store.read('incoming', id)).envelope.arrivalTime;
  const stamp = new Date(created).toISOString().replace(/[-T:]/g, '').slice(0, 14);
  assert.equal(
    stored,
    `Message-Id: <${stamp}.${id}@pc.example>\nDate: ${mailDate(new Date(created))}\nFrom: Alice Liddell <alice@example.com>\n\nno header line here\nsecond\n`,
  );
  const log = await flushMailLogs().then(() => readFile(logFile, 'utf8'));
  assert.match(
    log,
    new RegExp(`postfix/cleanup\\[\\d+\\]: ${id}: message-id=<${stamp}\\.${id}@pc\\.example>\\n`),
  );
});

test('added headers follow the existing ones; existing ones are kept; folded headers survive', async () => {
  const msg = 'Subject: a long\n  folded subject\nTo: bob@example.net\nMessage-ID: <given@x>\n\nbody\n';
  const { id, stored } = await submit(msg, local);
  assert.match(
    stored,
    /^Subject: a long\n {2}folded subject\nTo: bob@example.net\nMessage-ID: <given@x>\nDate: .+\nFrom: alice@example.com\n\nbody\n$/,
  );
  assert.match(
    await flushMailLogs().then(() => readFile(logFile, 'utf8')),
    new RegExp(`${id}: message-id=<given@x>\\n`),
  );
});

test('remote (SMTP) context: headers are not completed; message-id=<> is logged', async () => {
  const { id, stored } = await submit('Subject: hi\n\nbody\n', remote);
  assert.equal(stored, 'Subject: hi\n\nbody\n');
  assert.match(
    await flushMailLogs().then(() => readFile(logFile, 'utf8')),
    new RegExp(`${id}: message-id=<>\\n`),
  );
  const always = await submit('Subject: hi\n\nbody\n', remote, { alwaysAddMissingHeaders: true });
  assert.match(
    always.stored,
    /^Subject: hi\nMessage-Id: <\d{14}\..+@pc\.example>\nDate: .+\nFrom: alice@example.com\n\nbody\n$/,
  );
});

test('message_drop_headers: Bcc, Resent-Bcc, Return-Path, Content-Length (any case, folded) are removed', async () => {
  const msg =
    'Return-Path: <x@y>\nBCC: secret@example.com,\n  other@example.com\nContent-Length: 5\nSubject: s\n' +
    'resent-bcc: r@example.com\nTo: t@example.net\n\nBcc: in the body stays\n';
  const { stored } = await submit(msg, remote);
  assert.equal(stored, 'Subject: s\nTo: t@example.net\n\nBcc: in the body stays\n');
});

test('Resent- headers switch completion to Resent-Message-Id/Resent-Date/Resent-From', async () => {
  const { stored } = await submit(
    'Resent-To: x@example.net\nFrom: a@b\nDate: x\nMessage-Id: <m@x>\n\nb\n',
    local,
  );
  assert.match(
    stored,
    /\nResent-Message-Id: <\d{14}\.[0-9A-F]+@pc\.example>\nResent-Date: .+\nResent-From: alice@example.com\n\nb\n$/,
  );
});

test('null sender gets From: MAILER-DAEMON; display names with specials are quoted', async () => {
  const { stored } = await submit('Subject: s\n\nb\n', { ...local, senderFullName: 'X' }, {}, '');
  assert.match(stored, /\nFrom: MAILER-DAEMON\n\n/);
  assert.equal(quotePhrase('Kate Q. Sender'), '"Kate Q. Sender"');
  assert.equal(quotePhrase('A "B" C'), '"A \\"B\\" C"');
  assert.equal(quotePhrase('Plain Name'), 'Plain Name');
});

test('header/body split works across arbitrary chunk boundaries and CRLF', async () => {
  const msg = 'Subject: split\r\n test\r\nBcc: gone\r\n\r\nline1\r\nline2';
  const chunks = [...msg].map((c) => Buffer.from(c));
  const { stored } = await submit(chunks, remote);
  assert.equal(
    stored,
    'Subject: split\r\n test\r\n\r\nline1\r\nline2\n',
    'a last line without newline is terminated',
  );
  const headersOnly = await submit('Subject: only headers\nX-A: 1', remote);
  assert.equal(headersOnly.stored, 'Subject: only headers\nX-A: 1\n');
});

test('a large body streams through (written in pieces) and keeps every byte', async () => {
  const line = Buffer.from('0123456789'.repeat(7) + '\n');
  const chunks = [Buffer.from('Subject: big\n\n'), ...Array.from({ length: 40000 }, () => line)];
  const { stored } = await submit(chunks, remote);
  assert.equal(stored.length, 14 + 71 * 40000);
  assert.ok(stored.endsWith(line.toString()));
});

test('message_size_limit: commit rejects with 552 5.3.4 and nothing is queued', async () => {
  const sink = new CleanupSink(store, { myhostname: 'pc.example', messageSizeLimit: 1000 });
  const before = await store.list('incoming');
  const w = await sink.open({ sender: 'a@b', recipients: [{ address: 'c@d' }] }, remote);
  await w.write(Buffer.from('Subject: big\n\n'));
  for (let i = 0; i < 20; i++) await w.write(Buffer.alloc(100, 0x61));
  await assert.rejects(w.commit(), (err: unknown) => {
    assert.ok(err instanceof MessageRejectedError);
    assert.equal(err.reply, '552 5.3.4 Message size exceeds fixed limit');
    return true;
  });
  assert.deepEqual(await store.list('incoming'), before);
  assert.deepEqual(await readdir(join(dir, 'q', 'tmp')), [], 'the partial file is gone');
  // Exactly at the limit is fine.
  const ok = await sink.open({ sender: 'a@b', recipients: [{ address: 'c@d' }] }, remote);
  await ok.write(Buffer.alloc(1000, 0x61));
  assert.ok(await ok.commit());
});

test('abort leaves nothing behind; commit errors map to SMTP replies', async () => {
  const sink = new CleanupSink(store, { myhostname: 'pc.example', messageSizeLimit: 0 });
  const before = await store.list('incoming');
  const w = await sink.open({ sender: 'a@b', recipients: [{ address: 'c@d' }] }, remote);
  await w.write(Buffer.from('Subject: x\n\nhello\n'));
  await w.abort();
  assert.deepEqual(await store.list('incoming'), before);
  assert.deepEqual(await readdir(join(dir, 'q', 'tmp')), []);
  const enospc = Object.assign(new Error('no space'), { code: 'ENOSPC' });
  assert.equal(replyForCommitError(enospc).reply, '452 4.3.1 Insufficient system storage');
  assert.equal(replyForCommitError(new Error('x')).reply, '451 4.3.0 Error: queue file write error');
});

test('mailDate has Postfix layout (space-padded day, numeric offset, zone name)', () => {
  assert.match(mailDate(new Date(2026, 10, 7, 9, 5, 1)), /^Sat, {2}7 Nov 2026 09:05:01 [+-]\d{4} \(.+\)$/);
});

test('duplicate envelope recipients are removed (same address, ORCPT and NOTIFY)', async () => {
  const sink = new CleanupSink(store, { myhostname: 'pc.example', messageSizeLimit: 0 });
  const w = await sink.open(
    {
      sender: 'a@b',
      recipients: [
        { address: 'x@example.net' },
        { address: 'y@example.net' },
        { address: 'x@example.net' },
        { address: 'x@example.net', notify: ['NEVER'] },
        { address: 'X@example.net' },
      ],
    },
    remote,
  );
  await w.write(Buffer.from('Subject: d\n\nb\n'));
  const id = await w.commit();
  assert.deepEqual(
    (await store.read('incoming', id)).envelope.recipients.map((r) => `${r.address} ${r.notify ?? ''}`),
    ['x@example.net ', 'y@example.net ', 'x@example.net NEVER', 'X@example.net '],
  );
});
