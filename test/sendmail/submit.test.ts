// sendmail end to end: the message goes into maildrop whether or not the daemon runs, is
// picked up on start (uid=N from=<...>) and delivered to a Maildir; dot handling with and
// without -i; exit codes; -bs dialogue; -bp listing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import {
  makeInstance,
  outpost,
  sendmail,
  waitFor,
  waitForLog,
  maildirNew,
  SENDMAIL,
  type TestInstance,
} from '../daemon/helpers.js';
import { readQueueFile } from '../../src/queue/queue-file.js';

/** A maildrop file is a queue file (QueueStore.create(envelope, 'maildrop')). */
async function readMaildrop(path: string): Promise<{
  sender: string;
  recipients: string[];
  fullName: string | undefined;
  content: string;
}> {
  const s = await readQueueFile(path);
  const data = await readFile(path);
  return {
    sender: s.envelope.sender,
    recipients: s.envelope.recipients.map((r) => r.address),
    fullName: s.envelope.senderFullName,
    content: data.subarray(s.contentOffset, s.contentOffset + s.size).toString(),
  };
}

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) await i.cleanup();
});

async function maildropFiles(inst: TestInstance): Promise<string[]> {
  return (await readdir(join(inst.queue, 'maildrop')).catch(() => [])).filter((n) => !n.startsWith('.'));
}

test('daemon down: maildrop file; start: picked up and delivered with local headers', async () => {
  const inst = await makeInstance({ noSmtp: true });
  instances.push(inst);
  // Without -i a lone "." ends the message; "..x" is not unstuffed (this is not SMTP).
  const r = await sendmail(
    ['-C', inst.dir, '-f', 'carol@example.org', '-F', 'Carol C', 'alice'],
    'Subject: one\n\nbody\n..x\nFrom me\n.\nnot part\n',
  );
  assert.equal(r.status, 0, r.stderr);
  const files = await maildropFiles(inst);
  assert.equal(files.length, 1);
  const dropped = await readMaildrop(join(inst.queue, 'maildrop', files[0]!));
  assert.equal(dropped.sender, 'carol@example.org');
  assert.deepEqual(dropped.recipients, ['alice']);
  assert.equal(dropped.fullName, 'Carol C');
  assert.equal(dropped.content, 'Subject: one\n\nbody\n..x\nFrom me\n');

  assert.equal(outpost(inst.dir, 'start').status, 0);
  const log = await waitForLog(inst, /postfix\/qmgr\[\d+\]: [0-9A-F]+: removed/);
  const uid = process.getuid?.() ?? 0;
  assert.match(
    log,
    new RegExp(`postfix/pickup\\[\\d+\\]: ([0-9A-F]+): uid=${uid} from=<carol@example\\.org>`),
  );
  assert.match(
    log,
    /postfix\/local\[\d+\]: [0-9A-F]+: to=<alice@mx\.test\.example>, orig_to=<alice>, relay=local, delay=[\d.]+, delays=[\d.]+\/[\d.]+\/[\d.]+\/[\d.]+, dsn=2\.0\.0, status=sent \(delivered to maildir\)/,
  );
  const [name] = await maildirNew(inst, 'alice');
  const text = await readFile(join(inst.mail, 'alice', 'Maildir', 'new', name!), 'utf8');
  assert.match(
    text,
    /^Return-Path: <carol@example\.org>\nX-Original-To: alice\nDelivered-To: alice@mx\.test\.example\nReceived: by mx\.test\.example \(Postfix, from userid \d+\)\n/,
  );
  assert.match(text, /\nFrom: Carol C <carol@example\.org>\n/);
  assert.match(text, /\n\nbody\n\.\.x\nFrom me\n$/);
  assert.deepEqual(await maildropFiles(inst), []);

  // Daemon running: sendmail nudges pickup, -t takes recipients from the header, -i keeps dots.
  const t = await sendmail(
    ['-C', inst.dir, '-t', '-i'],
    'To: Bob <bob@localhost>\nBcc: alice@localhost\nSubject: two\n\nline\n.\nafter dot\n',
  );
  assert.equal(t.status, 0, t.stderr);
  const bobFiles = await waitFor('bob delivery', async () =>
    (await maildirNew(inst, 'bob')).length ? maildirNew(inst, 'bob') : undefined,
  );
  const bobText = await readFile(join(inst.mail, 'bob', 'Maildir', 'new', bobFiles[0]!), 'utf8');
  assert.match(bobText, /\nline\n\.\nafter dot\n$/);
  assert.doesNotMatch(bobText, /^Bcc:/m);
  await waitFor('alice second', async () =>
    (await maildirNew(inst, 'alice')).length === 2 ? true : undefined,
  );
});

