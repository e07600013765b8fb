// Recipient validation at RCPT, differential: smtpd_reject_unlisted_recipient (implicit at the
// end of the recipient restrictions), reject_unlisted_recipient / reject_unlisted_sender named
// in a list, local_recipient_maps (the default proxy:unix:passwd.byname plus aliases),
// virtual_alias_domains/_maps, relay_domains/relay_recipient_maps, the reject codes, and table
// errors. Every reply and every restriction log line must match a private real Postfix 3.7 on
// the same main.cf values and the same texthash: tables.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { startPostfixOracle, type PostfixOracle } from './postfix-oracle.js';
import { startOutpost, type OutpostUnderTest } from './outpost-server.js';
import { compareReplies, restrictionLogs } from './restriction-oracle.js';
import { writeSource } from '../maps/helpers.js';

const MAIN_CF = {
  myhostname: 'mx.outpost.test',
  mydestination: 'mx.outpost.test, localhost',
  recipient_delimiter: '+',
  smtpd_soft_error_limit: '100',
  smtpd_hard_error_limit: '100',
  // 127.0.0.1 (the test client) is outside mynetworks: only our own domains are accepted.
  mynetworks: '127.0.0.2/32',
  // Postfix's proxymap serves only approved tables (its default names $local_recipient_maps,
  // which the oracle sets empty in main.cf; the services below set it with -o).
  proxy_read_maps: 'proxy:unix:passwd.byname',
  // Address classes are decided by trivial-rewrite, which does not see smtpd's -o settings.
  virtual_alias_domains: 'valias.example',
  relay_domains: 'relay.example',
};

let postfix: PostfixOracle | undefined;
const outpost: Record<string, OutpostUnderTest> = {};
let tables = '';

function services(): Record<string, Record<string, string>> {
  const t = (name: string): string => `texthash:${join(tables, name)}`;
  const validation = {
    local_recipient_maps: `proxy:unix:passwd.byname ${t('aliases')}`,
    virtual_alias_maps: t('virtual'),
    relay_recipient_maps: t('relay-recipients'),
  };
  return {
    implicit: validation,
    senders: { ...validation, smtpd_reject_unlisted_sender: 'yes' },
    immediate: { ...validation, smtpd_reject_unlisted_sender: 'yes', smtpd_delay_reject: 'no' },
    explicit: {
      ...validation,
      smtpd_reject_unlisted_recipient: 'no',
      smtpd_recipient_restrictions: `check_recipient_access ${t('access')}, warn_if_reject, reject_unlisted_recipient`,
      smtpd_sender_restrictions: 'reject_unlisted_sender',
    },
    warned: {
      ...validation,
      smtpd_recipient_restrictions: `warn_if_reject, reject_unlisted_recipient, check_recipient_access ${t('access')}`,
    },
    codes: {
      ...validation,
      unknown_local_recipient_reject_code: '450',
      unknown_virtual_alias_reject_code: '551',
      unknown_relay_recipient_reject_code: '450',
      show_user_unknown_table_name: 'no',
    },
    broken: { ...validation, local_recipient_maps: `fail:broken, ${t('aliases')}` },
    empty: { ...validation, local_recipient_maps: '' },
    missing: { ...validation, local_recipient_maps: `hash:${join(tables, 'no-such-aliases')}` },
  };
}

