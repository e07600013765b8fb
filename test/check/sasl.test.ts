// sasl_passwd rules: keys that relayhost lookups never find, sender-dependent credentials, and
// file permissions. The key semantics are confirmed with the real Postfix postmap.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfigDir } from '../../src/check/index.js';
import { hasPostfix, needPeer, POSTMAP } from '../helpers/peers.js';
import { BASE, age, byRule, check, makeConfDir, type ConfDir } from './helpers.js';

const dirs: ConfDir[] = [];
after(() => dirs.forEach((d) => d.cleanup()));

const SASL =
  'smtp_sasl_auth_enable = yes\nsmtp_tls_security_level = encrypt\nsmtp_sasl_tls_security_options = noanonymous\n';

/** A config dir with relayhost and a compiled sasl_passwd holding `passwd`. */
function setup(relayhost: string, passwd: string, extra = ''): ConfDir {
  const c = makeConfDir('check-sasl');
  dirs.push(c);
  c.write(
    'main.cf',
    `${BASE}relayhost = ${relayhost}\n${SASL}smtp_sasl_password_maps = hash:@D@/sasl_passwd\n${extra}`,
    0o644,
  );
  age(c.write('sasl_passwd', passwd), 60);
  c.postmap('hash:@D@/sasl_passwd');
  return c;
}

/** Real Postfix's answer for a key in a texthash copy of the same source: found or not. */
function postfixFinds(c: ConfDir, key: string): boolean {
  const r = spawnSync(POSTMAP, ['-c', c.dir, '-q', key, `texthash:${join(c.dir, 'sasl_passwd')}`], {
    encoding: 'utf8',
  });
  return r.status === 0;
}

test('[host]:submission relayhost vs [host]:587 key: error at the key line, names the key to use', async (t) => {
  const c = setup('[mail.isp.example]:submission', '# ISP\n[mail.isp.example]:587 user:secret\n');
  const r = await check(c.dir);
  const [f] = byRule(r, 'sasl-passwd-key-mismatch');
  assert.equal(f?.severity, 'error');
  assert.equal(f?.file, join(c.dir, 'sasl_passwd'));
  assert.equal(f?.line, 2);
  assert.equal(
    f?.message,
    `relayhost is "[mail.isp.example]:submission" but ${c.dir}/sasl_passwd has the key "[mail.isp.example]:587"; ` +
      'the smtp client looks up only "mail.isp.example" and "[mail.isp.example]:submission" and will send mail ' +
      `unauthenticated. Change the key to "[mail.isp.example]:submission", then run "postmap ${c.dir}/sasl_passwd"`,
  );
  assert.equal(r.code, 1);
  // Postfix's own tables agree: neither key the client tries is in the file, the other form is.
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  assert.equal(postfixFinds(c, 'mail.isp.example'), false);
  assert.equal(postfixFinds(c, '[mail.isp.example]:submission'), false);
  assert.equal(postfixFinds(c, '[mail.isp.example]:587'), true);
});

test('[host]:587 relayhost vs [host]:submission key is a mismatch too', async () => {
  const c = setup('[mail.isp.example]:587', '[mail.isp.example]:submission user:secret\n');
  const [f] = byRule(await check(c.dir), 'sasl-passwd-key-mismatch');
  assert.match(
    f?.message ?? '',
    /has the key "\[mail\.isp\.example\]:submission".*Change the key to "\[mail\.isp\.example\]:587"/,
  );
});

test('keys the client does find: the bare host name and the relayhost verbatim (any case)', async () => {
  for (const [relayhost, key] of [
    ['[mail.isp.example]', '[mail.isp.example]'],
    ['[mail.isp.example]', 'mail.isp.example'],
    ['[mail.isp.example]:submission', 'mail.isp.example'],
    ['[mail.isp.example]:submission', '[MAIL.isp.example]:submission'],
    ['[mail.isp.example]:465', '[mail.isp.example]:465'],
  ] as const) {
    const c = setup(
      relayhost,
      `${key} user:secret\n`,
      relayhost.endsWith(':465') ? 'smtp_tls_wrappermode = yes\n' : '',
    );
    const r = await check(c.dir);
    assert.deepEqual(r.findings, [], `${relayhost} / ${key}`);
  }
});

test('no entry at all: says which line to add', async () => {
  const c = setup('[mail.isp.example]:submission', 'other.example user:secret\n');
  const [f] = byRule(await check(c.dir), 'sasl-passwd-key-mismatch');
  assert.equal(f?.file, join(c.dir, 'main.cf'));
  assert.equal(f?.parameter, 'smtp_sasl_password_maps');
  assert.match(
    f?.message ?? '',
    /has no entry for it .*Add "\[mail\.isp\.example\]:submission username:password" to /,
  );
});

test('unbracketed relayhost with a bracketed key', async () => {
  const c = setup('mail.isp.example:587', '[mail.isp.example]:587 user:secret\n');
  const r = await check(c.dir);
  assert.match(
    byRule(r, 'sasl-passwd-key-mismatch')[0]?.message ?? '',
    /Change the key to "mail\.isp\.example:587"/,
  );
  assert.equal(byRule(r, 'relayhost-unbracketed').length, 1);
});

