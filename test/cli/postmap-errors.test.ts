// postmap's error messages and exit codes compared with the real /usr/sbin/postmap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, writeSource } from '../maps/helpers.js';

const SOURCE = 'dup first\nDUP second\nUser@Example.COM alice\nlast final\nkeyonly\n';

let box: ReturnType<typeof makeSandbox>;
let realDir: string;
let ourDir: string;

before(() => {
  box = makeSandbox('postmap-errors');
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
  const r = realPostmap(['-c', join(box.root, 'nonexistent'), '-q', 'x', 'src'], box.conf, realDir);
  const o = ourPostmap(['-c', join(box.root, 'nonexistent'), '-q', 'x', 'src'], box.conf, ourDir);
  assert.equal(o.stderr, r.stderr);
  assert.equal(o.status, r.status);
});
