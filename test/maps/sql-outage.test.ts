// A database that goes away mid-run: lookups fail with a temporary TableError, the host is
// left alone for retry_interval, and lookups work again once the server is back. The server
// "goes away" behind a byte relay the test cuts; failover uses a closed loopback port.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import * as mysqlTable from '../../src/maps/mysql.js';
import * as pgsqlTable from '../../src/maps/pgsql.js';
import { setSqlWarningSink } from '../../src/maps/sql-warn.js';
import { TableError } from '../../src/maps/types.js';
import { needPeer } from '../helpers/peers.js';
import { makeWorkDir, postfixHasMapType, postmapQuery, writeConfig } from './sql-oracle.js';
import { closedPort, TcpRelay } from './tcp-relay.js';

const dbname = `outpost_t_${randomBytes(4).toString('hex')}`;
let work: { dir: string; cleanup: () => Promise<void> };
let mysqlAdmin: mysql.Connection | undefined;
let pgAdmin: pg.Client | undefined;
const warnings: string[] = [];

before(async () => {
  setSqlWarningSink((m) => warnings.push(m));
  work = await makeWorkDir();
  try {
    mysqlAdmin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
    await mysqlAdmin.query(`CREATE DATABASE ${dbname}`);
    await mysqlAdmin.query(`CREATE TABLE ${dbname}.t (k VARCHAR(64), v VARCHAR(64))`);
    await mysqlAdmin.query(`INSERT INTO ${dbname}.t VALUES ('a@example.com', 'alpha')`);
  } catch {
    mysqlAdmin = undefined;
  }
  try {
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    pgAdmin = client;
    await pgAdmin.query(`CREATE DATABASE ${dbname}`);
    const db = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: dbname });
    await db.connect();
    await db.query(
      "CREATE TABLE t (k VARCHAR(64), v VARCHAR(64)); INSERT INTO t VALUES ('a@example.com', 'alpha')",
    );
    await db.end();
  } catch {
    pgAdmin = undefined;
  }
});

