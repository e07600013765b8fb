// bin/postconf end to end (the executable shim, exit status, MAIL_CONFIG).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeConfigDir, removeDirs, runPostconf } from './postconf-harness.js';

const created: string[] = [];
after(() => removeDirs(created));

test('bin/postconf prints parameters and honours MAIL_CONFIG', () => {
  const dir = makeConfigDir({ main: 'relayhost = [mail.isp.example]:submission\n', master: '' }, created);
  const r = runPostconf('outpost', ['-h', 'relayhost', 'mail_version'], { MAIL_CONFIG: dir });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^\[mail\.isp\.example\]:submission\n3\.7-outpost-\d+\.\d+\.\d+\S*\n$/);
  assert.equal(r.stderr, '');
});

test('bin/postconf exits 1 with a Postfix-style fatal message', () => {
  const r = runPostconf('outpost', ['-c', '/nonexistent/outpost', '-n']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'postconf: fatal: open /nonexistent/outpost/main.cf: No such file or directory\n');
});

test('bin/postconf -m lists the table types Outpost supports', () => {
  const dir = makeConfigDir({ main: '' }, created);
  const r = runPostconf('outpost', ['-c', dir, '-m']);
  assert.equal(r.status, 0);
  assert.equal(
    r.stdout,
    'btree\ncdb\ncidr\nfail\nhash\ninline\nlmdb\nmysql\npcre\npgsql\npipemap\nregexp\nsqlite\nstatic\ntexthash\nunionmap\n',
  );
});

test('bin/postconf keeps non-ASCII bytes exactly as Postfix does', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const main = 'smtpd_banner = h\u00c3\u00a9llo\nfoo = b\u00c3\u00a4r\n'; // UTF-8 bytes, written as latin1
  const a = makeConfigDir({ main, master: '' }, created);
  const b = makeConfigDir({ main, master: '' }, created);
  const real = runPostconf('postfix', ['-c', a, '-n']);
  const ours = runPostconf('outpost', ['-c', b, '-n']);
  assert.equal(ours.stdout.split(b).join('$D'), real.stdout.split(a).join('$D'));
  assert.equal(ours.stderr.split(b).join('$D'), real.stderr.split(a).join('$D'));
  runPostconf('postfix', ['-c', a, '-e', 'myorigin=\u00fcn\u00ef']);
  runPostconf('outpost', ['-c', b, '-e', 'myorigin=\u00fcn\u00ef']);
  assert.deepEqual(readFileSync(join(b, 'main.cf')), readFileSync(join(a, 'main.cf')));
});
