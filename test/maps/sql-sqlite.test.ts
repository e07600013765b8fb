// sqlite: tables on real SQLite files, differential against Postfix's postmap.
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { open, sqliteQuote } from '../../src/maps/sqlite.js';
import { realText, sqliteEngine } from '../../src/maps/sqlite-engine.js';
import { TableError } from '../../src/maps/types.js';
import { needPeer } from '../helpers/peers.js';
import { checkScenarios, makeWorkDir, postfixHasMapType, writeConfig } from './sql-oracle.js';
import { ALIAS_ROWS, DOMAIN_LIST_FILE, KEYS, scenarios } from './sql-scenarios.js';
import { openWritable } from './sqlite-writer.js';

let work: { dir: string; cleanup: () => Promise<void> };
let dbpath: string;

before(async () => {
  work = await makeWorkDir();
  dbpath = join(work.dir, 'aliases.sqlite');
  const db = await openWritable(dbpath);
  db.exec('CREATE TABLE aliases (address TEXT, goto TEXT, extra TEXT)');
  for (const row of ALIAS_ROWS) db.run('INSERT INTO aliases VALUES (?, ?, ?)', ...row);
  db.exec('CREATE TABLE domains (name TEXT PRIMARY KEY)');
  db.run('INSERT INTO domains VALUES (?)', 'listed.example');
  db.exec('CREATE TABLE nums (k TEXT, v)');
  const numbers: (number | string | null)[] = [
    1.0,
    2.5,
    1e20,
    1e-5,
    0.1,
    1 / 3,
    123,
    -7,
    1e15,
    123456789012345.6,
  ];
  numbers.forEach((v, i) => db.run('INSERT INTO nums VALUES (?, ?)', `n${i}`, v));
  db.exec("INSERT INTO nums VALUES ('int', 123), ('big', 9007199254740993), ('blob', x'61626364')");
  db.close();
  await writeFile(join(work.dir, 'domain-list'), DOMAIN_LIST_FILE);
});

after(async () => {
  await work.cleanup();
});

test('sqlite: same answers as postmap for every scenario and key', async (t) => {
  if (!needPeer(t, 'postfix-sqlite (postmap)', postfixHasMapType(work.dir, 'sqlite'))) return;
  const list = scenarios([`dbpath = ${dbpath}`], work.dir, 'first');
  const domainTable = await writeConfig(work.dir, 'domains.cf', [
    `dbpath = ${dbpath}`,
    "query = SELECT 'yes' FROM domains WHERE name='%s'",
  ]);
  list.push({
    name: 'domain list with a sqlite: table',
    lines: [
      `dbpath = ${dbpath}`,
      "query = SELECT goto FROM aliases WHERE address='%s'",
      `domain = sqlite:${domainTable}`,
    ],
    expect: { 'c@listed.example': 'listed-ok@x.example', 'user@example.com': undefined },
  });
  list.push({
    name: 'numbers and blobs as text',
    lines: [`dbpath = ${dbpath}`, "query = SELECT v FROM nums WHERE k='%s'"],
    expect: {
      n0: '1.0',
      n2: '1.0e+20',
      n3: '1.0e-05',
      n6: '123.0',
      int: '123',
      big: '9007199254740993',
      blob: 'abcd',
    },
    keys: ['n1', 'n4', 'n5', 'n7', 'n8', 'n9'],
  });
  const problems = await checkScenarios(work.dir, 'sqlite', open, list, KEYS);
  assert.deepEqual(problems, []);
});

test('sqlite: quoting and %!.15g number text', () => {
  assert.equal(sqliteQuote(`a'b\\c`), `a''b\\c`);
  assert.equal(realText(1), '1.0');
  assert.equal(realText(0.1), '0.1');
  assert.equal(realText(1 / 3), '0.333333333333333');
  assert.equal(realText(-2.5e-7), '-2.5e-07');
});

test('sqlite: updates are seen without reopening the table, in place and by rename', async () => {
  const path = join(work.dir, 'live.sqlite');
  const setup = await openWritable(path);
  setup.exec("CREATE TABLE t (k TEXT, v TEXT); INSERT INTO t VALUES ('a', 'first')");
  setup.close();
  const cf = await writeConfig(work.dir, 'live.cf', [
    `dbpath = ${path}`,
    "query = SELECT v FROM t WHERE k='%s'",
  ]);
  const table = await open(cf, {});
  try {
    assert.equal(await table.lookup('a'), 'first');
    const writer = await openWritable(path);
    writer.exec("UPDATE t SET v = 'second' WHERE k = 'a'; INSERT INTO t VALUES ('b', 'new')");
    writer.close();
    assert.equal(await table.lookup('a'), 'second');
    assert.equal(await table.lookup('b'), 'new');

    // A new file renamed over the old one (how table builders publish atomically).
    const next = join(work.dir, 'live.sqlite.new');
    const fresh = await openWritable(next);
    fresh.exec("CREATE TABLE t (k TEXT, v TEXT); INSERT INTO t VALUES ('a', 'third')");
    fresh.close();
    await rename(next, path);
    assert.equal(await table.lookup('a'), 'third');
    assert.equal(await table.lookup('b'), undefined);

    // The file goes away: a temporary error, then recovery when it is back.
    await rm(path);
    await assert.rejects(table.lookup('a'), TableError);
    const again = await openWritable(path);
    again.exec("CREATE TABLE t (k TEXT, v TEXT); INSERT INTO t VALUES ('a', 'fourth')");
    again.close();
    assert.equal(await table.lookup('a'), 'fourth');
  } finally {
    await table.close();
  }
});

test('sqlite: a broken query is a temporary error naming the table', async () => {
  const cf = await writeConfig(work.dir, 'broken.cf', [
    `dbpath = ${dbpath}`,
    "query = SELECT v FROM missing WHERE k='%s'",
  ]);
  const table = await open(cf, {});
  try {
    await assert.rejects(
      table.lookup('a'),
      (err: Error) => err instanceof TableError && /sqlite:.*broken\.cf.*no such table/.test(err.message),
    );
  } finally {
    await table.close();
  }
});

test('sqlite: every SQLite library this Node can load gives the same text', async () => {
  const engines = [];
  for (const name of ['better-sqlite3', 'node:sqlite'] as const) {
    try {
      engines.push(await sqliteEngine(name));
    } catch {
      // not loadable under this Node (ABI or version); the other one is tested
    }
  }
  assert.ok(engines.length > 0, 'no SQLite library loads');
  const results = engines.map((engine) => {
    const db = engine.open(dbpath, 100);
    try {
      return db.firstColumn('SELECT v FROM nums ORDER BY k');
    } finally {
      db.close();
    }
  });
  for (const r of results) assert.deepEqual(r, results[0]);
});
