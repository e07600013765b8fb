// Batch lookups (postmap -q -) read compiled files positionally, in file order, and must give
// exactly the answers of key-by-key lookups and of Postfix: on files written by Postfix and by
// Outpost, with and without trailing NULs, overflow values and keys absent from the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap } from './helpers.js';
import { openTable } from '../../src/maps/registry.js';
import { CompiledTable } from '../../src/maps/compiled-table.js';
import { build as buildLmdb } from '../../src/maps/lmdb.js';
import { build as buildCdb } from '../../src/maps/cdb.js';

let box: ReturnType<typeof makeSandbox>;
const entries: [string, string][] = [];
const keys: string[] = [];

before(() => {
  box = makeSandbox('batch');
  for (let i = 0; i < 5000; i++) entries.push([`User${i}@Example${i % 7}.com`, `value ${i}`]);
  entries.push(['big', 'b'.repeat(3000)], ['huge', 'h'.repeat(70000)], ['grüße@bücher.example', 'ünïcödé']);
  writeFileSync(join(box.root, 'pf'), entries.map(([k, v]) => `${k} ${v}`).join('\n') + '\n');
  // Absent keys first, so the NUL convention is settled only later in the batch.
  for (let i = 0; i < 100; i++) keys.push(`absent${i}@example.com`);
  for (let i = 0; i < 10000; i += 3)
    keys.push(i % 2 === 0 ? `USER${i}@EXAMPLE${i % 7}.COM` : `user${i}@example${i % 7}.com`);
  keys.push('big', 'huge', 'Grüße@Bücher.example', '', 'nope');
});

after(() => box.cleanup());

async function compare(
  spec: string,
  options: { nulTerminated?: boolean } = {},
): Promise<(string | undefined)[]> {
  const batchTable = await openTable(spec, { ...options, positionalReads: true });
  const syncTable = await openTable(spec, options);
  try {
    assert.ok(batchTable instanceof CompiledTable && syncTable instanceof CompiledTable);
    const got = batchTable.lookupBatch(keys);
    const want = keys.map((k) => syncTable.lookupSync(k));
    assert.deepEqual(got, want);
    assert.ok(want.filter((v) => v !== undefined).length > 1600);
    return got;
  } finally {
    await batchTable.close();
    await syncTable.close();
  }
}

for (const type of ['lmdb', 'cdb']) {
  test(`${type}: batch answers equal key-by-key answers and Postfix's on a Postfix-built file`, async (t) => {
    if (!needPeer(t, 'postfix', hasPostfix())) return;
    const r = realPostmap([`${type}:pf`], box.conf, box.root);
    assert.equal(r.status, 0, r.stderr);
    const got = await compare(`${type}:${join(box.root, 'pf')}`);
    const q = realPostmap(['-q', '-', `${type}:pf`], box.conf, box.root, keys.join('\n') + '\n');
    const want = keys.flatMap((k, j) => (got[j] === undefined ? [] : [`${k}\t${got[j]}\n`])).join('');
    assert.equal(q.stdout, want);
    const ours = ourPostmap(['-q', '-', `${type}:pf`], box.conf, box.root, keys.join('\n') + '\n');
    assert.equal(ours.stdout, q.stdout);
    assert.equal(ours.status, q.status);
  });

  for (const nul of [true, false]) {
    test(`${type}: batch answers equal key-by-key answers (Outpost-built, NUL ${nul})`, async () => {
      const name = join(box.root, `own-${type}-${nul}`);
      const build = type === 'lmdb' ? buildLmdb : buildCdb;
      await build(name, entries, { nulTerminated: nul });
      await compare(`${type}:${name}`);
      await compare(`${type}:${name}`, { nulTerminated: nul });
    });
  }
}
