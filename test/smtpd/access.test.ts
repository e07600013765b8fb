// Access restrictions, differential: smtpd_client/helo/sender/recipient/data_restrictions and
// check_*_access tables, against a private real Postfix 3.7 on the same main.cf values and the
// same table sources (texthash: read by both; hash: built by each side's own postmap). Every
// reply must match, and so must the restriction log lines (reject, warn, hold, discard).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { startPostfixOracle, type PostfixOracle } from './postfix-oracle.js';
import { startOutpost, type OutpostUnderTest } from './outpost-server.js';
import { compareReplies, normalizeReplies, restrictionLogs } from './restriction-oracle.js';
import { exchange } from './smtp-dialogue.js';
import { realPostmap, ourPostmap, writeSource } from '../maps/helpers.js';

const MAIN_CF = {
  myhostname: 'mx.outpost.test',
  mydestination: '$myhostname, localhost',
  recipient_delimiter: '+',
  smtpd_soft_error_limit: '100',
  smtpd_hard_error_limit: '100',
  // 127.0.0.1 (the test client) is outside mynetworks.
  mynetworks: '127.0.0.2/32',
};

const CLIENT_TABLE = `
127.0 WARN client network warning
`;
const HELO_TABLE = `
bad.helo.example REJECT go away
held.example HOLD
example.net 550 5.1.1 helo says no
tempfail.example DEFER
`;
const SENDER_TABLE = `
hold@example.com HOLD
hold2@example.com HOLD held for review
discard@example.com DISCARD
rej@example.com REJECT
rej2@example.com REJECT 5.7.9 custom text
deferme@example.com DEFER
dip@example.com DEFER_IF_PERMIT
dir@example.com DEFER_IF_REJECT
c2@example.com 450 4.1.1 mapped
c3@example.com 550 5.1.1 bad user
c4@example.com 421 closing
bad.example REJECT domain blocked
info@example.com INFO some info
prep@example.com PREPEND X-Test: yes
nested@example.com permit_mynetworks, reject
classy@example.com ourclass
<> REJECT null sender refused
num@example.com 12345
lp@ REJECT localpart match
badcode@example.com 650 weird code
warned@example.com warn_if_reject, reject
user@example.org REJECT no extensions either
`;
const RECIPIENT_TABLE = `
blocked@mx.outpost.test REJECT
tmp@mx.outpost.test 451 4.2.0 busy
@mx.outpost.test REJECT at-domain keys are not used
rd@mx.outpost.test DISCARD
remote.example OK
`;

let postfix: PostfixOracle | undefined;
const outpost: Record<string, OutpostUnderTest> = {};
let tables = '';

/** The per-service restriction settings; `rcptTable` differs (each side's own hash: file). */
function services(rcptTable: string): Record<string, Record<string, string>> {
  const t = (name: string): string => `texthash:${join(tables, name)}`;
  const lists = {
    smtpd_client_restrictions: `check_client_access ${t('client')}`,
    smtpd_helo_restrictions: `check_helo_access ${t('helo')}`,
    smtpd_sender_restrictions: `check_sender_access ${t('sender')}`,
    smtpd_recipient_restrictions: `check_recipient_access ${rcptTable}`,
    smtpd_restriction_classes: 'ourclass',
    ourclass: 'reject_non_fqdn_helo_hostname, defer',
  };
  return {
    delayed: lists,
    immediate: { ...lists, smtpd_delay_reject: 'no' },
    syntax: {
      smtpd_helo_restrictions: 'reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname',
      smtpd_sender_restrictions: 'reject_non_fqdn_sender',
      smtpd_recipient_restrictions: 'reject_non_fqdn_recipient',
      smtpd_data_restrictions: 'reject_unauth_pipelining, defer_if_permit',
    },
    broken: {
      smtpd_sender_restrictions: `check_sender_access fail:broken, ${t('sender')}`,
    },
    refused: {
      smtpd_delay_reject: 'no',
      smtpd_client_restrictions: `${t('client')}, reject`,
    },
  };
}

before(async () => {
  if (!hasPostfix()) return;
  tables = await mkdtemp(join(tmpdir(), 'outpost-access-'));
  await chmod(tables, 0o755);
  writeSource(join(tables, 'client'), CLIENT_TABLE);
  writeSource(join(tables, 'helo'), HELO_TABLE);
  writeSource(join(tables, 'sender'), SENDER_TABLE);
  writeSource(join(tables, 'pf-recipient'), RECIPIENT_TABLE);
  writeSource(join(tables, 'op-recipient'), RECIPIENT_TABLE);
  const conf = join(tables, 'conf');
  await import('node:fs/promises').then((fs) => fs.mkdir(conf));
  writeSource(join(conf, 'main.cf'), 'compatibility_level = 3.7\n');
  assert.equal(realPostmap([`hash:${join(tables, 'pf-recipient')}`], conf, tables).status, 0);
  assert.equal(ourPostmap([`hash:${join(tables, 'op-recipient')}`], conf, tables).status, 0);
  const theirs = services(`hash:${join(tables, 'pf-recipient')}`);
  postfix = await startPostfixOracle(
    MAIN_CF,
    // Its own syslog_name per service, so each service's lines can be told apart in the one log.
    Object.entries(theirs).map(([name, overrides]) => ({
      name,
      overrides: { ...overrides, syslog_name: `postfix/${name}` },
    })),
  );
  const ours = services(`hash:${join(tables, 'op-recipient')}`);
  for (const [name, overrides] of Object.entries(ours)) {
    outpost[name] = await startOutpost({
      ...MAIN_CF,
      mydestination: 'mx.outpost.test, localhost',
      ...overrides,
    });
  }
});

