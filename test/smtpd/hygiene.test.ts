// Protocol hygiene, differential: each raw byte sequence goes to a private real Postfix 3.7
// and to Outpost configured from the same parameters; the replies (and for accepted mail,
// the stored content) must be the same. Covers long lines, NUL bytes, bare LF under each
// smtpd_forbid_bare_newline mode, the <LF>.<CR><LF> smuggling attempt, timeouts, error
// limits, junk commands, size limits, recipient limits and pipelining enforcement.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { startPostfixOracle, type PostfixOracle } from './postfix-oracle.js';
import { startOutpost, type OutpostUnderTest } from './outpost-server.js';
import { exchange, type RawStep } from './smtp-dialogue.js';

const HOST = 'mx.outpost.test';
const MAIN_CF = {
  myhostname: HOST,
  mydestination: '$myhostname, localhost',
  // 127.0.0.1 (the test client) is outside mynetworks, so bare-LF exclusions do not apply.
  mynetworks: '127.0.0.2/32',
  smtpd_soft_error_limit: '100',
  smtpd_hard_error_limit: '100',
};
const SERVICES: Record<string, Record<string, string>> = {
  plain: {},
  normalize: { smtpd_forbid_bare_newline: 'normalize' },
  reject: { smtpd_forbid_bare_newline: 'reject' },
  // In mynetworks, hence in smtpd_forbid_bare_newline_exclusions: not protected.
  excluded: { smtpd_forbid_bare_newline: 'reject', mynetworks: '127.0.0.0/8' },
  limits: {
    message_size_limit: '2000',
    smtpd_recipient_limit: '3',
    smtpd_recipient_overshoot_limit: '2',
    smtpd_timeout: '2s',
  },
  errors: { smtpd_soft_error_limit: '2', smtpd_hard_error_limit: '4', smtpd_error_sleep_time: '1s' },
  junk: { smtpd_junk_command_limit: '3', smtpd_hard_error_limit: '3' },
  pipelining: { smtpd_forbid_unauth_pipelining: 'yes' },
};

let postfix: PostfixOracle | undefined;
const outpost: Record<string, OutpostUnderTest> = {};

before(async () => {
  if (!hasPostfix()) return;
  postfix = await startPostfixOracle(
    MAIN_CF,
    Object.entries(SERVICES).map(([name, overrides]) => ({ name, overrides })),
  );
  for (const [name, overrides] of Object.entries(SERVICES)) {
    const params = { ...MAIN_CF, mydestination: `${HOST}, localhost`, ...overrides };
    outpost[name] = await startOutpost(params);
  }
});

after(async () => {
  await postfix?.stop();
  for (const o of Object.values(outpost)) await o.stop();
});

const normalize = (replies: string[]): string[] =>
  replies.map((r) =>
    r
      .replace(/^220 .*/, '220 greeting')
      .replace(/queued as [0-9A-Z]+/, 'queued as ID')
      .replace(/^250-mx\.outpost\.test[\s\S]*/, '250 EHLO'),
  );

async function compare(service: string, steps: RawStep[]): Promise<string[]> {
  const theirs = normalize(await exchange(postfix!.endpoints[service]!, steps));
  const ours = normalize(await exchange(outpost[service]!.endpoint, steps));
  assert.deepEqual(ours, theirs);
  return ours;
}

/** Content of the last message each side stored, without the Received: header. */
async function lastContents(service: string, replies: string[]): Promise<[string, string]> {
  const o = outpost[service]!.sink.messages.at(-1)!;
  const ours = await readFile(o.path, 'utf8');
  const theirReply = (await exchangeIds(service, replies)).at(-1)!;
  const theirs = (await postfix!.content(theirReply)).replace(/\r/g, '');
  const strip = (s: string): string => s.replace(/^Received: [^\n]*\n(\t[^\n]*\n)*/, '');
  return [
    strip(ours),
    strip(
      theirs
        .replace(/^\*\*\* (HEADER|BODY) EXTRACTED [^\n]*\n/gm, '')
        .replace(/^\*\*\* MESSAGE FILE END[^\n]*\n?/m, ''),
    ),
  ];
}