after(async () => {
  await mysqlAdmin?.query(`DROP DATABASE IF EXISTS ${dbname}`);
  await mysqlAdmin?.end();
  await pgAdmin?.query(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`);
  await pgAdmin?.end();
  await work.cleanup();
});

const drivers = [
  {
    type: 'mysql',
    port: 3306,
    user: 'root',
    open: mysqlTable.open,
    present: () => mysqlAdmin !== undefined,
    size: mysqlTable.MYSQL_POOL_SIZE,
  },
  {
    type: 'pgsql',
    port: 5432,
    user: 'postgres',
    open: pgsqlTable.open,
    present: () => pgAdmin !== undefined,
    size: pgsqlTable.PGSQL_POOL_SIZE,
  },
] as const;

for (const d of drivers) {
  test(`${d.type}: server goes away -> temporary error; comes back -> lookups work again`, async (t) => {
    if (!needPeer(t, `${d.type} server on 127.0.0.1:${d.port}`, d.present())) return;
    const relay = new TcpRelay('127.0.0.1', d.port);
    await relay.start();
    const cf = await writeConfig(work.dir, `${d.type}-outage.cf`, [
      `hosts = inet:127.0.0.1:${relay.port}`,
      `user = ${d.user}`,
      `dbname = ${dbname}`,
      "query = SELECT v FROM t WHERE k='%s'",
      'retry_interval = 1',
    ]);
    const table = await d.open(cf, {});
    try {
      // Several pooled connections are open when the server goes away.
      await Promise.all(Array.from({ length: 8 }, () => table.lookup('a@example.com')));
      await relay.cut();
      const cutAt = Date.now();
      const during = await Promise.allSettled(Array.from({ length: 8 }, () => table.lookup('a@example.com')));
      for (const r of during) assert.ok(r.status === 'rejected' && r.reason instanceof TableError);
      // Fails fast: nothing waits for the 10 s connect timeout.
      assert.ok(Date.now() - cutAt < 5000, `lookups took ${Date.now() - cutAt} ms to fail`);
      // Within retry_interval the host is skipped: still a temporary error, never "not found".
      await assert.rejects(table.lookup('a@example.com'), TableError);
      await relay.start();
      await sleep(1200);
      assert.equal(await table.lookup('a@example.com'), 'alpha');
      assert.equal(await table.lookup('b@example.com'), undefined);
    } finally {
      await table.close();
      await relay.cut();
    }
    assert.ok(
      warnings.some((w) => w.includes(`${d.type}:${cf}`)),
      'the failure was logged',
    );
    assert.ok(!warnings.some((w) => /password/i.test(w)));
  });

  test(`${d.type}: failover from a dead host to a live one, same as postmap`, async (t) => {
    if (!needPeer(t, `${d.type} server on 127.0.0.1:${d.port}`, d.present())) return;
    if (!needPeer(t, `postfix-${d.type} (postmap)`, postfixHasMapType(work.dir, d.type))) return;
    const dead = await closedPort();
    const cf = await writeConfig(work.dir, `${d.type}-failover.cf`, [
      `hosts = inet:127.0.0.1:${dead}, inet:127.0.0.1:${d.port}`,
      `user = ${d.user}`,
      `dbname = ${dbname}`,
      "query = SELECT v FROM t WHERE k='%s'",
    ]);
    const table = await d.open(cf, {});
    try {
      for (let i = 0; i < 5; i++) assert.equal(await table.lookup('a@example.com'), 'alpha');
    } finally {
      await table.close();
    }
    const oracle = await postmapQuery(work.dir, `${d.type}:${cf}`, 'a@example.com');
    assert.deepEqual(oracle.outcome, { found: 'alpha' });
  });

  test(`${d.type}: connections are reused and bounded per host`, async (t) => {
    if (!needPeer(t, `${d.type} server on 127.0.0.1:${d.port}`, d.present())) return;
    const relay = new TcpRelay('127.0.0.1', d.port);
    await relay.start();
    const cf = await writeConfig(work.dir, `${d.type}-pool.cf`, [
      `hosts = inet:127.0.0.1:${relay.port}`,
      `user = ${d.user}`,
      `dbname = ${dbname}`,
      "query = SELECT v FROM t WHERE k='%s'",
    ]);
    const table = await d.open(cf, {});
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, () => table.lookup('a@example.com')));
      assert.ok(answers.every((a) => a === 'alpha'));
      for (let i = 0; i < 10; i++) assert.equal(await table.lookup('a@example.com'), 'alpha');
      assert.ok(relay.accepted >= 1 && relay.accepted <= d.size, `connections opened: ${relay.accepted}`);
    } finally {
      await table.close();
      await relay.cut();
    }
  });
}

for (const d of drivers) {
  test(`${d.type}: a query error for one key fails that lookup only, as postmap does per key`, async (t) => {
    if (!needPeer(t, `${d.type} server on 127.0.0.1:${d.port}`, d.present())) return;
    if (!needPeer(t, `postfix-${d.type} (postmap)`, postfixHasMapType(work.dir, d.type))) return;
    // The scalar subquery returns two rows (an SQL error) only for the key "bad".
    const cf = await writeConfig(work.dir, `${d.type}-keyerror.cf`, [
      `hosts = inet:127.0.0.1:${d.port}`,
      `user = ${d.user}`,
      `dbname = ${dbname}`,
      "query = SELECT v FROM t WHERE k = '%s' AND 1 = (SELECT 1 UNION ALL SELECT 2 FROM t WHERE '%s' = 'bad')",
    ]);
    assert.equal((await postmapQuery(work.dir, `${d.type}:${cf}`, 'bad')).outcome, 'error');
    assert.deepEqual((await postmapQuery(work.dir, `${d.type}:${cf}`, 'a@example.com')).outcome, {
      found: 'alpha',
    });
    const table = await d.open(cf, {});
    try {
      await assert.rejects(table.lookup('bad'), TableError);
      // Postfix would now skip the server for retry_interval; Outpost keeps answering.
      assert.equal(await table.lookup('a@example.com'), 'alpha');
    } finally {
      await table.close();
    }
  });
}