before(async () => {
  if (!hasPostfix()) return;
  tables = await mkdtemp(join(tmpdir(), 'outpost-unlisted-'));
  await chmod(tables, 0o755);
  writeSource(join(tables, 'aliases'), 'team alice, bob\nsales@mx.outpost.test root\n');
  writeSource(
    join(tables, 'virtual'),
    'info@valias.example root\nalias-local@mx.outpost.test root\nrelayed@relay.example root\n',
  );
  writeSource(join(tables, 'relay-recipients'), 'known@relay.example OK\n@open.relay.example OK\n');
  writeSource(join(tables, 'access'), 'let-in@mx.outpost.test OK\n');
  const all = services();
  postfix = await startPostfixOracle(
    MAIN_CF,
    Object.entries(all).map(([name, overrides]) => ({
      name,
      overrides: { ...overrides, syslog_name: `postfix/${name}` },
    })),
  );
  for (const [name, overrides] of Object.entries(all)) {
    outpost[name] = await startOutpost({ ...MAIN_CF, ...overrides });
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
  restrictionLogs(postfix!, outpost[service]!, service, ['reject', 'warn', 'reject_warning', 'discard']);

const RECIPIENTS = [
  'root@mx.outpost.test', // a system account (unix:passwd.byname)
  'Root@MX.outpost.test',
  'root+tag@mx.outpost.test', // recipient_delimiter: the extension is stripped
  'nosuchuser@mx.outpost.test',
  'nosuchuser+tag@mx.outpost.test',
  'team@localhost', // an alias
  'team+x@localhost',
  'sales@mx.outpost.test', // an alias keyed by the full address
  'sales@localhost',
  'alias-local@mx.outpost.test', // known through virtual_alias_maps
  'postmaster@mx.outpost.test', // never refused
  'MAILER-DAEMON@mx.outpost.test',
  'double-bounce@mx.outpost.test',
  'nosuchuser', // unqualified: @$myorigin
  'nosuchuser@[127.0.0.1]', // an address literal of inet_interfaces
  'root@[127.0.0.1]',
  '"no such"@mx.outpost.test',
  'info@valias.example', // virtual alias domain
  'other@valias.example',
  'known@relay.example', // relay_recipient_maps
  'unknown@relay.example',
  'anyone@open.relay.example',
  'relayed@relay.example',
  'x@remote.example', // not ours: relay access denied
  'let-in@mx.outpost.test',
];

const rcptSteps = (sender: string): string[] => [
  `MAIL FROM:<${sender}>`,
  ...RECIPIENTS.map((r) => `RCPT TO:<${r}>`),
  'RSET',
];

test('smtpd_reject_unlisted_recipient = yes (the default): unknown local, virtual alias and relay users refused as Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('implicit', ['EHLO client.example', ...rcptSteps('someone@example.com'), 'QUIT']);
  assert.ok(
    r.includes(
      '550 5.1.1 <nosuchuser@mx.outpost.test>: Recipient address rejected: User unknown in local recipient table',
    ),
    r.join('\n'),
  );
  assert.ok(r.some((l) => /^550 5\.1\.1 .*User unknown in virtual alias table$/.test(l)));
  assert.ok(r.some((l) => /^550 5\.1\.1 .*User unknown in relay recipient table$/.test(l)));
  const { ours, theirs } = await restrictionLog('implicit');
  assert.ok(ours.length >= 8, ours.join('\n'));
  assert.deepEqual(ours, theirs);
});

test('smtpd_reject_unlisted_sender = yes: unknown senders in our domains refused at RCPT (delayed) and at MAIL', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const senders = [
    'nosuchuser@mx.outpost.test',
    'root@mx.outpost.test',
    'other@valias.example',
    'unknown@relay.example',
    'someone@example.com',
    '',
  ];
  for (const service of ['senders', 'immediate']) {
    const steps = ['EHLO client.example'];
    for (const s of senders) steps.push(`MAIL FROM:<${s}>`, 'RCPT TO:<root@mx.outpost.test>', 'RSET');
    const r = await compare(service, [...steps, 'QUIT']);
    assert.ok(r.some((l) => /Sender address rejected: User unknown in local recipient table/.test(l)));
    const { ours, theirs } = await restrictionLog(service);
    assert.deepEqual(ours, theirs);
  }
});

test('reject_unlisted_recipient / _sender named in the lists: placement, warn_if_reject, no implicit rerun', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const service of ['explicit', 'warned']) {
    const r = await compare(service, [
      'EHLO client.example',
      ...rcptSteps('someone@example.com'),
      ...rcptSteps('nosuchuser@mx.outpost.test'),
      'QUIT',
    ]);
    assert.ok(r.length > 20);
    const { ours, theirs } = await restrictionLog(service);
    assert.ok(
      ours.some((l) => l.includes('reject_warning: RCPT')),
      ours.join('\n'),
    );
    assert.deepEqual(ours, theirs);
  }
});

test('unknown_*_reject_code and show_user_unknown_table_name = no', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  // Not other@valias.example: Postfix words that refusal in trivial-rewrite, which does not
  // see this service's -o show_user_unknown_table_name = no (Outpost, one process, would).
  const steps = rcptSteps('someone@example.com').filter((l) => !l.includes('other@valias'));
  const r = await compare('codes', ['EHLO client.example', ...steps, 'QUIT']);
  assert.ok(r.includes('450 4.1.1 <nosuchuser@mx.outpost.test>: Recipient address rejected: User unknown'));
  const { ours, theirs } = await restrictionLog('codes');
  assert.deepEqual(ours, theirs);
});

test('a local_recipient_maps table that cannot answer: 451 4.3.0 Temporary lookup failure; empty = no check', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = await compare('broken', ['EHLO client.example', ...rcptSteps('someone@example.com'), 'QUIT']);
  assert.ok(r.some((l) => /^451 4\.3\.0 <nosuchuser@mx\.outpost\.test>: Temporary lookup failure$/.test(l)));
  const { ours, theirs } = await restrictionLog('broken');
  assert.ok(ours.some((l) => l.startsWith('warning: fail:broken lookup error for')));
  assert.deepEqual(ours, theirs);
  // A table that cannot be opened: Postfix's surrogate says why with every lookup.
  await compare('missing', [
    'EHLO client.example',
    'MAIL FROM:<a@example.com>',
    'RCPT TO:<root@localhost>',
    'QUIT',
  ]);
  const missing = await restrictionLog('missing');
  assert.ok(
    missing.ours.some((l) => l.includes('is unavailable.')),
    missing.ours.join('\n'),
  );
  assert.deepEqual(missing.ours, missing.theirs);
  const e = await compare('empty', ['EHLO client.example', ...rcptSteps('someone@example.com'), 'QUIT']);
  assert.ok(e.includes('250 2.1.5 Ok'));
  assert.ok(!e.some((l) => l.includes('local recipient table')));
});