const postfixQueueIds: Record<string, string[]> = {};
async function exchangeIds(service: string, _replies: string[]): Promise<string[]> {
  return postfixQueueIds[service] ?? [];
}

/** Like compare, but also remembers the Postfix queue IDs from "queued as" replies. */
async function compareKeepingIds(service: string, steps: RawStep[]): Promise<string[]> {
  const raw = await exchange(postfix!.endpoints[service]!, steps);
  postfixQueueIds[service] = raw.flatMap((r) => /queued as ([0-9A-F]+)/.exec(r)?.[1] ?? []);
  const theirs = normalize(raw);
  const ours = normalize(await exchange(outpost[service]!.endpoint, steps));
  assert.deepEqual(ours, theirs);
  return ours;
}

const HEADERS =
  'From: a@client.example\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <t1@client.example>\r\nSubject: t\r\n\r\n';
const ENVELOPE: RawStep[] = [
  ['EHLO client.example\r\n', 1],
  ['MAIL FROM:<a@client.example>\r\n', 1],
  [`RCPT TO:<user@${HOST}>\r\n`, 1],
  ['DATA\r\n', 1],
];

test('over-long command line: truncated at line_length_limit, rest discarded', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('plain', [
    ['EHLO client.example\r\n', 1],
    [`MAIL FROM:<${'a'.repeat(3000)}@client.example>\r\n`, 1],
    [`NOOP ${'x'.repeat(5000)}\r\n`, 1],
    ['MAIL FROM:<a@client.example>\r\n', 1],
    ['QUIT\r\n', 1],
  ]);
  assert.equal(r[2], '501 5.1.7 Bad sender address syntax');
});

test('NUL bytes in commands', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('plain', [
    ['EHLO client.example\r\n', 1],
    ['NOOP\0garbage\r\n', 1],
    ['MAIL FROM:<a@client.example>\0 SIZE=999999999\r\n', 1],
    ['RCPT TO:<user@mx.outpost.test\0>\r\n', 1],
    ['\0\r\n', 1],
    ['QUIT\r\n', 1],
  ]);
});

test('bare LF in commands: accepted with smtpd_forbid_bare_newline = no', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('plain', [
    ['EHLO client.example\n', 1],
    ['NOOP\r\r\n', 1],
    ['QUIT\n', 1],
  ]);
});

test('bare LF in commands: rejected with smtpd_forbid_bare_newline = reject', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('reject', [
    ['EHLO client.example\r\n', 1],
    ['NOOP\n', 1],
  ]);
  assert.equal(r[2], `550 5.5.2 ${HOST} Error: bare <LF> received`);
  assert.equal(r.at(-1), '<closed>');
  assert.match(
    await outpost.reject!.maillog(),
    /NOQUEUE: reject: EHLO from unknown\[127\.0\.0\.1\]: bare <LF> received/,
  );
});

test('bare LF in commands: normalize accepts them as lines', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('normalize', [
    ['EHLO client.example\n', 1],
    ['NOOP\n', 1],
    ['QUIT\r\n', 1],
  ]);
});

test('bare LF in commands: clients in the exclusions ($mynetworks) are not refused', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('excluded', [
    ['EHLO client.example\n', 1],
    ['QUIT\n', 1],
  ]);
});

// The SMTP smuggling attempt: a bare-LF "." line followed by a second, hidden transaction.
const SMUGGLE =
  HEADERS +
  'first body\n.\r\nMAIL FROM:<evil@client.example>\r\nRCPT TO:<victim@mx.outpost.test>\r\nDATA\r\n' +
  'Subject: smuggled\r\n\r\nhidden\r\n.\r\n';

