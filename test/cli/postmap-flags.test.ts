// postmap options compared with the real /usr/sbin/postmap: duplicate policies, folding, NUL
// conventions, and UTF-8 folding depending on compatibility_level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { ourPostmap, realPostmap, writeSource } from '../maps/helpers.js';
import { postmapPair } from './postmap-pair.js';

const SOURCE = 'dup first\nDUP second\nUser@Example.COM alice\nlast final\nkeyonly\n';

const pair = postmapPair('postmap-flags', SOURCE);
const { real, ours, same } = pair;

test('duplicate policies -r and -w and -f (no folding): same warnings and answers', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const keys = 'dup\nDUP\nuser@example.com\nUser@Example.COM\n';
  for (const flags of [['-r'], ['-w'], ['-f']]) {
    for (const type of ['hash', 'lmdb']) {
      same([...flags, `${type}:src`]);
      same([...flags, '-q', '-', `${type}:src`], keys);
    }
    same([...flags, '-q', '-', 'texthash:src'], keys);
  }
});

test('-n / -N: NUL conventions at build and query time (lmdb, cdb)', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const type of ['lmdb', 'cdb']) {
    for (const build of [['-n'], ['-N']]) {
      real([...build, `${type}:src`]);
      ours([...build, `${type}:src`]);
      for (const query of [[], ['-n'], ['-N']]) same([...query, '-q', '-', `${type}:src`], 'last\ndup\n');
    }
  }
});

test('smtputf8_enable follows compatibility_level: ASCII-only folding at level 0', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const conf0 = join(pair.box.root, 'conf0');
  mkdirSync(conf0);
  writeFileSync(join(conf0, 'main.cf'), '# no compatibility_level\n');
  writeSource(join(pair.realDir, 'u8'), 'ÄBC 1\nStraße 2\n');
  writeSource(join(pair.ourDir, 'u8'), 'ÄBC 1\nStraße 2\n');
  const keys = 'Äbc\näbc\nstrasse\nstraße\n';
  const rb = realPostmap(['-c', conf0, 'lmdb:u8'], pair.box.conf, pair.realDir);
  const ob = ourPostmap(['-c', conf0, 'lmdb:u8'], pair.box.conf, pair.ourDir);
  assert.equal(ob.status, rb.status);
  const r = realPostmap(['-c', conf0, '-q', '-', 'lmdb:u8'], pair.box.conf, pair.realDir, keys);
  const o = ourPostmap(['-c', conf0, '-q', '-', 'lmdb:u8'], pair.box.conf, pair.ourDir, keys);
  assert.equal(o.stdout, r.stdout);
  assert.equal(o.stdout, 'Äbc\t1\nstraße\t2\n');
});

test('non-UTF-8 lines are skipped and control characters shown as "?" in warnings', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const bytes = Buffer.concat([
    Buffer.from('good 1\nbad'),
    Buffer.from([0xff]),
    Buffer.from(' key 2\n"unb\tx'),
    Buffer.from([1]),
    Buffer.from(' ü y\nctl\x01key v\x02x\n'),
  ]);
  writeSource(join(pair.realDir, 'raw'), bytes);
  writeSource(join(pair.ourDir, 'raw'), bytes);
  same(['lmdb:raw']);
  same(['-s', 'lmdb:raw']);
});
