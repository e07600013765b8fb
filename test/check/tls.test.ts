// Port/wrappermode mix-ups, credentials without TLS and the "No worthy mechs" predictor.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hasPostfix, needPeer, POSTCONF } from '../helpers/peers.js';
import { BASE, byRule, check, makeConfDir, type ConfDir } from './helpers.js';

const dirs: ConfDir[] = [];
after(() => dirs.forEach((d) => d.cleanup()));

async function run(mainCf: string) {
  const c = makeConfDir('check-tls');
  dirs.push(c);
  c.write('main.cf', BASE + mainCf, 0o644);
  return check(c.dir);
}

test('port 465 without smtp_tls_wrappermode (number, submissions, smtps)', async () => {
  for (const relayhost of [
    '[mail.isp.example]:465',
    '[mail.isp.example]:submissions',
    '[mail.isp.example]:smtps',
  ]) {
    const r = await run(`relayhost = ${relayhost}\nsmtp_tls_security_level = encrypt\n`);
    const [f] = byRule(r, 'wrappermode-missing');
    assert.equal(f?.severity, 'error', relayhost);
    assert.equal(f?.line, 3);
    assert.match(
      f?.message ?? '',
      /Set "smtp_tls_wrappermode = yes".*or use port 587 \("\[mail\.isp\.example\]:submission"\)/,
    );
    assert.equal(r.code, 1);
  }
});

test('smtp_tls_wrappermode = yes with a STARTTLS port or no relayhost', async () => {
  for (const relayhost of [
    '[mail.isp.example]:587',
    '[mail.isp.example]:submission',
    '[mail.isp.example]',
    '',
  ]) {
    const r = await run(
      `relayhost = ${relayhost}\nsmtp_tls_wrappermode = yes\nsmtp_tls_security_level = encrypt\n`,
    );
    const [f] = byRule(r, 'wrappermode-wrong-port');
    assert.equal(f?.severity, 'error', relayhost);
    assert.equal(f?.line, 4);
    assert.match(
      f?.message ?? '',
      relayhost === '' ? /relayhost is empty/ : /Set "smtp_tls_wrappermode = no"/,
    );
  }
});

test('wrappermode needs level encrypt or stronger', async () => {
  let r = await run(
    'relayhost = [mail.isp.example]:465\nsmtp_tls_wrappermode = yes\nsmtp_tls_security_level = may\n',
  );
  assert.match(
    byRule(r, 'wrappermode-level')[0]?.message ?? '',
    /is "may".*Set "smtp_tls_security_level = encrypt"$/,
  );
  r = await run(
    'relayhost = [mail.isp.example]:465\nsmtp_tls_wrappermode = yes\nsmtp_tls_security_level = verify\n',
  );
  assert.deepEqual(r.findings, []);
});

const AUTH =
  'relayhost = [mail.isp.example]:submission\nsmtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = inline:{[mail.isp.example]:submission=u:p}\n';

test('credentials with TLS level none or may', async () => {
  let r = await run(AUTH);
  let [f] = byRule(r, 'sasl-without-tls');
  assert.equal(f?.severity, 'warning');
  assert.equal(f?.parameter, 'smtp_tls_security_level');
  assert.match(
    f?.message ?? '',
    /level "none": the password is sent without encryption\. Set "smtp_tls_security_level = encrypt"/,
  );
  r = await run(AUTH + 'smtp_tls_security_level = may\n');
  [f] = byRule(r, 'sasl-without-tls');
  assert.equal(f?.line, 6);
  assert.match(f?.message ?? '', /removes STARTTLS/);
  // The obsolete smtp_use_tls counts as "may".
  r = await run(AUTH + 'smtp_use_tls = yes\n');
  assert.match(byRule(r, 'sasl-without-tls')[0]?.message ?? '', /level "may"/);
});

test('No worthy mechs: default options forbid PLAIN/LOGIN, naming the parameter to change', async (t) => {
  // Over TLS (encrypt): smtp_sasl_tls_security_options inherits noplaintext.
  let r = await run(AUTH + 'smtp_tls_security_level = encrypt\n');
  let [f] = byRule(r, 'sasl-no-worthy-mechs');
  assert.equal(f?.parameter, 'smtp_sasl_tls_security_options');
  assert.equal(
    f?.message,
    'smtp_sasl_tls_security_options = noplaintext, noanonymous (inherited: $smtp_sasl_security_options) forbids ' +
      'PLAIN and LOGIN, the only mechanisms most ISPs ([mail.isp.example]:submission) offer; authentication then ' +
      'fails with "SASL authentication failure: No worthy mechs found". Set "smtp_sasl_tls_security_options = noanonymous"',
  );
  // Without TLS: the fix is to encrypt, not to allow plaintext passwords in clear.
  r = await run(AUTH);
  [f] = byRule(r, 'sasl-no-worthy-mechs');
  assert.equal(f?.parameter, 'smtp_sasl_security_options');
  assert.match(
    f?.message ?? '',
    /Encrypt first: set "smtp_tls_security_level = encrypt" and "smtp_sasl_tls_security_options = noanonymous"$/,
  );
  // verify uses smtp_sasl_tls_verified_security_options (default $smtp_sasl_tls_security_options).
  r = await run(AUTH + 'smtp_tls_security_level = verify\n');
  assert.equal(byRule(r, 'sasl-no-worthy-mechs')[0]?.parameter, 'smtp_sasl_tls_verified_security_options');
  r = await run(AUTH + 'smtp_tls_security_level = verify\nsmtp_sasl_tls_security_options = noanonymous\n');
  assert.deepEqual(r.findings, []);
  // The defaults the rule relies on are Postfix's.
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const d = spawnSync(
    POSTCONF,
    [
      '-d',
      'smtp_sasl_security_options',
      'smtp_sasl_tls_security_options',
      'smtp_sasl_tls_verified_security_options',
    ],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(
    d.stdout,
    'smtp_sasl_security_options = noplaintext, noanonymous\n' +
      'smtp_sasl_tls_security_options = $smtp_sasl_security_options\n' +
      'smtp_sasl_tls_verified_security_options = $smtp_sasl_tls_security_options\n',
  );
});