test('smuggling <LF>.<CR><LF> with forbid = no: the dot ends DATA (Postfix 3.7.11 default)', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compareKeepingIds('plain', [...ENVELOPE, [SMUGGLE, 4], ['QUIT\r\n', 1]]);
  assert.deepEqual(r.slice(5, 9), [
    '250 2.0.0 Ok: queued as ID',
    '250 2.1.0 Ok',
    '250 2.1.5 Ok',
    '354 End data with <CR><LF>.<CR><LF>',
  ]);
});

test('smuggling <LF>.<CR><LF> with forbid = normalize: the dot is dropped, one message', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compareKeepingIds('normalize', [...ENVELOPE, [SMUGGLE, 1], ['QUIT\r\n', 1]]);
  assert.equal(r[5], '250 2.0.0 Ok: queued as ID');
  const [ours, theirs] = await lastContents('normalize', r);
  assert.equal(ours, theirs);
  assert.match(ours, /first body\nMAIL FROM:<evil@client\.example>\n/);
});

test('smuggling <LF>.<CR><LF> with forbid = reject: 550 after the real end of DATA', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('reject', [...ENVELOPE, [SMUGGLE, 1], ['QUIT\r\n', 1]]);
  assert.equal(r[5], `550 5.5.2 ${HOST} Error: bare <LF> received`);
  assert.equal(outpost.reject!.sink.messages.length, 0);
});

test('DATA content: dot-unstuffing, long lines and CRLF are stored as Postfix stores them', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const body = `..leading dot\r\n...two\r\n ${'L'.repeat(5000)}\r\n.x\r\n.\r\n`;
  const r = await compareKeepingIds('plain', [...ENVELOPE, [HEADERS + body, 1], ['QUIT\r\n', 1]]);
  const [ours, theirs] = await lastContents('plain', r);
  // Compared as digests: a failing diff of 5000-character lines helps nobody.
  assert.equal(ours.length, theirs.length);
  assert.ok(ours === theirs, 'stored content differs from Postfix');
});

test('message_size_limit while streaming: content stops, 552 after the dot', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const big = HEADERS + 'x'.repeat(78).concat('\r\n').repeat(60) + '.\r\n';
  const r = await compare('limits', [
    ...ENVELOPE,
    [big, 1],
    ['MAIL FROM:<a@client.example> SIZE=2001\r\n', 1],
    ['MAIL FROM:<a@client.example> SIZE=1000\r\n', 1],
    ['QUIT\r\n', 1],
  ]);
  assert.equal(r[5], '552 5.3.4 Error: message file too big');
  assert.equal(r[6], '552 5.3.4 Message size exceeds fixed limit');
  assert.equal(outpost.limits!.sink.messages.length, 0);
});

test('smtpd_recipient_limit and the overshoot limit', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const rcpts: RawStep[] = Array.from({ length: 6 }, (_, i) => [`RCPT TO:<u${i}@${HOST}>\r\n`, 1] as RawStep);
  const r = await compare('limits', [
    ['EHLO c\r\n', 1],
    ['MAIL FROM:<a@b.example>\r\n', 1],
    ...rcpts,
    ['QUIT\r\n', 1],
  ]);
  assert.equal(r[6], '452 4.5.3 Error: too many recipients');
});

test('smtpd_timeout: idle client gets 421 4.4.2 and is disconnected', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('limits', [
    ['EHLO c\r\n', 1],
    ['', 1],
  ]);
  assert.equal(r[2], `421 4.4.2 ${HOST} Error: timeout exceeded`);
  assert.equal(r.at(-1), '<closed>');
  assert.match(await outpost.limits!.maillog(), /timeout after EHLO from unknown\[127\.0\.0\.1\]/);
});

