// A reload must not leak what the old configuration opened: the access tables of a replaced
// runtime (here a pgsql: table, whose pool keeps an idle connection to the real PostgreSQL
// server for idle_interval) are closed when the last session that started under it ends,
// and not before (that session still uses them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { needPeer } from '../helpers/peers.js';
import { startOutpost } from './outpost-server.js';
import { RawClient } from './smtp-dialogue.js';
import { settingsFromParams } from '../../src/smtpd/index.js';

const server = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const dbname = `outpost_reload_${randomBytes(4).toString('hex')}`;
let admin: pg.Client | undefined;
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-reload-tables-'));
  const client = new pg.Client(server);
  try {
    await client.connect();
  } catch {
    return; // the test reports the missing peer
  }
  admin = client;
  await admin.query(`CREATE DATABASE ${dbname}`);
  const db = new pg.Client({ ...server, database: dbname });
  await db.connect();
  await db.query('CREATE TABLE access (k TEXT, v TEXT)');
  await db.query("INSERT INTO access VALUES ('spam@bad.example', 'REJECT go away')");
  await db.end();
});

after(async () => {
  await admin?.query(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`);
  await admin?.end();
  await rm(dir, { recursive: true, force: true });
});

async function connections(): Promise<number> {
  const r = await admin!.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
    dbname,
  ]);
  return (r.rows[0] as { n: number }).n;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('reload closes the old access tables once the sessions using them have ended', async (t) => {
  if (!needPeer(t, 'PostgreSQL on 127.0.0.1:5432', admin !== undefined)) return;
  const cf = join(dir, 'access.cf');
  const lines = [
    'hosts = inet:127.0.0.1:5432',
    'user = postgres',
    `dbname = ${dbname}`,
    'idle_interval = 3600', // an idle connection stays for an hour unless the table is closed
    "query = SELECT v FROM access WHERE k = '%s'",
  ];
  await writeFile(cf, lines.join('\n') + '\n');
  const params = {
    myhostname: 'mx.outpost.test',
    mynetworks: '127.0.0.0/8',
    smtpd_sender_restrictions: `check_sender_access pgsql:${cf}`,
    smtpd_peername_lookup: 'no',
  };
  const o = await startOutpost(params);
  try {
    const c = await RawClient.open(o.endpoint);
    await c.reply();
    await c.command('EHLO pc');
    await c.command('MAIL FROM:<spam@bad.example>');
    assert.equal(
      await c.command('RCPT TO:<x@remote.example>'),
      '554 5.7.1 <spam@bad.example>: Sender address rejected: go away',
    );
    assert.equal(await connections(), 1, 'the table keeps its (idle) connection');
    await o.server.reload(settingsFromParams((n) => ({ ...params, smtpd_sender_restrictions: '' })[n]));
    // The open session keeps its tables: the connection stays and still answers.
    await c.command('RSET');
    await c.command('MAIL FROM:<spam@bad.example>');
    assert.match(await c.command('RCPT TO:<y@remote.example>'), /^554 5\.7\.1 /);
    assert.equal(await connections(), 1);
    assert.equal(await c.command('QUIT'), '221 2.0.0 Bye');
    c.close();
    await waitFor('the old pgsql: connection to close', async () => (await connections()) === 0);
  } finally {
    await o.stop();
  }
});
