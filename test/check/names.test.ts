// Fantasy host names, relayhost syntax and misspelt parameter names.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer, POSTCONF } from '../helpers/peers.js';
import { BASE, byRule, check, makeConfDir, type ConfDir } from './helpers.js';

const dirs: ConfDir[] = [];
after(() => dirs.forEach((d) => d.cleanup()));

async function run(mainCf: string) {
  const c = makeConfDir('check-names');
  dirs.push(c);
  c.write('main.cf', mainCf, 0o644);
  return { c, r: await check(c.dir) };
}

test('fantasy domains without address rewriting: warning that names smtp_generic_maps', async () => {
  for (const [settings, domain] of [
    ['myhostname = pc.localdomain.local\n', 'pc.localdomain.local'],
    ['myhostname = box.lan\n', 'box.lan'],
    ['myhostname = pc.example.com\nmyorigin = $mydomain\nmydomain = home\n', 'home'],
    ['myhostname = nas.internal\n', 'nas.internal'],
    ['myhostname = pc.home\n', 'pc.home'],
    ['myhostname = pc.localdomain\n', 'pc.localdomain'],
  ] as const) {
    const { r } = await run(`compatibility_level = 3.7\n${settings}`);
    const [f] = byRule(r, 'fantasy-domain');
    assert.equal(f?.severity, 'warning', settings);
    assert.match(
      f?.message ?? '',
      new RegExp(`^outgoing mail is from user@${domain.replace(/\./g, '\\.')} \\(myorigin\\)`),
    );
    assert.match(f?.message ?? '', /smtp_generic_maps = hash:\/etc\/postfix\/generic.*SOHO_README/);
  }
});

test('fantasy domains are fine when outgoing addresses are rewritten', async () => {
  for (const rewrite of [
    'smtp_generic_maps = inline:{@localdomain.local=me@isp.example}',
    'masquerade_domains = example.com',
    'sender_canonical_maps = inline:{a=b}',
    'canonical_maps = inline:{a=b}',
  ]) {
    const { r } = await run(`compatibility_level = 3.7\nmyhostname = pc.localdomain.local\n${rewrite}\n`);
    assert.deepEqual(r.findings, [], rewrite);
  }
});

test('a real myorigin with a fantasy myhostname is only a HELO notice', async () => {
  const { r } = await run('compatibility_level = 3.7\nmyhostname = pc.lan\nmyorigin = example.com\n');
  assert.deepEqual(
    r.findings.map((f) => [f.rule, f.severity, f.line]),
    [['fantasy-helo-name', 'notice', 2]],
  );
  assert.equal(r.code, 0);
});

test('relayhost without brackets, unknown service, IP without brackets', async () => {
  let { r } = await run(`${BASE}relayhost = smtp.isp.example:submission\n`);
  let [f] = byRule(r, 'relayhost-unbracketed');
  assert.equal(f?.severity, 'warning');
  assert.match(
    f?.message ?? '',
    /looks up MX records for smtp\.isp\.example.*"relayhost = \[smtp\.isp\.example\]:submission"/,
  );
  ({ r } = await run(`${BASE}relayhost = [smtp.isp.example]:submision\n`));
  [f] = byRule(r, 'relayhost-unknown-service');
  assert.equal(f?.severity, 'error');
  assert.equal(f?.line, 3);
  assert.match(f?.message ?? '', /"submision" is not a port number or a known service name/);
  ({ r } = await run(`${BASE}relayhost = 192.0.2.1:587\n`));
  [f] = byRule(r, 'relayhost-unbracketed');
  assert.equal(f?.severity, 'error');
  assert.match(f?.message ?? '', /needs "\[192\.0\.2\.1\]:587"/);
  ({ r } = await run(`${BASE}relayhost = [smtp.isp.example:587\n`));
  assert.equal(byRule(r, 'relayhost-syntax').length, 1);
});

test('misspelt parameter names: warning with the suggestion; Postfix calls them unused', async (t) => {
  const { c, r } = await run(
    `${BASE}smtp_sasl_pasword_maps = hash:/etc/postfix/sasl_passwd\nrelay_host = [mail.isp.example]\n` +
      'smtp_tls_securty_level = encrypt\nmy_own_setting = x\nfoo = $my_own_setting\nsmtpd_banner = $foo\n',
  );
  const found = byRule(r, 'parameter-typo');
  assert.deepEqual(
    found.map((f) => [f.line, f.message.match(/did you mean "([^"]+)"/)?.[1]]),
    [
      [4, 'relayhost'],
      [3, 'smtp_sasl_password_maps'],
      [5, 'smtp_tls_security_level'],
    ],
  );
  assert.equal(
    found[1]?.message,
    'unknown parameter "smtp_sasl_pasword_maps" is ignored; did you mean "smtp_sasl_password_maps"? Rename it to smtp_sasl_password_maps',
  );
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  utimesSync(join(c.dir, 'main.cf'), new Date('2020-01-01'), new Date('2020-01-01'));
  const pc = spawnSync(POSTCONF, ['-c', c.dir, '-n'], { encoding: 'utf8' });
  for (const name of ['smtp_sasl_pasword_maps', 'relay_host', 'smtp_tls_securty_level']) {
    assert.match(pc.stderr, new RegExp(`unused parameter: ${name}=`), name);
  }
});
