// Open-relay rules: mynetworks and the smtpd relay restrictions.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BASE, byRule, check, makeConfDir, type ConfDir } from './helpers.js';

const dirs: ConfDir[] = [];
after(() => dirs.forEach((d) => d.cleanup()));

async function run(mainCf: string, masterCf?: string) {
  const c = makeConfDir('check-relay');
  dirs.push(c);
  c.write('main.cf', BASE + mainCf, 0o644);
  if (masterCf !== undefined) c.write('master.cf', masterCf, 0o644);
  return { c, r: await check(c.dir) };
}

test('mynetworks with 0.0.0.0/0 or ::/0 is an open relay (error, names the line and fix)', async () => {
  for (const net of ['0.0.0.0/0', '[::]/0', '::/0']) {
    const { c, r } = await run(`mynetworks = 127.0.0.0/8\n  192.168.1.0/24, ${net}\n`);
    const [f] = byRule(r, 'mynetworks-open-relay');
    assert.ok(f, net);
    assert.equal(f.severity, 'error');
    assert.equal(f.file, join(c.dir, 'main.cf'));
    assert.equal(f.line, 3);
    assert.equal(f.parameter, 'mynetworks');
    assert.match(
      f.message,
      new RegExp(`mynetworks contains ${net.replace(/[[\]/.]/g, '\\$&')}: .*open relay.*Remove`),
    );
    assert.equal(r.code, 1);
  }
});

test('wide public ranges warn; private ranges do not', async () => {
  let { r } = await run('mynetworks = 127.0.0.0/8 8.0.0.0/8 [2001:db8::]/32\n');
  const wide = byRule(r, 'mynetworks-wide');
  assert.deepEqual(
    wide.map((f) => f.message.match(/public network (\S+):/)?.[1]),
    ['8.0.0.0/8', '[2001:db8::]/32'],
  );
  assert.equal(wide[0]?.severity, 'warning');
  assert.match(wide[0]?.message ?? '', /Narrow it/);
  assert.equal(r.code, 0);
  ({ r } = await run(
    'mynetworks = 127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 [fd00::]/8 [::1]/128\n',
  ));
  assert.deepEqual(r.findings, []);
});

test('mynetworks_style = class warns unless mynetworks is set', async () => {
  let { r } = await run('mynetworks_style = class\n');
  const [f] = byRule(r, 'mynetworks-style-class');
  assert.equal(f?.line, 3);
  assert.match(f?.message ?? '', /Set "mynetworks_style = host"/);
  ({ r } = await run('mynetworks_style = class\nmynetworks = 127.0.0.0/8\n'));
  assert.deepEqual(byRule(r, 'mynetworks-style-class'), []);
});

test('no reject_unauth_destination in either restriction list: smtpd refuses to run', async () => {
  const { c, r } = await run(
    'smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated\n' +
      'smtpd_recipient_restrictions = permit_mynetworks\n',
  );
  const [f] = byRule(r, 'relay-restrictions-missing');
  assert.equal(f?.severity, 'error');
  assert.equal(f?.file, join(c.dir, 'main.cf'));
  assert.equal(f?.line, 3);
  assert.match(f?.message ?? '', /refuses to run/);
  assert.match(
    f?.message ?? '',
    /smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination/,
  );
  assert.equal(r.code, 1);
});

test('"permit" before reject_unauth_destination does not count (has_required)', async () => {
  const { r } = await run('smtpd_relay_restrictions = permit, reject_unauth_destination\n');
  assert.equal(byRule(r, 'relay-restrictions-missing').length, 1);
});

test('accepted forms: defaults, recipient list, warn_if_reject skip, restriction classes, level 0', async () => {
  for (const mainCf of [
    '',
    'smtpd_relay_restrictions =\nsmtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n',
    'smtpd_relay_restrictions = warn_if_reject reject_unauth_destination, reject\n',
    'smtpd_restriction_classes = guard\nguard = reject_unauth_destination\nsmtpd_relay_restrictions = permit_mynetworks, guard\n',
  ]) {
    const { r } = await run(mainCf);
    assert.deepEqual(byRule(r, 'relay-restrictions-missing'), [], mainCf);
  }
});

test('compatibility_level 0 with nothing set: the relay default is empty, smtpd refuses to run', async () => {
  const c = makeConfDir('check-relay');
  dirs.push(c);
  c.write('main.cf', 'myhostname = host.example.com\n', 0o644);
  const [f] = byRule(await check(c.dir), 'relay-restrictions-missing');
  assert.equal(f?.parameter, 'smtpd_recipient_restrictions');
  assert.equal(f?.file, undefined);
  assert.match(
    f?.message ?? '',
    /compatibility_level below 1 its default is empty; "compatibility_level = 3\.7"/,
  );
});

test('a master.cf smtpd service that overrides the lists is checked on its own', async () => {
  const { c, r } = await run(
    '',
    'smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o smtpd_relay_restrictions=permit_sasl_authenticated\n',
  );
  const [f] = byRule(r, 'relay-restrictions-missing');
  assert.equal(f?.file, join(c.dir, 'master.cf'));
  assert.equal(f?.line, 2);
  assert.match(f?.message ?? '', /^master\.cf service submission\/inet: /);
});
