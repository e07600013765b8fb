// postmap options compared with the real /usr/sbin/postmap: duplicate policies, folding, NUL
// conventions, and UTF-8 folding depending on compatibility_level.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, writeSource } from '../maps/helpers.js';

const SOURCE = 'dup first\nDUP second\nUser@Example.COM alice\nlast final\nkeyonly\n';

let box: ReturnType<typeof makeSandbox>;
let realDir: string;
let ourDir: string;

before(() => {
  box = makeSandbox('postmap-flags');
  realDir = join(box.root, 'real');
  ourDir = join(box.root, 'ours');
  mkdirSync(realDir);
  mkdirSync(ourDir);
  // Postfix re-reads a texthash file modified within the last second (and repeats its
  // warnings); an older mtime keeps runs comparable.
  for (const d of [realDir, ourDir]) writeSource(join(d, 'src'), SOURCE);
});

after(() => box.cleanup());

const real = (args: string[], input?: string) => realPostmap(args, box.conf, realDir, input);
const ours = (args: string[], input?: string) => ourPostmap(args, box.conf, ourDir, input);

function same(args: string[], input?: string, what = args.join(' ')): void {
  const r = real(args, input);
  const o = ours(args, input);
  assert.equal(o.stdout, r.stdout, `stdout of ${what}`);
  assert.equal(o.stderr, r.stderr, `stderr of ${what}`);
  assert.equal(o.status, r.status, `exit code of ${what}`);
}

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
  const conf0 = join(box.root, 'conf0');
  mkdirSync(conf0);
  writeFileSync(join(conf0, 'main.cf'), '# no compatibility_level\n');
  writeSource(join(realDir, 'u8'), 'ÄBC 1\nStraße 2\n');
  writeSource(join(ourDir, 'u8'), 'ÄBC 1\nStraße 2\n');
  const keys = 'Äbc\näbc\nstrasse\nstraße\n';
  const rb = realPostmap(['-c', conf0, 'lmdb:u8'], box.conf, realDir);
  const ob = ourPostmap(['-c', conf0, 'lmdb:u8'], box.conf, ourDir);
  assert.equal(ob.status, rb.status);
  const r = realPostmap(['-c', conf0, '-q', '-', 'lmdb:u8'], box.conf, realDir, keys);
  const o = ourPostmap(['-c', conf0, '-q', '-', 'lmdb:u8'], box.conf, ourDir, keys);
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
  writeSource(join(realDir, 'raw'), bytes);
  writeSource(join(ourDir, 'raw'), bytes);
  same(['lmdb:raw']);
  same(['-s', 'lmdb:raw']);
});