test('exit codes and messages as Postfix 3.7 sendmail: fatal 75, flush with daemon down 69', async () => {
  const inst = await makeInstance({ noSmtp: true, main: 'message_size_limit = 1000' });
  instances.push(inst);
  const who = `${userInfo().username}\\(${process.getuid?.() ?? 0}\\)`;
  const none = await sendmail(['-C', inst.dir], 'x\n');
  assert.equal(none.status, 75);
  assert.match(
    none.stderr,
    new RegExp(
      `^sendmail: fatal: ${who}: Recipient addresses must be specified on the command line or via the -t option\\n$`,
    ),
  );
  const noHeader = await sendmail(['-C', inst.dir, '-t'], 'Subject: nobody\n\nx\n');
  assert.equal(noHeader.status, 75);
  assert.match(
    noHeader.stderr,
    new RegExp(`^sendmail: fatal: ${who}: No recipient addresses found in message header\\n$`),
  );
  assert.deepEqual(await maildropFiles(inst), []);
  const bad = await sendmail(['-C', inst.dir, '-K', 'x'], '');
  assert.equal(bad.status, 75);
  assert.equal(
    bad.stderr,
    "sendmail: invalid option -- 'K'\n".repeat(2) + 'sendmail: fatal: usage: sendmail [options]\n',
  );
  const big = await sendmail(
    ['-C', inst.dir, 'alice'],
    'Subject: x\n\n' + 'a'.repeat(70).concat('\n').repeat(200),
  );
  assert.equal(big.status, 75);
  assert.match(big.stderr, new RegExp(`^sendmail: fatal: ${who}: message file too big\\n$`));
  assert.deepEqual(await maildropFiles(inst), []);
  const q = await sendmail(['-C', inst.dir, '-q'], '');
  assert.equal(q.status, 69);
  assert.match(q.stderr, /Cannot flush mail queue - mail system is down/);
  const cfg = await sendmail(['-C', '/nonexistent-outpost', 'x'], 'x\n');
  assert.equal(cfg.status, 75);
  assert.match(cfg.stderr, /main\.cf: No such file or directory/);
  const bp = await sendmail(['-C', inst.dir, '-bp'], '');
  assert.equal(bp.status, 0);
  assert.equal(bp.stdout, 'Mail queue is empty\n');
});

test('-bs: SMTP dialogue on stdin/stdout into maildrop', async () => {
  const inst = await makeInstance({ noSmtp: true });
  instances.push(inst);
  const child = spawn(process.execPath, [SENDMAIL, '-C', inst.dir, '-bs'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // The session may end (221) before stdin does: listen for the exit from the start.
  const closed = new Promise<number | null>((r) => child.on('close', r));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const until = (re: RegExp): Promise<boolean> =>
    waitFor(`-bs reply ${re}`, async () => (re.test(out) ? true : undefined));
  await until(/^220 mx\.test\.example ESMTP/);
  child.stdin.write('EHLO me\r\n');
  await until(/\r\n250 [^\r\n]*\r\n/);
  child.stdin.write('MAIL FROM:<dave@example.org>\r\nRCPT TO:<bob@localhost>\r\nDATA\r\n');
  await until(/354 /);
  child.stdin.write('Subject: via -bs\r\n\r\n..dot stuffed\r\n.\r\nQUIT\r\n');
  await until(/221 2\.0\.0 Bye/);
  child.stdin.end();
  const code = await closed;
  assert.equal(code, 0);
  assert.match(out, /250 2\.0\.0 Ok: queued as [0-9A-F]+/);
  const files = await maildropFiles(inst);
  assert.equal(files.length, 1);
  const path = join(inst.queue, 'maildrop', files[0]!);
  const dropped = await readMaildrop(path);
  assert.equal(dropped.sender, 'dave@example.org');
  assert.deepEqual(dropped.recipients, ['bob@localhost']);
  assert.match(dropped.content, /Subject: via -bs\n\n\.dot stuffed\n$/);
});
