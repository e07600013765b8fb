// Differential tests: Outpost's postmap against the real /usr/sbin/postmap on the same source
// files, for every fixed-string table type Outpost implements. Each side builds in its own
// directory under the same relative file name, so warnings (which name the file) compare equal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, writeSource, sortedLines } from '../maps/helpers.js';

const LONG_VALUE = 'v'.repeat(5000);
const LONG_KEY = 'k'.repeat(400);

// Tricky lines: leading continuation, comments inside a continuation, quoted keys, escapes,
// UTF-8 (ICU folds "ß" to "ss"), duplicates in another case, a key alone, alias-style keys,
// '#' inside a line, CRLF, a value needing LMDB overflow pages, an unbalanced quote.
const CORPUS = [
  '   orphan continuation line',
  '# comment at the top',
  'User@Example.COM\talice@example.com',
  '@Domain.Example   catchall@example.com',
  'user+ext@d.example  extension-value',
  'multi a,',
  '    b,',
  '# comment inside a continuation',
  '',
  '\tc',
  '"joe smith"@x.example  quoted key value',
  'a\\ b  escaped space',
  'Straße@Ü.example  unicode value ünïcödé',
  'ÄÖÜ  umlauts',
  'dup first',
  'DUP second',
  'trail   value   with   inner   spaces   ',
  'key-alone',
  'k:  alias-style',
  'hash#in  v # not a comment',
  'crlf  windows\r',
  `long ${LONG_VALUE}`,
  `${LONG_KEY} long-key`,
  '"unbalanced  x',
  '  # indented comment',
  'last  final value',
].join('\n');

const KEYS = [
  'user@example.com',
  'USER@EXAMPLE.COM',
  '@domain.example',
  'user+ext@d.example',
  'user@d.example',
  'multi',
  '"joe smith"@x.example',
  'joe smith@x.example',
  'a\\ b',
  'straße@ü.example',
  'STRASSE@Ü.EXAMPLE',
  'äöü',
  'dup',
  'trail',
  'key-alone',
  'k:',
  'hash#in',
  'crlf',
  'long',
  LONG_KEY.toUpperCase(),
  'last',
  'orphan',
  'nonexistent',
];

let box: ReturnType<typeof makeSandbox>;
let realDir: string;
let ourDir: string;

before(() => {
  box = makeSandbox('postmap-diff');
  realDir = join(box.root, 'real');
  ourDir = join(box.root, 'ours');
  mkdirSync(realDir);
  mkdirSync(ourDir);
  // Postfix re-reads a texthash file modified within the last second (and repeats its
  // warnings); an older mtime keeps runs comparable.
  for (const d of [realDir, ourDir]) writeSource(join(d, 'src'), CORPUS);
});

after(() => box.cleanup());

const real = (args: string[], input?: string) => realPostmap(args, box.conf, realDir, input);
const ours = (args: string[], input?: string) => ourPostmap(args, box.conf, ourDir, input);

for (const type of ['hash', 'cdb', 'lmdb']) {
  test(`${type}: build warnings, exit code, -q - bulk answers and -s dump match Postfix`, (t) => {
    if (!needPeer(t, 'postfix', hasPostfix())) return;
    const r = real([`${type}:src`]);
    const o = ours([`${type}:src`]);
    assert.equal(o.status, r.status);
    assert.equal(o.stderr, r.stderr);

    const input = KEYS.join('\n') + '\n';
    const rq = real(['-q', '-', `${type}:src`], input);
    const oq = ours(['-q', '-', `${type}:src`], input);
    assert.equal(oq.stdout, rq.stdout);
    assert.equal(oq.status, rq.status);
    assert.match(oq.stdout, /^multi\ta, {4}b,\tc$/m);
    assert.match(oq.stdout, /^STRASSE@Ü\.EXAMPLE\tunicode value ünïcödé$/m);

    if (type !== 'cdb') {
      const rs = real(['-s', `${type}:src`]);
      const os = ours(['-s', `${type}:src`]);
      assert.deepEqual(sortedLines(os.stdout), sortedLines(rs.stdout));
      assert.equal(os.status, 0);
    } else {
      const os = ours(['-s', 'cdb:src']);
      const rs = real(['-s', 'cdb:src']);
      assert.equal(os.stderr, rs.stderr);
      assert.equal(os.status, rs.status);
    }
  });
}

test('single -q lookups: output and exit code per key match Postfix (lmdb)', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  real(['lmdb:src']);
  ours(['lmdb:src']);
  for (const key of ['user@example.com', 'MULTI', 'nonexistent', 'straße@ü.example']) {
    const r = real(['-q', key, 'lmdb:src']);
    const o = ours(['-q', key, 'lmdb:src']);
    assert.equal(o.stdout, r.stdout, key);
    assert.equal(o.status, r.status, key);
  }
});

test('texthash: warnings (texthash wording) and answers match Postfix', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const input = KEYS.join('\n') + '\n';
  const r = real(['-q', '-', 'texthash:src'], input);
  const o = ours(['-q', '-', 'texthash:src'], input);
  assert.equal(o.stdout, r.stdout);
  assert.equal(o.stderr, r.stderr);
  assert.equal(o.status, r.status);
  const rs = real(['-s', 'texthash:src']);
  const os = ours(['-s', 'texthash:src']);
  assert.deepEqual(sortedLines(os.stdout), sortedLines(rs.stdout));
  // texthash cannot be built
  const rb = real(['texthash:src']);
  const ob = ours(['texthash:src']);
  assert.equal(ob.stderr, rb.stderr);
  assert.equal(ob.status, rb.status);
});