test('error limits: tarpit after the soft limit, 421 at the hard limit', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const steps: RawStep[] = [
    ['EHLO c\r\n', 1],
    ['BOGUS1\r\n', 1],
    ['BOGUS2\r\n', 1],
    ['BOGUS3\r\n', 1],
    ['BOGUS4\r\n', 2],
  ];
  const start = Date.now();
  const r = await exchange(outpost.errors!.endpoint, steps);
  const elapsed = Date.now() - start;
  assert.deepEqual(normalize(r), normalize(await exchange(postfix!.endpoints.errors!, steps)));
  assert.equal(r.at(-2), `421 4.7.0 ${HOST} Error: too many errors`);
  assert.ok(elapsed >= 1900, `two replies after the soft limit sleep 1 s each (took ${elapsed} ms)`);
});

test('smtpd_junk_command_limit counts NOOP/RSET/VRFY/HELO towards the error limit', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const noops: RawStep[] = Array.from({ length: 8 }, () => ['NOOP\r\n', 1] as RawStep);
  const r = await compare('junk', [['EHLO c\r\n', 1], ...noops.slice(0, 6), ['NOOP\r\n', 1]]);
  assert.match(r.join('\n'), /421 4\.7\.0 mx\.outpost\.test Error: too many errors/);
});

test('unknown commands and mail headers sent as commands', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('plain', [
    ['EHLO c\r\n', 1],
    ['HELP\r\n', 1],
    ['ETRNX\r\n', 1],
    ['   \r\n', 1],
    ['MAIL\r\n', 1],
    ['RCPT TO:<a@b>\r\n', 1],
    ['DATA\r\n', 1],
    ['Subject: hello\r\n', 1],
  ]);
  assert.equal(r.at(-2), '221 2.7.0 Error: I can break rules, too. Goodbye.');
});

test('pipelined transaction from an ESMTP client is answered in order', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const batch = `MAIL FROM:<a@client.example>\r\nRCPT TO:<x@remote.example>\r\nRCPT TO:<user@${HOST}>\r\nDATA\r\n`;
  await compare('pipelining', [
    ['EHLO c\r\n', 1],
    [batch, 4],
    [HEADERS + 'hi\r\n.\r\nQUIT\r\n', 2],
  ]);
});

test('smtpd_forbid_unauth_pipelining: commands sent ahead of EHLO/DATA replies are refused', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('pipelining', [['EHLO c\r\nMAIL FROM:<a@client.example>\r\n', 1]]);
  assert.equal(r[1], '554 5.5.0 Error: SMTP protocol synchronization');
  assert.equal(r.at(-1), '<closed>');
  assert.match(
    await outpost.pipelining!.maillog(),
    /improper command pipelining after EHLO from unknown\[127\.0\.0\.1\]: MAIL FROM:<a@client\.example>\\r\\n/,
  );
});

test('client hangs up during DATA: "lost connection after DATA (N bytes)" like Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const steps: RawStep[] = [...ENVELOPE, [HEADERS + 'partial line one\r\nline two\r\n', 0]];
  await compare('plain', steps);
  const pick = async (log: () => Promise<string>): Promise<string> => {
    for (let i = 0; i < 50; i++) {
      const m = /lost connection after DATA \(\d+ bytes\) from unknown\[127\.0\.0\.1\]/.exec(await log());
      if (m) return m[0];
      await new Promise((r) => setTimeout(r, 100));
    }
    return 'not logged';
  };
  assert.equal(await pick(() => outpost.plain!.maillog()), await pick(() => postfix!.maillog()));
});

test('leading UNIX From_ lines become X-Mailbox-Line: headers, as Postfix stores them', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const content =
    'From sender@client.example Fri Nov 27 10:00:00 2026\r\n>From again\r\n' +
    HEADERS +
    'From here on\r\n.\r\n';
  const r = await compareKeepingIds('plain', [...ENVELOPE, [content, 1], ['QUIT\r\n', 1]]);
  const [ours, theirs] = await lastContents('plain', r);
  assert.equal(ours, theirs);
  assert.match(
    ours,
    /^X-Mailbox-Line: From sender@client\.example Fri Nov 27 10:00:00 2026\nX-Mailbox-Line: >From again\nFrom: /,
  );
});