test('smtp_sasl_auth_enable without smtp_sasl_password_maps', async () => {
  const c = makeConfDir('check-sasl');
  dirs.push(c);
  c.write('main.cf', `${BASE}relayhost = [mail.isp.example]\n${SASL}`, 0o644);
  const r = await check(c.dir);
  const [f] = byRule(r, 'sasl-password-maps-empty');
  assert.equal(f?.severity, 'error');
  assert.equal(f?.line, 4);
  assert.match(f?.message ?? '', /Set "smtp_sasl_password_maps = hash:\/etc\/postfix\/sasl_passwd"/);
});

test('sender-dependent relays need credentials by sender or relay', async () => {
  const c = setup(
    '[mail.isp.example]',
    '[mail.isp.example] u:p\nuser1@example.com u1:p1\n[relay.example.org]:587 u3:p3\n',
    'smtp_sender_dependent_authentication = yes\nsender_dependent_relayhost_maps = hash:@D@/sender_relay\n',
  );
  age(
    c.write(
      'sender_relay',
      'user1@example.com [mail.example.com]:submission\n@example.net [smtp.example.net]:submission\n' +
        'user2@example.org [relay.example.org]:587\nuser3@example.org DUNNO\n',
      0o644,
    ),
    60,
  );
  c.postmap('hash:@D@/sender_relay');
  const found = byRule(await check(c.dir), 'sender-relay-sasl-key-missing');
  assert.equal(found.length, 1);
  assert.equal(found[0]?.severity, 'warning');
  assert.match(
    found[0]?.message ?? '',
    /^the relay for sender "@example\.net" \(.*sender_relay\) is "\[smtp\.example\.net\]:submission" but .* has no entry/,
  );
});

test('sender_dependent_relayhost_maps with smtp_sender_dependent_authentication = no', async () => {
  const c = setup(
    '[mail.isp.example]',
    '[mail.isp.example] u:p\n',
    'sender_dependent_relayhost_maps = inline:{user1@example.com=[mail.example.com]}\n',
  );
  const [f] = byRule(await check(c.dir), 'sender-relay-without-sender-auth');
  assert.equal(f?.severity, 'warning');
  assert.match(f?.message ?? '', /Set "smtp_sender_dependent_authentication = yes"$/);
});

test('password files readable by others (error) or the group (warning)', async () => {
  const c = setup('[mail.isp.example]', '[mail.isp.example] u:p\n');
  chmodSync(join(c.dir, 'sasl_passwd'), 0o644);
  chmodSync(join(c.dir, 'sasl_passwd.db'), 0o640);
  const r = await check(c.dir);
  const found = byRule(r, 'sasl-passwd-readable');
  assert.deepEqual(
    found.map((f) => [f.file, f.severity]),
    [
      [join(c.dir, 'sasl_passwd'), 'error'],
      [join(c.dir, 'sasl_passwd.db'), 'warning'],
    ],
  );
  assert.match(found[0]?.message ?? '', /\(mode 0644\) .*every user.*Run "chmod 0600 /);
  assert.match(found[1]?.message ?? '', /members of its group/);
  assert.equal(r.code, 1);
});

test('password files not owned by root, when checking as root', async (t) => {
  const c = setup('[mail.isp.example]', '[mail.isp.example] u:p\n');
  if (process.getuid?.() !== 0) {
    t.skip('needs root to chown');
    return;
  }
  chownSync(join(c.dir, 'sasl_passwd'), 65534, 65534);
  const asRoot = await checkConfigDir(c.dir, { uid: 0 });
  const [f] = asRoot.filter((x) => x.rule === 'sasl-passwd-owner');
  assert.equal(f?.file, join(c.dir, 'sasl_passwd'));
  assert.match(f?.message ?? '', /owned by uid 65534.*Run "chown root:root /);
  const asUser = await checkConfigDir(c.dir, { uid: 1000 });
  assert.deepEqual(
    asUser.filter((x) => x.rule === 'sasl-passwd-owner'),
    [],
  );
});

test('before postmap ran, keys are checked in the source file', async () => {
  const c = makeConfDir('check-sasl');
  dirs.push(c);
  c.write(
    'main.cf',
    `${BASE}relayhost = [mail.isp.example]:587\n${SASL}smtp_sasl_password_maps = hash:@D@/sasl_passwd\n`,
    0o644,
  );
  c.write('sasl_passwd', 'mail.isp.example:587 user:secret\n');
  const r = await check(c.dir);
  assert.deepEqual(
    r.findings.map((f) => [f.rule, f.file, f.line]),
    [
      ['sasl-passwd-key-mismatch', join(c.dir, 'sasl_passwd'), 1],
      ['table-not-compiled', join(c.dir, 'main.cf'), 7],
    ],
  );
});
