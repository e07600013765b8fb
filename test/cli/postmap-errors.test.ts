// postmap's error messages and exit codes compared with the real /usr/sbin/postmap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { ourPostmap, realPostmap } from '../maps/helpers.js';
import { postmapPair } from './postmap-pair.js';

const SOURCE = 'dup first\nDUP second\nUser@Example.COM alice\nlast final\nkeyonly\n';

const pair = postmapPair('postmap-errors', SOURCE);
const { same } = pair;

test('errors: messages and exit codes match Postfix', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const cases: string[][] = [
    ['-q', 'x', 'missing'],
    ['-q', 'x', 'cdb:missing'],
    ['-q', 'x', 'lmdb:missing'],
    ['-q', 'x', 'texthash:missing'],
    ['missing'],
    ['lmdb:missing'],
    ['-s', 'missing'],
    ['-q', 'x', 'foo:bar'],
    ['foo:src'],
    ['regexp:src'],
    ['proxy:hash:src'],
    ['-q', 'x', ':src'],
    ['-q', 'x', 'src:'],
    ['-q', 'x', '-d', 'y', 'src'],
    ['-s', '-q', 'x', 'src'],
    ['-x'],
    [],
    ['-q'],
    ['-d', 'a', 'inline:{a=b}'],
    ['-d', 'a', 'texthash:src'],
    ['-i', 'static:x'],
    ['-s', 'static:x'],
    ['-s', 'unionmap:{static:x}'],
    ['-s', 'fail:x'],
    ['-b', '-q', 'x', 'src'],
  ];
  for (const args of cases) same(args, '');
  const r = realPostmap(
    ['-c', join(pair.box.root, 'nonexistent'), '-q', 'x', 'src'],
    pair.box.conf,
    pair.realDir,
  );
  const o = ourPostmap(
    ['-c', join(pair.box.root, 'nonexistent'), '-q', 'x', 'src'],
    pair.box.conf,
    pair.ourDir,
  );
  assert.equal(o.stderr, r.stderr);
  assert.equal(o.status, r.status);
});