after(async () => {
  await postfix?.stop();
  for (const o of Object.values(outpost)) await o.stop();
  if (tables) await rm(tables, { recursive: true, force: true });
});

const compare = (service: string, steps: string[]): Promise<string[]> =>
  compareReplies(postfix!, outpost[service]!, service, steps);

const restrictionLog = (service: string): Promise<{ ours: string[]; theirs: string[] }> =>
  restrictionLogs(postfix!, outpost[service]!, service, [
    'reject',
    'warn',
    'hold',
    'discard',
    'info',
    'reject_warning',
  ]);

const TRY_SENDERS = [
  'rej@example.com',
  'rej2@example.com',
  'deferme@example.com',
  'c2@example.com',
  'c3@example.com',
  'x@sub.bad.example',
  'info@example.com',
  'nested@example.com',
  'num@example.com',
  'lp@anywhere.example',
  'badcode@example.com',
  'warned@example.com',
  'user+tag@example.org',
  'nobody@nowhere.example',
  '',
];

function senderProbes(): string[] {
  const steps: string[] = [];
  for (const sender of TRY_SENDERS) {
    steps.push(`MAIL FROM:<${sender}>`, 'RCPT TO:<u@mx.outpost.test>', 'RSET');
  }
  return steps;
}

const RCPT_PROBES = [
  'MAIL FROM:<ok@example.com>',
  'RCPT TO:<blocked@mx.outpost.test>',
  'RCPT TO:<Blocked+ext@MX.outpost.test>',
  'RCPT TO:<tmp@mx.outpost.test>',
  'RCPT TO:<other@mx.outpost.test>',
  'RCPT TO:<x@remote.example>',
  'RCPT TO:<postmaster>',
  'RSET',
  'MAIL FROM:<dip@example.com>',
  'RCPT TO:<u@mx.outpost.test>',
  'RSET',
  'MAIL FROM:<dir@example.com>',
  'RCPT TO:<blocked@mx.outpost.test>',
  'RCPT TO:<x@remote.example>',
  'RCPT TO:<u@mx.outpost.test>',
  'RSET',
];

const MESSAGE = 'Subject: access test\r\n\r\nbody\r\n.';

test('delayed restrictions (the default): senders, recipients and helo names decided at RCPT like Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('delayed', ['EHLO client.example', ...senderProbes(), ...RCPT_PROBES, 'QUIT']);
  for (const helo of ['bad.helo.example', 'sub.example.net', 'tempfail.example', 'localhost']) {
    await compare('delayed', [
      `HELO ${helo}`,
      'MAIL FROM:<a@example.com>',
      'RCPT TO:<u@mx.outpost.test>',
      'QUIT',
    ]);
  }
  await compare('delayed', [
    'EHLO c.example',
    'MAIL FROM:<classy@example.com>',
    'RCPT TO:<u@mx.outpost.test>',
    'QUIT',
  ]);
  await compare('delayed', [
    'EHLO c.example',
    'MAIL FROM:<c4@example.com>',
    'RCPT TO:<u@mx.outpost.test>',
    'NOOP',
  ]);
  const { ours, theirs } = await restrictionLog('delayed');
  assert.ok(ours.length > 20, ours.join('\n'));
  assert.deepEqual(ours, theirs);
});

