// pgsql: tables against the real PostgreSQL server, differential against Postfix's postmap.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { open, parsePgsqlHost, pgsqlQuote } from '../../src/maps/pgsql.js';
import { needPeer } from '../helpers/peers.js';
import { checkScenarios, makeWorkDir, postfixHasMapType } from './sql-oracle.js';
import { ALIAS_ROWS, DOMAIN_LIST_FILE, KEYS, scenarios } from './sql-scenarios.js';

const server = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const dbname = `outpost_t_${randomBytes(4).toString('hex')}`;
let admin: pg.Client | undefined;
let work: { dir: string; cleanup: () => Promise<void> } | undefined;

before(async () => {
  const client = new pg.Client(server);
  try {
    await client.connect();
  } catch {
    return; // each test reports the missing peer
  }
  admin = client;
  await admin.query(`CREATE DATABASE ${dbname} ENCODING 'UTF8' TEMPLATE template0`);
  const db = new pg.Client({ ...server, database: dbname });
  await db.connect();
  await db.query('CREATE TABLE aliases (address VARCHAR(255), goto VARCHAR(255), extra VARCHAR(255))');
  for (const row of ALIAS_ROWS) await db.query('INSERT INTO aliases VALUES ($1, $2, $3)', row);
  await db.end();
  work = await makeWorkDir();
  await writeFile(join(work.dir, 'domain-list'), DOMAIN_LIST_FILE);
});

after(async () => {
  await admin?.query(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`);
  await admin?.end();
  await work?.cleanup();
});

const connection = (): string[] => ['hosts = inet:127.0.0.1:5432', 'user = postgres', `dbname = ${dbname}`];

/**
 * Postfix 3.7's pgsql client talks LATIN1 (fixed to UTF8 in Postfix 3.8, the `encoding`
 * setting), so a UTF-8 key never matches there; Outpost behaves like 3.8+ (docs/sql-tables.md).
 */
const latin1Client = (_scenario: string, key: string): boolean => /[^\x00-\x7f]/.test(key);

test('pgsql: same answers as postmap for every scenario and key', async (t) => {
  if (!needPeer(t, 'PostgreSQL on 127.0.0.1:5432', admin !== undefined)) return;
  if (!needPeer(t, 'postfix-pgsql (postmap)', postfixHasMapType(work!.dir, 'pgsql'))) return;
  const list = scenarios(connection(), work!.dir, 'all');
  const problems = await checkScenarios(work!.dir, 'pgsql', open, list, KEYS, latin1Client);
  assert.deepEqual(problems, []);
});

test('pgsql: non-ASCII keys and values are UTF-8 (Postfix 3.8+ behaviour)', async (t) => {
  if (!needPeer(t, 'PostgreSQL on 127.0.0.1:5432', admin !== undefined)) return;
  const path = join(work!.dir, 'utf8.cf');
  await writeFile(path, [...connection(), "query = SELECT extra FROM aliases WHERE address='%s'"].join('\n'));
  const table = await open(path, {});
  try {
    assert.equal(await table.lookup('MÜLLER@example.com'), 'ünïcode@dest.example');
  } finally {
    await table.close();
  }
});

test('pgsql: escaping and hosts syntax', () => {
  assert.equal(pgsqlQuote(`a'b\\c"`), `a''b\\c"`);
  assert.deepEqual(parsePgsqlHost('inet:db.example:5433', 'x'), {
    text: 'inet:db.example:5433',
    kind: 'inet',
    address: 'db.example',
    port: 5433,
  });
  assert.equal(parsePgsqlHost('unix:/var/run/postgresql', 'x').kind, 'unix');
  assert.equal(parsePgsqlHost('/var/run/postgresql', 'x').kind, 'unix');
  assert.equal(parsePgsqlHost('postgresql://u@h/db', 'x').kind, 'uri');
  const uri = parsePgsqlHost('postgresql://u:secret@h/db', 'x');
  assert.equal(uri.address, 'postgresql://u:secret@h/db');
  assert.equal(uri.text, 'postgresql://u:xxxxx@h/db');
  assert.equal(parsePgsqlHost('localhost', 'x').kind, 'inet');
});

test('pgsql: UNIX socket host and legacy select_function', async (t) => {
  if (!needPeer(t, 'PostgreSQL on 127.0.0.1:5432', admin !== undefined)) return;
  if (!needPeer(t, 'postfix-pgsql (postmap)', postfixHasMapType(work!.dir, 'pgsql'))) return;
  const db = new pg.Client({ ...server, database: dbname });
  await db.connect();
  await db.query(
    "CREATE FUNCTION lookup_goto(text) RETURNS SETOF text AS 'SELECT goto FROM aliases WHERE address = $1' LANGUAGE sql",
  );
  await db.end();
  const problems = await checkScenarios(
    work!.dir,
    'pgsql',
    open,
    [
      {
        name: 'unix socket',
        lines: [
          'hosts = unix:/var/run/postgresql',
          'user = postgres',
          `dbname = ${dbname}`,
          "query = SELECT goto FROM aliases WHERE address='%s'",
        ],
        expect: { 'user@example.com': 'one@dest.example,two@dest.example' },
      },
      {
        name: 'column types as text',
        lines: [
          ...connection(),
          "query = SELECT '%s'::bytea, 1.5::float8, 1::numeric(5,2), true, '2020-01-02'::date, NULL",
        ],
        expect: { plain: '\\x706c61696e,1.5,1.00,t,2020-01-02' },
      },
      {
        name: 'select_function',
        lines: [...connection(), 'select_function = lookup_goto'],
        expect: {
          'user@example.com': 'one@dest.example,two@dest.example',
          "o'brien@example.com": 'quote-ok',
        },
      },
    ],
    ['user@example.com', 'nobody@example.com', "o'brien@example.com", 'back\\slash@example.com'],
  );
  assert.deepEqual(problems, []);
});
