// cdb and lmdb files cross-read with real Postfix in both directions: files written by
// /usr/sbin/postmap are read by Outpost's drivers, and files written by Outpost are read
// (and, for lmdb, updated in place) by Postfix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, realPostmap, sortedLines } from './helpers.js';
import { openTable } from '../../src/maps/registry.js';
import { build as buildLmdb } from '../../src/maps/lmdb.js';
import { build as buildCdb } from '../../src/maps/cdb.js';
import { TableError } from '../../src/maps/types.js';

let box: ReturnType<typeof makeSandbox>;
const N = 3000;
const entries: [string, string][] = [];

before(() => {
  box = makeSandbox('cross');
  for (let i = 0; i < N; i++) entries.push([`User${i}@Example${i % 7}.com`, `value ${i}`]);
  // Values that need LMDB overflow pages (one and several pages), a long key, UTF-8.
  entries.push(['big', 'b'.repeat(3000)], ['huge', 'h'.repeat(70000)], ['k'.repeat(500), 'long key']);
  entries.push(['Grüße@Bücher.example', 'ünïcödé']);
  const src = entries.map(([k, v]) => `${k} ${v}`).join('\n') + '\n';
  writeFileSync(join(box.root, 'pf'), src);
});

after(() => box.cleanup());

const probe = [
  'user0@example0.com',
  'USER2999@EXAMPLE3.COM',
  'big',
  'huge',
  'k'.repeat(500),
  'grüße@bücher.example',
  'nope',
];

for (const type of ['lmdb', 'cdb']) {
  test(`${type}: Outpost reads a file written by Postfix`, async (t) => {
    if (!needPeer(t, 'postfix', hasPostfix())) return;
    const r = realPostmap([`${type}:pf`], box.conf, box.root);
    assert.equal(r.status, 0, r.stderr);
    const table = await openTable(`${type}:${join(box.root, 'pf')}`);
    try {
      for (const key of probe) {
        const want = realPostmap(['-q', key, `${type}:pf`], box.conf, box.root);
        const got = await table.lookup(key);
        assert.equal(got === undefined ? '' : got + '\n', want.stdout, key);
      }
      const dump = (table as unknown as { entries(): Iterable<[string, string]> }).entries();
      assert.equal([...dump].length, entries.length);
    } finally {
      await table.close();
    }
  });

  test(`${type}: Postfix reads a file written by Outpost`, (t) => {
    if (!needPeer(t, 'postfix', hasPostfix())) return;
    return (async () => {
      const name = join(box.root, `ours-${type}`);
      await (type === 'lmdb' ? buildLmdb : buildCdb)(name, entries, {});
      const input = probe.join('\n') + '\n';
      const got = realPostmap(['-q', '-', `${type}:${name}`], box.conf, box.root, input);
      assert.equal(got.stderr, '');
      const lines = sortedLines(got.stdout);
      assert.equal(lines.length, probe.length - 1);
      assert.ok(lines.includes('USER2999@EXAMPLE3.COM\tvalue 2999'));
      assert.ok(lines.includes(`huge\t${'h'.repeat(70000)}`));
      assert.ok(lines.includes('grüße@bücher.example\tünïcödé'));
      if (type === 'lmdb') {
        const all = realPostmap(['-s', `lmdb:${name}`], box.conf, box.root);
        assert.equal(sortedLines(all.stdout).length, entries.length);
        // Postfix updates our file in place; we read the result.
        const upd = realPostmap(['-i', `lmdb:${name}`], box.conf, box.root, 'added-by-postfix yes\n');
        assert.equal(upd.status, 0, upd.stderr);
        const del = realPostmap(['-d', 'big', `lmdb:${name}`], box.conf, box.root);
        assert.equal(del.status, 0, del.stderr);
        const table = await openTable(`lmdb:${name}`);
        assert.equal(await table.lookup('added-by-postfix'), 'yes');
        assert.equal(await table.lookup('big'), undefined);
        assert.equal(await table.lookup('user7@example0.com'), 'value 7');
        await table.close();
      }
    })();
  });
}

test('hash: a Berkeley DB file written by Postfix is recognised and the fix is named', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const r = realPostmap(['hash:pf'], box.conf, box.root);
  assert.equal(r.status, 0, r.stderr);
  const name = join(box.root, 'pf');
  await assert.rejects(openTable(`hash:${name}`), (err: unknown) => {
    assert.ok(err instanceof TableError);
    assert.equal(
      err.message,
      `${name}.db is a Berkeley DB file written by Postfix; run "postmap hash:${name}" with Outpost to rebuild it in Outpost's format`,
    );
    return true;
  });
});
