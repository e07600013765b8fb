// Relay control, differential: the same SMTP dialogue from the same client address (127.0.0.1)
// against a private real Postfix 3.7 and against Outpost, configured from the same main.cf
// values. Replies must be identical (host names aside), including the classic open-relay
// probes with quoted, percent, bang and source-routed recipients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { startPostfixOracle, type PostfixOracle } from './postfix-oracle.js';
import { startOutpost, type OutpostUnderTest } from './outpost-server.js';
import { dialogue } from './smtp-dialogue.js';

const MAIN_CF = {
  myhostname: 'mx.outpost.test',
  mydestination: '$myhostname, localhost',
  relay_domains: 'relay.example',
  // No tarpit delays in this file; error limits have their own tests.
  smtpd_soft_error_limit: '100',
  smtpd_hard_error_limit: '100',
};
// mynetworks per service: 127.0.0.1 is outside in "outside", inside in "lan".
const OUTSIDE = { mynetworks: '127.0.0.2/32' };
const LAN = { mynetworks: '127.0.0.0/8, [::1]/128' };
const SASL_ONLY = {
  mynetworks: '127.0.0.0/8',
  smtpd_relay_restrictions: '',
  smtpd_recipient_restrictions: 'permit_sasl_authenticated, reject',
};

let postfix: PostfixOracle | undefined;
const outpost: Record<string, OutpostUnderTest> = {};

before(async () => {
  if (!hasPostfix()) return;
  postfix = await startPostfixOracle(MAIN_CF, [
    { name: 'outside', overrides: OUTSIDE },
    { name: 'lan', overrides: LAN },
    { name: 'saslonly', overrides: SASL_ONLY },
    {
      name: 'reject',
      overrides: { ...OUTSIDE, smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination' },
    },
  ]);
  const expand = (p: Record<string, string>): Record<string, string> => ({
    ...MAIN_CF,
    mydestination: 'mx.outpost.test, localhost',
    ...p,
  });
  outpost.outside = await startOutpost(expand(OUTSIDE));
  outpost.lan = await startOutpost(expand(LAN));
  outpost.saslonly = await startOutpost(expand(SASL_ONLY));
  outpost.reject = await startOutpost(
    expand({ ...OUTSIDE, smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination' }),
  );
});

after(async () => {
  await postfix?.stop();
  for (const o of Object.values(outpost)) await o.stop();
});

const RELAY_PROBES = [
  'EHLO client.example',
  'MAIL FROM:<sender@client.example>',
  'RCPT TO:<someone@remote.example>',
  'RCPT TO:<user@mx.outpost.test>',
  'RCPT TO:<USER@MX.OUTPOST.TEST.>',
  'RCPT TO:<postmaster>',
  'RCPT TO:<user@localhost>',
  'RCPT TO:<"someone@remote.example"@mx.outpost.test>',
  'RCPT TO:<someone%remote.example@mx.outpost.test>',
  'RCPT TO:<remote.example!someone@mx.outpost.test>',
  'RCPT TO:<someone@remote.example@mx.outpost.test>',
  'RCPT TO:<@mx.outpost.test:someone@remote.example>',
  'RCPT TO:<someone%localhost@mx.outpost.test>',
  'RCPT TO:<user@[127.0.0.1]>',
  'RCPT TO:<user@[192.0.2.1]>',
  'RCPT TO:<x@relay.example>',
  'RCPT TO:<x@sub.relay.example>',
  'RCPT TO:<x%y@relay.example>',
  'RCPT TO:<x@notrelay.example>',
  'RCPT TO:user@mx.outpost.test',
  'RCPT TO: <user@mx.outpost.test>',
  'RCPT TO:<>',
  'RCPT TO:<user@mx.outpost.test> FOO=bar',
  'RCPT TO:<user@mx.outpost.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;user+2Bx@mx.outpost.test',
  'RCPT TO:<user@mx.outpost.test> NOTIFY=NEVER,SUCCESS',
  'RCPT TO:<user@mx.outpost.test> ORCPT=bogus',
  'RSET',
  'MAIL FROM:<> SIZE=20000000',
  'MAIL FROM:<>',
  'RSET',
  'MAIL FROM:<> BODY=8BITMIME RET=HDRS ENVID=abc',
  'MAIL FROM:<x@y>',
  'QUIT',
];

async function compare(service: string, steps: string[]): Promise<void> {
  const expected = await dialogue(postfix!.endpoints[service]!, steps);
  const actual = await dialogue(outpost[service]!.endpoint, steps);
  const norm = (r: string[]): string[] =>
    r.map((x) => x.replace(/ ESMTP Postfix.*$/, ' ESMTP').replace(/^250-(ETRN|CHUNKING)\r\n/gm, ''));
  // Outpost does not offer ETRN and CHUNKING; every other reply must match.
  const expectedEhloFixed = norm(expected).map((r) =>
    r.startsWith('250-mx.outpost.test') ? r.replace(/\r\n250-ETRN/, '').replace(/\r\n250 CHUNKING$/, '') : r,
  );
  const actualFixed = norm(actual).map((r) =>
    r.startsWith('250-mx.outpost.test') ? r.replace(/\r\n250 SMTPUTF8$/, '\r\n250-SMTPUTF8') : r,
  );
  assert.deepEqual(actualFixed, expectedEhloFixed);
}

test('client outside mynetworks: relay probes get the same replies as Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('outside', RELAY_PROBES);
  // The log lines (refusals, warnings, the disconnect counts) match Postfix's own log, except
  // that Postfix opens its queue file at the first accepted RCPT and then logs the queue ID
  // where Outpost (which hands over at DATA) still says NOQUEUE.
  const strip = (log: string): string[] =>
    log
      .split('\n')
      .filter((l) => / postfix\/smtpd\[/.test(l))
      .map((l) =>
        l.replace(/^.* postfix\/smtpd\[\d+\]: /, '').replace(/^[0-9A-F]{8,}: reject:/, 'NOQUEUE: reject:'),
      )
      .filter(
        (l) =>
          !/^(connect from|lost connection after CONNECT|[0-9A-F]+: client=)/.test(l) &&
          !/commands=0\/0$/.test(l),
      );
  let theirs: string[] = [];
  for (let i = 0; i < 50 && !theirs.some((l) => l.startsWith('disconnect')); i++) {
    await new Promise((r) => setTimeout(r, 100));
    theirs = strip(await postfix!.maillog());
  }
  const ours = strip(await outpost.outside!.maillog());
  assert.ok(ours.length > 10);
  assert.deepEqual(ours, theirs);
});

test('client in mynetworks: relaying is permitted, same as Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('lan', RELAY_PROBES);
});

test('reject_unauth_destination gives 554 5.7.1, same as Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('reject', RELAY_PROBES.slice(0, 12));
});

test('permit_sasl_authenticated, reject: unauthenticated clients are refused like Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  await compare('saslonly', ['EHLO pc', 'MAIL FROM:<a@b.example>', 'RCPT TO:<user@mx.outpost.test>', 'QUIT']);
});
