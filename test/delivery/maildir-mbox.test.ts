// Mailbox writers: Maildir naming and tmp -> new atomicity; mbox "From " line, ">From "
// quoting, final newline and separating empty line, dotlock, and roll-back on failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverToMaildir } from '../../src/delivery/local/maildir.js';
import { deliverToMbox, quoteFromLines, MailboxLockedError } from '../../src/delivery/local/mbox.js';
import { mboxFromLine, deliveredHeaders } from '../../src/delivery/local/delivered-headers.js';
import { asctime } from '../../src/cleanup/mail-date.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'outpost-delivery-'));
  dirs.push(d);
  return d;
}
async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p, 'latin1');
}
async function collect(gen: AsyncIterable<Buffer>): Promise<string> {
  let s = '';
  for await (const c of gen) s += c.toString('latin1');
  return s;
}

test('maildir: unique Postfix-style name in new/, nothing left in tmp/, content intact', async () => {
  const dir = join(await temp(), 'Maildir');
  const a = await deliverToMaildir(dir, 'host.example', chunks('Subject: a\n\n', 'body\n'));
  const b = await deliverToMaildir(dir, 'host/with:odd', chunks('Subject: b\n\nx\n'));
  assert.match(a, /\/new\/\d+\.V[0-9a-f]+I[0-9a-f]+M\d+\.host\.example$/);
  assert.match(b, /\/new\/\d+\.V[0-9a-f]+I[0-9a-f]+M\d+\.host\\057with\\072odd$/);
  assert.notEqual(a, b);
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual((await readdir(join(dir, 'cur'))).length, 0);
  assert.equal(await readFile(a, 'utf8'), 'Subject: a\n\nbody\n');
  assert.equal((await stat(a)).mode & 0o777, 0o600);
});

test('maildir: a failing source leaves neither tmp/ nor new/ files', async () => {
  const dir = join(await temp(), 'Maildir');
  async function* failing(): AsyncGenerator<Buffer> {
    yield Buffer.from('partial');
    throw new Error('source broke');
  }
  await assert.rejects(deliverToMaildir(dir, 'h', failing()), /source broke/);
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  assert.deepEqual(await readdir(join(dir, 'new')), []);
});

test('mbox quoting: only "From " at line starts, across chunk borders; final newline added', async () => {
  assert.equal(
    await collect(quoteFromLines(chunks('From a\nx From b\n>From c\nFro', 'm d\nFrom'))),
    '>From a\nx From b\n>From c\n>From d\nFrom\n',
  );
  assert.equal(await collect(quoteFromLines(chunks('Fr', 'om ', 'x\n'))), '>From x\n');
  assert.equal(await collect(quoteFromLines(chunks('done\n'))), 'done\n');
});

test('mbox: From_ line, delivered headers, empty separator line, appends', async () => {
  const box = join(await temp(), 'spool', 'alice');
  const when = new Date(2026, 10, 27, 9, 5, 1);
  const headers = deliveredHeaders({ sender: '', recipient: 'alice@h.example', original: 'alice' });
  await deliverToMbox(
    box,
    mboxFromLine('', asctime(when)),
    headers,
    chunks('Subject: 1\n\nFrom here\nno newline'),
  );
  await deliverToMbox(box, mboxFromLine('s@x', asctime(when)), '', chunks('Subject: 2\n\nb\n'));
  assert.equal(
    await readFile(box, 'utf8'),
    'From MAILER-DAEMON  Fri Nov 27 09:05:01 2026\nReturn-Path: <>\nX-Original-To: alice\nDelivered-To: alice@h.example\n' +
      'Subject: 1\n\n>From here\nno newline\n\n' +
      'From s@x  Fri Nov 27 09:05:01 2026\nSubject: 2\n\nb\n\n',
  );
  await assert.rejects(stat(`${box}.lock`));
});

test('mbox: a held dotlock blocks delivery; a failed write rolls the mailbox back', async () => {
  const box = join(await temp(), 'bob');
  await writeFile(box, 'From old  Fri Nov 27 09:05:01 2026\n\nold\n\n');
  await writeFile(`${box}.lock`, '');
  const t0 = Date.now();
  await assert.rejects(deliverToMbox(box, 'From x  y\n', '', chunks('z\n')), MailboxLockedError);
  assert.ok(Date.now() - t0 >= 1000);
  await rm(`${box}.lock`);
  async function* failing(): AsyncGenerator<Buffer> {
    yield Buffer.from('Subject: half\n\n');
    throw new Error('disk gone');
  }
  await assert.rejects(deliverToMbox(box, 'From x  y\n', '', failing()), /disk gone/);
  assert.equal(await readFile(box, 'utf8'), 'From old  Fri Nov 27 09:05:01 2026\n\nold\n\n');
});
