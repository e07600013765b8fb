// local(8) decisions: alias expansion, unknown users, loop detection through Delivered-To,
// mbox vs Maildir choice, forwarding of remote alias targets through cleanup.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalDeliveryAgent } from '../../src/delivery/local/agent.js';
import { loadDaemonConfig } from '../../src/master/config-adapter.js';
import type { ActiveMessage } from '../../src/master/queue-adapter.js';
import type { Envelope, MessageSink } from '../../src/queue/types.js';
import { splitAliasTargets } from '../../src/delivery/local/aliases.js';
import { postaliasMain } from '../../src/cli/postalias.js';
import { nisDomain } from '../../src/maps/nis.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup(
  extraMain = '',
  { newaliases = true, warnings = [] as string[] } = {},
): Promise<{ dir: string; agent: LocalDeliveryAgent; forwarded: { env: Envelope; content: string }[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-local-'));
  dirs.push(dir);
  for (const u of ['alice', 'bob', 'carol']) await mkdir(join(dir, 'mail', u), { recursive: true });
  await writeFile(
    join(dir, 'main.cf'),
    `myhostname = h.example\nmydestination = $myhostname, localhost\nqueue_directory = ${dir}/q\n` +
      `outpost_mail_home_directory = ${dir}/mail\nhome_mailbox = Maildir/\nalias_maps = hash:${dir}/aliases\nrecipient_delimiter = +\n${extraMain}\n`,
  );
  await writeFile(join(dir, 'master.cf'), '');
  await writeFile(
    join(dir, 'aliases'),
    `team: alice, bob\nfar: someone@remote.example\narchive: ${dir}/archive.mbox\nloop1: loop2\nloop2: loop1\nself: self, carol\n`,
  );
  // As a Postfix user does: the aliases file is compiled before local delivery reads it.
  if (newaliases) assert.equal(await postaliasMain(['-c', dir, `hash:${dir}/aliases`]), 0);
  const forwarded: { env: Envelope; content: string }[] = [];
  const sink: MessageSink = {
    async open(env) {
      let content = '';
      return {
        write: async (c: Buffer) => void (content += c.toString()),
        commit: async () => {
          forwarded.push({ env, content });
          return 'FWD1234';
        },
        abort: async () => undefined,
      };
    },
  };
  const agent = new LocalDeliveryAgent(await loadDaemonConfig(dir), sink, undefined, (m) => warnings.push(m));
  return { dir, agent, forwarded };
}

function message(content: string, sender = 'sender@example.org'): ActiveMessage {
  return {
    id: 'ABC123',
    sender,
    recipients: [],
    arrivalTime: new Date(),
    activeTime: new Date(),
    size: content.length,
    openContent: () => Readable.from([Buffer.from(content)]),
  };
}

async function newFiles(dir: string, user: string): Promise<string[]> {
  const d = join(dir, 'mail', user, 'Maildir', 'new');
  return Promise.all((await readdir(d).catch(() => [])).map((n) => readFile(join(d, n), 'utf8')));
}

test('plain user: Maildir delivery with Return-Path, X-Original-To, Delivered-To', async () => {
  const { dir, agent } = await setup();
  const r = await agent.deliver(message('Subject: hi\n\nbody\n'), {
    address: 'Alice@h.example',
    original: 'alice',
  });
  assert.deepEqual(r, [
    { to: 'Alice@h.example', status: 'sent', dsn: '2.0.0', text: 'delivered to maildir' },
  ]);
  const [text] = await newFiles(dir, 'alice');
  assert.equal(
    text,
    'Return-Path: <sender@example.org>\nX-Original-To: alice\nDelivered-To: Alice@h.example\nSubject: hi\n\nbody\n',
  );
});

test('recipient_delimiter: user+ext goes to user', async () => {
  const { dir, agent } = await setup();
  const r = await agent.deliver(message('S: x\n\n'), { address: 'bob+lists@localhost' });
  assert.equal(r[0]!.status, 'sent');
  assert.equal((await newFiles(dir, 'bob')).length, 1);
});

test('unknown user bounces with 5.1.1 and Postfix wording', async () => {
  const { agent } = await setup();
  const r = await agent.deliver(message('S: x\n\n'), { address: 'nobody-here@h.example' });
  assert.deepEqual(r, [
    { to: 'nobody-here@h.example', status: 'bounced', dsn: '5.1.1', text: 'unknown user: "nobody-here"' },
  ]);
});

test('loop detection: a Delivered-To equal to the recipient bounces 5.4.6', async () => {
  const { dir, agent } = await setup();
  const r = await agent.deliver(
    message('Delivered-To: other@x\nDelivered-To: ALICE@h.example\nSubject: looping\n\nx\n'),
    { address: 'alice@h.example' },
  );
  assert.deepEqual(r, [
    {
      to: 'alice@h.example',
      status: 'bounced',
      dsn: '5.4.6',
      text: 'mail forwarding loop for alice@h.example',
    },
  ]);
  assert.equal((await newFiles(dir, 'alice')).length, 0);
  // A Delivered-To in the body does not count.
  const ok = await agent.deliver(message('Subject: fine\n\nDelivered-To: alice@h.example\n'), {
    address: 'alice@h.example',
  });
  assert.equal(ok[0]!.status, 'sent');
});

test('aliases: fan-out, file target, remote forward with Delivered-To, loops, self-reference', async () => {
  const { dir, agent, forwarded } = await setup();
  const team = await agent.deliver(message('Subject: t\n\nx\n'), { address: 'team@localhost' });
  assert.deepEqual(
    team.map((r) => [r.to, r.status]),
    [
      ['alice@h.example', 'sent'],
      ['bob@h.example', 'sent'],
    ],
  );
  const [aliceText] = await newFiles(dir, 'alice');
  assert.match(
    aliceText!,
    /^Return-Path: <sender@example\.org>\nX-Original-To: team@localhost\nDelivered-To: alice@h\.example\n/,
  );

  const file = await agent.deliver(message('Subject: f\n\nFrom x\n'), { address: 'archive@h.example' });
  assert.deepEqual(
    file.map((r) => r.text),
    [`delivered to file: ${dir}/archive.mbox`],
  );
  assert.match(
    await readFile(join(dir, 'archive.mbox'), 'utf8'),
    /^From sender@example\.org {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nReturn-Path: <sender@example\.org>\n[\s\S]*\n>From x\n\n$/,
  );

  const far = await agent.deliver(message('Subject: r\n\nx\n'), { address: 'far@h.example' });
  assert.deepEqual(far, [
    { to: 'far@h.example', status: 'sent', dsn: '2.0.0', text: 'forwarded as FWD1234' },
  ]);
  assert.deepEqual(forwarded[0]!.env.recipients, [{ address: 'someone@remote.example' }]);
  assert.equal(forwarded[0]!.env.sender, 'sender@example.org');
  assert.match(forwarded[0]!.content, /^Delivered-To: far@h\.example\nSubject: r\n/);

  const loop = await agent.deliver(message('S: x\n\n'), { address: 'loop1@h.example' });
  assert.equal(loop.length, 1);
  assert.equal(loop[0]!.status, 'bounced');
  assert.match(loop[0]!.text, /unknown user: "loop1"/);

  const self = await agent.deliver(message('S: x\n\n'), { address: 'self@h.example' });
  assert.deepEqual(
    self.map((r) => [r.to, r.status, r.text]),
    [
      ['self@h.example', 'bounced', 'unknown user: "self"'],
      ['carol@h.example', 'sent', 'delivered to maildir'],
    ],
  );
});

test('mbox delivery through mail_spool_directory when home_mailbox is empty', async () => {
  const { dir } = await setup();
  await writeFile(
    join(dir, 'main.cf'),
    (await readFile(join(dir, 'main.cf'), 'utf8')).replace(
      'home_mailbox = Maildir/',
      `home_mailbox =\nmail_spool_directory = ${dir}/spool`,
    ),
  );
  const agent = new LocalDeliveryAgent(await loadDaemonConfig(dir), {
    open: async () => Promise.reject(new Error('unused')),
  });
  const r = await agent.deliver(message('Subject: m\n\nbody'), { address: 'carol@h.example' });
  assert.deepEqual(
    r.map((x) => x.text),
    ['delivered to mailbox'],
  );
  assert.match(
    await readFile(join(dir, 'spool', 'carol'), 'utf8'),
    /^From sender@example\.org {2}.*\nReturn-Path: <sender@example\.org>\nX-Original-To: carol@h\.example\nDelivered-To: carol@h\.example\nSubject: m\n\nbody\n\n$/,
  );
});

test('alias values as postalias stores them split into targets', () => {
  assert.deepEqual(splitAliasTargets('a, "|cmd arg, more", /f'), ['a', '|cmd arg, more', '/f']);
});

test('alias table errors defer the mail; they never make the name unknown', async () => {
  const warnings: string[] = [];
  const { agent } = await setup('', { newaliases: false, warnings });
  const r = await agent.deliver(message('S: x\n\n'), { address: 'team@h.example' });
  assert.deepEqual(r, [
    { to: 'team@h.example', status: 'deferred', dsn: '4.3.0', text: 'alias database unavailable' },
  ]);
  assert.match(
    warnings.join('\n'),
    /hash:.*\/aliases: lookup of 'team' failed: open database .*aliases\.db: No such file or directory/,
  );
});

test('default-style alias_maps with nis:mail.aliases: no NIS domain means "not found", once warned', async (t) => {
  if (nisDomain() !== undefined) return t.skip('this machine has an NIS domain set');
  const warnings: string[] = [];
  const { dir, agent } = await setup('', { warnings });
  await writeFile(
    join(dir, 'main.cf'),
    (await readFile(join(dir, 'main.cf'), 'utf8')).replace(
      `alias_maps = hash:${dir}/aliases`,
      `alias_maps = hash:${dir}/aliases, nis:mail.aliases`,
    ),
  );
  agent.reload(await loadDaemonConfig(dir));
  const team = await agent.deliver(message('S: x\n\n'), { address: 'team@h.example' });
  assert.deepEqual(
    team.map((r) => r.status),
    ['sent', 'sent'],
  );
  const carol = await agent.deliver(message('S: x\n\n'), { address: 'carol@h.example' });
  assert.equal(carol[0]!.status, 'sent');
  const unknown = await agent.deliver(message('S: x\n\n'), { address: 'no-such-user-xyz@h.example' });
  assert.equal(unknown[0]!.status, 'bounced');
  // The NIS domain is looked up once per process: one warning, as Postfix's dict_nis_init.
  assert.deepEqual(
    warnings.filter((w) => w.includes('NIS')),
    ['dict_nis_init: NIS domain name not set - NIS lookups disabled'],
  );
});

test('a rebuilt aliases.db is picked up; an outdated one gets the stale-database warning', async () => {
  const warnings: string[] = [];
  const { dir, agent } = await setup('', { warnings });
  await writeFile(join(dir, 'aliases'), 'team: carol\n');
  // The source is newer than the .db but was edited within the last 100 seconds: no warning yet
  // (Postfix's grace period), and the old table still answers.
  const before = await agent.deliver(message('S: x\n\n'), { address: 'team@h.example' });
  assert.deepEqual(
    before.map((r) => r.to),
    ['alice@h.example', 'bob@h.example'],
  );
  const old = new Date(Date.now() - 3600_000);
  const older = new Date(Date.now() - 7200_000);
  await utimes(join(dir, 'aliases.db'), older, older);
  await utimes(join(dir, 'aliases'), old, old);
  agent.reload(await loadDaemonConfig(dir));
  await agent.deliver(message('S: x\n\n'), { address: 'team@h.example' });
  assert.ok(
    warnings.some((w) => w === `database ${dir}/aliases.db is older than source file ${dir}/aliases`),
    warnings.join('\n'),
  );
  assert.equal(await postaliasMain(['-c', dir, `hash:${dir}/aliases`]), 0);
  agent.reload(await loadDaemonConfig(dir));
  const after = await agent.deliver(message('S: x\n\n'), { address: 'team@h.example' });
  assert.deepEqual(
    after.map((r) => r.to),
    ['carol@h.example'],
  );
});
