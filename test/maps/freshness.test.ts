// A long-running process sees rebuilt tables without a restart, keeps a consistent snapshot
// while a rebuild is under way, and warns like Postfix when a database is older than its source.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeSandbox } from './helpers.js';
import { openTable } from '../../src/maps/registry.js';
import { buildFromSource } from '../../src/maps/compiled-build.js';
import { formats } from '../../src/maps/hash.js';
import { format as cdbFormat } from '../../src/maps/cdb.js';
import { format as lmdbFormat } from '../../src/maps/lmdb.js';
import { FRESHNESS_INTERVAL_MS, type CompiledFormat } from '../../src/maps/compiled-table.js';
import { TableError } from '../../src/maps/types.js';

let box: ReturnType<typeof makeSandbox>;
before(() => (box = makeSandbox('fresh')));
after(() => box.cleanup());

const FORMATS: [string, CompiledFormat][] = [
  ['hash', formats.hash!],
  ['cdb', cdbFormat],
  ['lmdb', lmdbFormat],
];

for (const [type, format] of FORMATS) {
  test(`${type}: a table rebuilt while open is picked up within a second`, async () => {
    const name = join(box.root, `fresh-${type}`);
    writeFileSync(name, 'alice old-value\n');
    await buildFromSource(format, name);
    const table = await openTable(`${type}:${name}`);
    try {
      assert.equal(await table.lookup('alice'), 'old-value');
      writeFileSync(name, 'alice new-value\nbob added\n');
      await buildFromSource(format, name);
      // Within the freshness interval the old snapshot may still answer, consistently.
      const early = await table.lookup('alice');
      assert.ok(early === 'old-value' || early === 'new-value');
      await sleep(FRESHNESS_INTERVAL_MS + 100);
      assert.equal(await table.lookup('alice'), 'new-value');
      assert.equal(await table.lookup('bob'), 'added');
    } finally {
      await table.close();
    }
  });
}

test('texthash: an edited source file is re-read', async () => {
  const name = join(box.root, 'thash');
  writeFileSync(name, 'k v1\n');
  const table = await openTable(`texthash:${name}`);
  assert.equal(await table.lookup('K'), 'v1');
  writeFileSync(name, 'k v2 longer\n');
  await sleep(FRESHNESS_INTERVAL_MS + 100);
  assert.equal(await table.lookup('k'), 'v2 longer');
  await table.close();
});

test('stale database: "database X is older than source file Y" (not within 100 s of an edit)', async () => {
  const name = join(box.root, 'stale');
  writeFileSync(name, 'a 1\n');
  await buildFromSource(formats.hash!, name);
  const now = Date.now() / 1000;
  utimesSync(`${name}.db`, now - 1000, now - 1000);
  utimesSync(name, now - 500, now - 500);
  const warnings: string[] = [];
  const table = await openTable(`hash:${name}`, { warn: (m) => warnings.push(m) });
  await table.close();
  assert.deepEqual(warnings, [`database ${name}.db is older than source file ${name}`]);
  // A source edited just now does not warn yet (Postfix's grace period).
  utimesSync(name, now, now);
  const quiet: string[] = [];
  await (await openTable(`hash:${name}`, { warn: (m) => quiet.push(m) })).close();
  assert.deepEqual(quiet, []);
});

test('corrupt and unreadable databases throw TableError, not "not found"', async () => {
  for (const [type, format] of FORMATS) {
    const name = join(box.root, `corrupt-${type}`);
    writeFileSync(name, Array.from({ length: 200 }, (_, i) => `key${i} value${i}`).join('\n'));
    await buildFromSource(format, name);
    const file = name + format.suffix;
    const bytes = readFileSync(file);
    // Truncate the file: the structure now points past its end.
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    let failed = false;
    try {
      const table = await openTable(`${type}:${name}`);
      for (let i = 0; i < 200; i++) await table.lookup(`key${i}`);
      await table.close();
    } catch (err) {
      assert.ok(err instanceof TableError, `${type}: ${String(err)}`);
      assert.match(err.message, /corrupt database|not an|read past end/);
      failed = true;
    }
    assert.ok(failed, `${type}: truncated file went unnoticed`);
  }
  await assert.rejects(openTable(`lmdb:${join(box.root, 'missing')}`), (err: unknown) => {
    assert.ok(err instanceof TableError);
    assert.equal(err.message, `open database ${join(box.root, 'missing')}.lmdb: No such file or directory`);
    return true;
  });
});

test('readers never see a half-written table while postmap rebuilds it', async () => {
  const { spawn } = await import('node:child_process');
  const { OUR_POSTMAP } = await import('./helpers.js');
  const name = join(box.root, 'atomic');
  const rows = (tag: string) => Array.from({ length: 40000 }, (_, i) => `key${i} ${tag}${i}`).join('\n');
  writeFileSync(name, rows('old'));
  await buildFromSource(lmdbFormat, name);
  writeFileSync(name, rows('new'));
  const child = spawn(OUR_POSTMAP, [`lmdb:${name}`], {
    env: { ...process.env, MAIL_CONFIG: box.conf },
    stdio: 'ignore',
  });
  const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let finished = false;
  void done.then(() => (finished = true));
  let opens = 0;
  while (!finished) {
    const table = await openTable(`lmdb:${name}`);
    const first = await table.lookup('key0');
    const last = await table.lookup('key39999');
    assert.ok(first === 'old0' || first === 'new0', String(first));
    assert.equal(last?.slice(0, 3), first?.slice(0, 3));
    await table.close();
    opens++;
  }
  assert.equal(await done, 0);
  const table = await openTable(`lmdb:${name}`);
  assert.equal(await table.lookup('key39999'), 'new39999');
  await table.close();
  assert.ok(opens > 0);
});
