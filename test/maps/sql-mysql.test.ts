// mysql: tables against the real MariaDB server, differential against Postfix's postmap.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { open } from '../../src/maps/mysql.js';
import { mysqlQuote } from '../../src/maps/mysql.js';
import { needPeer } from '../helpers/peers.js';
import { checkScenarios, makeWorkDir, postfixHasMapType } from './sql-oracle.js';
import { ALIAS_ROWS, DOMAIN_LIST_FILE, KEYS, scenarios } from './sql-scenarios.js';

const server = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const dbname = `outpost_t_${randomBytes(4).toString('hex')}`;
let admin: mysql.Connection | undefined;
let work: { dir: string; cleanup: () => Promise<void> } | undefined;

before(async () => {
  try {
    admin = await mysql.createConnection(server);
  } catch {
    return; // each test reports the missing peer
  }
  await admin.query(`CREATE DATABASE ${dbname}`);
  await admin.query(
    `CREATE TABLE ${dbname}.aliases (address VARCHAR(255), goto VARCHAR(255), extra VARCHAR(255))
     CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  );
  for (const row of ALIAS_ROWS) await admin.query(`INSERT INTO ${dbname}.aliases VALUES (?, ?, ?)`, row);
  work = await makeWorkDir();
  await writeFile(join(work.dir, 'domain-list'), DOMAIN_LIST_FILE);
});

after(async () => {
  await admin?.query(`DROP DATABASE IF EXISTS ${dbname}`);
  await admin?.end();
  await work?.cleanup();
});

const connection = (): string[] => ['hosts = inet:127.0.0.1:3306', 'user = root', `dbname = ${dbname}`];

test('mysql: same answers as postmap for every scenario and key', async (t) => {
  if (!needPeer(t, 'MariaDB on 127.0.0.1:3306', admin !== undefined)) return;
  if (!needPeer(t, 'postfix-mysql (postmap)', postfixHasMapType(work!.dir, 'mysql'))) return;
  const problems = await checkScenarios(
    work!.dir,
    'mysql',
    open,
    scenarios(connection(), work!.dir, 'all'),
    KEYS,
  );
  assert.deepEqual(problems, []);
});

test('mysql: escaping matches mysql_real_escape_string', () => {
  assert.equal(mysqlQuote(`a'b"c\\d\0e\nf\rg\x1ah`), `a\\'b\\"c\\\\d\\0e\\nf\\rg\\Zh`);
});

test('mysql: UNIX socket, a stored procedure result set, and require_result_set', async (t) => {
  if (!needPeer(t, 'MariaDB on 127.0.0.1:3306', admin !== undefined)) return;
  if (!needPeer(t, 'postfix-mysql (postmap)', postfixHasMapType(work!.dir, 'mysql'))) return;
  await admin!.query(
    `CREATE PROCEDURE ${dbname}.lookup(IN param VARCHAR(255)) READS SQL DATA
     BEGIN SELECT goto FROM ${dbname}.aliases WHERE address = param; END`,
  );
  const problems = await checkScenarios(
    work!.dir,
    'mysql',
    open,
    [
      {
        name: 'hosts = localhost is the default UNIX socket',
        lines: [
          'hosts = localhost',
          'user = root',
          `dbname = ${dbname}`,
          "query = SELECT goto FROM aliases WHERE address='%s'",
        ],
        expect: { 'user@example.com': 'one@dest.example,two@dest.example' },
      },
      {
        name: 'column types as the text protocol gives them',
        lines: [
          ...connection(),
          "query = SELECT CAST('%s' AS BINARY), CONVERT('ü' USING latin1), 1.5e0, CAST(1 AS DECIMAL(5,2)), X'C3BC', NULL, CAST('2020-01-02' AS DATE)",
        ],
        expect: { kü: 'kü,ü,1.5,1.00,ü,2020-01-02' },
      },
      {
        name: 'CALL procedure',
        lines: [...connection(), "query = CALL lookup('%s')"],
        expect: { 'user@example.com': 'one@dest.example,two@dest.example', 'nobody@example.com': undefined },
      },
      {
        name: 'statement without result set',
        lines: [...connection(), "query = DO '%s'"],
        expect: { 'user@example.com': 'error' },
      },
      {
        name: 'statement without result set, require_result_set = no',
        lines: [...connection(), "query = DO '%s'", 'require_result_set = no'],
        expect: { 'user@example.com': undefined },
      },
    ],
    ['user@example.com', 'nobody@example.com', 'plain'],
  );
  assert.deepEqual(problems, []);
});
