// `postmap lmdb:file` on plain sources (one key and value per line, comments, blank lines: the
// fast path of src/maps/lmdb-bulk.ts) against the real /usr/sbin/postmap: same warnings and
// exit code, and the -s dumps (LMDB's key order) and -q - answers are identical, for each
// duplicate policy, NUL convention and -f. Real postmap also dumps the file Outpost wrote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, writeSource } from '../maps/helpers.js';
import { plainCorpus } from './plain-corpus.js';

let box: ReturnType<typeof makeSandbox>;
let realDir: string;
let ourDir: string;
// Keys sharing long prefixes (the sort's 8-byte window is not enough to order them) and a value
// long enough for LMDB overflow pages (test/cli/plain-corpus.ts).
const { source, keys } = plainCorpus({
  seed: 7,
  entries: 3000,
  prefix: 'averyveryverylongcommonprefix',
  longEvery: 500,
  longLength: 6000,
});

before(() => {
  box = makeSandbox('postmap-lmdb-plain');
  realDir = join(box.root, 'real');
  ourDir = join(box.root, 'ours');
  mkdirSync(realDir);
  mkdirSync(ourDir);
  for (const d of [realDir, ourDir]) writeSource(join(d, 'src'), source);
});

after(() => box.cleanup());

const real = (args: string[], input?: string) => realPostmap(args, box.conf, realDir, input);
const ours = (args: string[], input?: string) => ourPostmap(args, box.conf, ourDir, input);

for (const flags of [[], ['-r'], ['-w'], ['-N'], ['-n'], ['-f']]) {
  test(`lmdb plain source ${flags.join(' ') || '(no flags)'}: warnings, dump and answers match Postfix`, (t) => {
    if (!needPeer(t, 'postfix', hasPostfix())) return;
    const r = real([...flags, 'lmdb:src']);
    const o = ours([...flags, 'lmdb:src']);
    assert.equal(o.status, r.status);
    assert.equal(o.stderr, r.stderr);
    if (flags.length === 0) assert.match(o.stderr, /duplicate entry/);

    const rs = real(['-s', 'lmdb:src']);
    const os = ours(['-s', 'lmdb:src']);
    assert.equal(os.stdout, rs.stdout);
    assert.ok(os.stdout.split('\n').length > 1000);
    // Postfix's liblmdb reads the file Outpost wrote.
    const cross = realPostmap(['-s', 'lmdb:src'], box.conf, ourDir);
    assert.equal(cross.status, 0, cross.stderr);
    assert.equal(cross.stdout, rs.stdout);

    const qflags = flags.filter((f) => f === '-f' || f === '-N' || f === '-n');
    const input = keys.join('\n') + '\n';
    const rq = real([...qflags, '-q', '-', 'lmdb:src'], input);
    const oq = ours([...qflags, '-q', '-', 'lmdb:src'], input);
    assert.equal(oq.stdout, rq.stdout);
    assert.equal(oq.status, rq.status);
  });
}

test('lmdb plain source with a key over 511 bytes: fatal as Postfix, no table written', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const text = `a 1\n${'k'.repeat(600)} v\nb 2\n`;
  for (const d of [realDir, ourDir]) writeSource(join(d, 'big'), text);
  const r = real(['lmdb:big']);
  const o = ours(['lmdb:big']);
  assert.equal(o.status, r.status);
  assert.match(o.stderr, /^postmap: fatal: error updating lmdb:big: MDB_BAD_VALSIZE: /);
  assert.equal(existsSync(join(ourDir, 'big.lmdb')), false);
});

test('lmdb -q - on a three-level tree: answers match Postfix on both files', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  // Short keys, 200-byte values: ~18 entries per leaf and ~250 children per branch page, so
  // 20,000 entries make a root, a few branch pages and ~1,100 leaves. Batch lookups then move
  // from leaf to leaf through the parent page, skipping one to hundreds of leaves per key
  // (lmdb-format.ts, TreeCursor and nextLeaf()).
  const pad = 'v'.repeat(200);
  const lines: string[] = [];
  for (let i = 0; i < 20000; i++) lines.push(`key${(i * 7919) % 20000} ${pad}-${i}`);
  for (const d of [realDir, ourDir]) writeSource(join(d, 'deep'), lines.join('\n') + '\n');
  assert.equal(real(['lmdb:deep']).status, 0);
  assert.equal(ours(['lmdb:deep']).status, 0);
  // md_depth of the main DB in the current meta page (page 1 after a fresh build).
  assert.equal(readFileSync(join(ourDir, 'deep.lmdb')).readUInt16LE(4096 + 94), 3);
  for (const stride of [3, 37, 401]) {
    const keys: string[] = [];
    // Capital letters make postmap fold a copy of the keys; without any (stride 37) it looks
    // them up in place in the input buffer.
    for (let i = 0; i < 21000; i += stride) {
      keys.push(`key${i}`, `key${i}x`);
      if (stride !== 37) keys.push(`KEY${i}`);
    }
    keys.push('zzz', '0');
    const input = keys.join('\n') + '\n';
    const rq = real(['-q', '-', 'lmdb:deep'], input);
    assert.equal(rq.status, 0);
    assert.equal(ours(['-q', '-', 'lmdb:deep'], input).stdout, rq.stdout);
    // Outpost reading the file Postfix wrote (pages in Postfix's order).
    assert.equal(ourPostmap(['-q', '-', 'lmdb:deep'], box.conf, realDir, input).stdout, rq.stdout);
    assert.ok(rq.stdout.split('\n').length > 20000 / stride);
  }
});
