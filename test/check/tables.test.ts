// Tables named in main.cf: unsupported types, unreadable files, forgotten postmap.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hasPostfix, needPeer, POSTMAP } from '../helpers/peers.js';
import { BASE, age, byRule, check, makeConfDir, type ConfDir } from './helpers.js';
import { nisDomain } from '../../src/maps/nis.js';

const dirs: ConfDir[] = [];
after(() => dirs.forEach((d) => d.cleanup()));

function dir(): ConfDir {
  const c = makeConfDir('check-tables');
  dirs.push(c);
  return c;
}

test('source without a compiled file: table-not-compiled error naming the postmap command', async () => {
  for (const type of ['hash', 'lmdb', 'cdb']) {
    const c = dir();
    c.write('main.cf', `${BASE}smtp_generic_maps = ${type}:@D@/generic\n`, 0o644);
    c.write('generic', 'a@b c@d\n', 0o644);
    const r = await check(c.dir);
    const [f] = byRule(r, 'table-not-compiled');
    const suffix = { hash: '.db', lmdb: '.lmdb', cdb: '.cdb' }[type];
    assert.equal(f?.severity, 'error', type);
    assert.equal(f?.line, 3);
    assert.equal(
      f?.message,
      `smtp_generic_maps uses ${type}:${c.dir}/generic, but ${c.dir}/generic${suffix} does not exist, so every ` +
        `lookup fails and mail is deferred. Run "postmap ${type}:${c.dir}/generic"`,
    );
    assert.deepEqual(byRule(r, 'table-unreadable'), [], 'reported once');
    assert.equal(r.code, 1);
  }
});

test('source changed after postmap: table-stale warning; rebuilt: clean', async () => {
  const c = dir();
  c.write('main.cf', `${BASE}smtp_generic_maps = proxy:hash:@D@/generic\n`, 0o644);
  const src = c.write('generic', 'a@b c@d\n', 0o644);
  age(src, 120);
  c.postmap('hash:@D@/generic');
  age(join(c.dir, 'generic.db'), 600);
  let r = await check(c.dir);
  const [f] = byRule(r, 'table-stale');
  assert.equal(f?.severity, 'warning');
  assert.match(
    f?.message ?? '',
    /generic was changed after .*generic\.db was built.*Run "postmap hash:.*\/generic"$/,
  );
  assert.equal(r.code, 0);
  c.postmap('hash:@D@/generic');
  r = await check(c.dir);
  assert.deepEqual(r.findings, []);
});

test('table types Outpost lacks', async () => {
  const c = dir();
  c.write(
    'main.cf',
    `${BASE}alias_maps = hash:@D@/aliases, nis:mail.aliases\nvirtual_alias_maps = proxy:ldap:@D@/ldap-virtual.cf\n` +
      'smtpd_milters = unix:/run/opendkim.sock\n',
    0o644,
  );
  c.write('aliases', 'root: me\n', 0o644);
  c.postmap('hash:@D@/aliases');
  const r = await check(c.dir);
  const found = byRule(r, 'table-type-unsupported');
  assert.deepEqual(
    found.map((f) => [f.parameter, f.line, f.message.match(/^\S+ uses (\S+),/)?.[1]]),
    [
      // nis: is fine without an NIS domain (lookups answer "not found", as in Postfix).
      ...(nisDomain() === undefined ? [] : [['alias_maps', 3, 'nis:mail.aliases']]),
      ['virtual_alias_maps', 4, `ldap:${c.dir}/ldap-virtual.cf`],
    ],
  );
  assert.match(
    found[found.length - 1]?.message ?? '',
    /Outpost has no "ldap" tables\. Convert it to one of btree, cdb, cidr, dbm, fail, hash, inline, /,
  );
  assert.equal(r.code, 1);
});

test('unreadable tables: missing texthash/regexp files, nested unionmap members', async () => {
  const c = dir();
  c.write(
    'main.cf',
    `${BASE}smtp_generic_maps = texthash:@D@/nosuch\n` +
      'header_checks = regexp:@D@/header_checks\n' +
      'canonical_maps = unionmap:{inline:{a=b}, texthash:@D@/gone}\n',
    0o644,
  );
  c.write('header_checks', '/^Subject: (/ REJECT broken\n', 0o644);
  const r = await check(c.dir);
  const found = byRule(r, 'table-unreadable');
  assert.deepEqual(
    found.map((f) => f.parameter),
    ['canonical_maps', 'smtp_generic_maps'],
  );
  assert.match(found[0]?.message ?? '', /cannot open texthash:.*\/gone: .*No such file or directory/);
  assert.equal(r.code, 1);
});

test('alias tables: reported once, fixed with newaliases', async () => {
  const c = dir();
  c.write('main.cf', `${BASE}alias_maps = hash:@D@/aliases\nalias_database = hash:@D@/aliases\n`, 0o644);
  c.write('aliases', 'postmaster: root\n', 0o644);
  const found = byRule(await check(c.dir), 'table-not-compiled');
  assert.equal(found.length, 1);
  assert.match(found[0]?.message ?? '', /Run "newaliases"$/);
});

test('a .db built by Postfix (Berkeley DB) or a corrupt file: table-unreadable, rebuild with postmap', async (t) => {
  const c = dir();
  c.write(
    'main.cf',
    `${BASE}smtp_generic_maps = hash:@D@/generic\ncanonical_maps = cdb:@D@/canonical\n`,
    0o644,
  );
  age(c.write('generic', 'a@b c@d\n', 0o644), 60);
  age(c.write('canonical', 'a@b c@d\n', 0o644), 60);
  c.write('canonical.cdb', 'not a cdb file', 0o644);
  c.postmap('hash:@D@/generic');
  if (hasPostfix()) {
    const r = spawnSync(POSTMAP, ['-c', c.dir, `hash:${join(c.dir, 'generic')}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const found = byRule(await check(c.dir), 'table-unreadable');
  assert.equal(found[0]?.parameter, 'canonical_maps');
  assert.match(
    found[0]?.message ?? '',
    /cannot open cdb:.*\/canonical: .*Fix or rebuild it with "postmap cdb:.*\/canonical"$/,
  );
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  assert.equal(found[1]?.parameter, 'smtp_generic_maps');
  assert.match(found[1]?.message ?? '', /Berkeley DB file written by Postfix/);
});