test('HOLD, DISCARD and PREPEND: accepted with 250 like Postfix, logged as hold:/discard:', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const before = outpost.delayed!.sink.messages.length;
  await compare('delayed', [
    'EHLO client.example',
    'MAIL FROM:<hold@example.com>',
    'RCPT TO:<u@mx.outpost.test>',
    'RCPT TO:<u2@mx.outpost.test>',
    'DATA',
    MESSAGE,
    'MAIL FROM:<hold2@example.com>',
    'RCPT TO:<u@mx.outpost.test>',
    'RSET',
    'MAIL FROM:<discard@example.com>',
    'RCPT TO:<u@mx.outpost.test>',
    'RCPT TO:<blocked@mx.outpost.test>',
    'DATA',
    MESSAGE,
    'MAIL FROM:<ok@example.com>',
    'RCPT TO:<rd@mx.outpost.test>',
    'DATA',
    MESSAGE,
    'MAIL FROM:<prep@example.com>',
    'RCPT TO:<u@mx.outpost.test>',
    'DATA',
    MESSAGE,
    'QUIT',
  ]);
  const { ours, theirs } = await restrictionLog('delayed');
  assert.deepEqual(ours, theirs);
  assert.ok(ours.some((l) => /^NOQUEUE: hold: RCPT from .*Sender address triggers HOLD action/.test(l)));
  assert.ok(
    ours.some((l) => /^NOQUEUE: discard: RCPT from .*Recipient address triggers DISCARD action/.test(l)),
  );
  // Two messages were kept (the held one and the prepended one), the discarded ones were not.
  const kept = outpost.delayed!.sink.messages.slice(before);
  assert.deepEqual(
    kept.map((m) => m.envelope.sender),
    ['hold@example.com', 'prep@example.com'],
  );
  const { readFile } = await import('node:fs/promises');
  assert.match(await readFile(kept[1]!.path, 'utf8'), /^X-Test: yes\nReceived: /);
});

test('smtpd_delay_reject = no: each list at its own command, same replies as Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('immediate', ['EHLO client.example', ...senderProbes(), ...RCPT_PROBES, 'QUIT']);
  for (const helo of ['bad.helo.example', 'held.example', 'sub.example.net']) {
    await compare('immediate', [
      `EHLO ${helo}`,
      'MAIL FROM:<hold@example.com>',
      'RCPT TO:<u@mx.outpost.test>',
      'QUIT',
    ]);
  }
  const { ours, theirs } = await restrictionLog('immediate');
  assert.deepEqual(ours, theirs);
});

test('a client refused at connect (delay_reject = no) gets the refusal as greeting, then 503 until QUIT', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('refused', ['EHLO client.example', 'MAIL FROM:<a@example.com>', 'FOO', 'QUIT']);
  assert.match(r[0]!, /^554 5\.7\.1 <unknown\[127\.0\.0\.1\]>: Client host rejected: Access denied/);
  const { ours, theirs } = await restrictionLog('refused');
  assert.deepEqual(ours, theirs);
});

test('syntax restrictions: reject_invalid/non_fqdn_helo_hostname, reject_non_fqdn_sender/recipient', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const helos = [
    'host',
    'host.example.',
    'bad_name.example',
    '-bad.example',
    '1.2.3.4',
    '[1.2.3.4]',
    '[1.2.3.999]',
    'a..b',
  ];
  for (const helo of helos) {
    await compare('syntax', [
      `HELO ${helo}`,
      'MAIL FROM:<a@b.example>',
      'RCPT TO:<u@mx.outpost.test>',
      'QUIT',
    ]);
  }
  await compare('syntax', [
    'EHLO good.example',
    'MAIL FROM:<a@b>',
    'RCPT TO:<u@mx.outpost.test>',
    'RSET',
    'MAIL FROM:<a@[192.0.2.1]>',
    'RCPT TO:<u@mx.outpost.test>',
    'RCPT TO:<u@localhost>',
    'RCPT TO:<postmaster>',
    'RCPT TO:<u>',
    'DATA',
    'QUIT',
  ]);
  const { ours, theirs } = await restrictionLog('syntax');
  for (const text of [
    'need fully-qualified hostname',
    'Invalid name',
    'invalid ip address',
    'need fully-qualified address',
    'Data command rejected',
  ]) {
    assert.ok(
      ours.some((l) => l.includes(text)),
      text,
    );
  }
  assert.deepEqual(ours, theirs);
});

test('a table that cannot answer gives 451 4.3.5 Server configuration error, never acceptance', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('broken', [
    'EHLO client.example',
    'MAIL FROM:<anyone@example.com>',
    'RCPT TO:<u@mx.outpost.test>',
    'QUIT',
  ]);
  const { ours, theirs } = await restrictionLog('broken');
  assert.ok(ours.some((l) => l.includes('451 4.3.5')));
  assert.deepEqual(ours, theirs);
});

test('pipelined RCPTs with table lookups are answered in order, in one batch, like Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const batch =
    'MAIL FROM:<dir@example.com>\r\nRCPT TO:<blocked@mx.outpost.test>\r\nRCPT TO:<u@mx.outpost.test>\r\n' +
    'RCPT TO:<tmp@mx.outpost.test>\r\nRCPT TO:<rd@mx.outpost.test>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\n';
  const steps: [string, number][] = [
    ['EHLO client.example\r\n', 1],
    [batch, 7],
    ['Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n', 2],
  ];
  const expected = normalizeReplies(await exchange(postfix!.endpoints.delayed!, steps));
  const actual = normalizeReplies(await exchange(outpost.delayed!.endpoint, steps));
  assert.deepEqual(actual, expected);
  assert.match(actual[3]!, /^554 5\.7\.1 <blocked@mx\.outpost\.test>/);
});
