// SOHO_README "Configuring Sender-Dependent SASL authentication": the sasl_passwd and
// sender_relay tables, combined "into one single MySQL database" with two queries. Both
// MySQL tables must answer every key exactly as the hash: tables built from the README's
// files do, under Postfix's postmap and under Outpost.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { open } from '../../src/maps/mysql.js';
import { needPeer, POSTMAP } from '../helpers/peers.js';
import { makeWorkDir, outpostQuery, postfixHasMapType, postmapQuery, writeConfig } from './sql-oracle.js';

/** The two example files, as SOHO_README shows them (checked against the installed copy). */
const SASL_PASSWD = [
  ['user1@example.com', 'username1:password1'],
  ['user2@example.net', 'username2:password2'],
  ['[mail.isp.example]', 'username:password'],
];
const SENDER_RELAY = [
  ['user1@example.com', '[mail.example.com]:submission'],
  ['user2@example.net', '[mail.example.net]'],
];

/** Keys Postfix asks these tables: sender, @domain, the relayhost forms, unknowns. */
const KEYS = [
  'user1@example.com',
  'USER1@Example.COM',
  'user2@example.net',
  '@example.com',
  'user3@example.com',
  '[mail.isp.example]',
  '[mail.isp.example]:submission',
  'mail.isp.example',
  '[mail.example.com]:submission',
];

const dbname = `outpost_soho_${randomBytes(4).toString('hex')}`;
let admin: mysql.Connection | undefined;
let work: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  work = await makeWorkDir();
  try {
    admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  } catch {
    return;
  }
  // One table, one row per sender (or relayhost); each Postfix table is one query over it.
  await admin.query(`CREATE DATABASE ${dbname}`);
  await admin.query(
    `CREATE TABLE ${dbname}.senders (
       sender VARCHAR(255) PRIMARY KEY, relayhost VARCHAR(255) NULL,
       username VARCHAR(255) NULL, password VARCHAR(255) NULL)`,
  );
  const relayOf = new Map(SENDER_RELAY.map(([k, v]) => [k!, v!]));
  for (const [sender, credentials] of SASL_PASSWD) {
    const [username, password] = credentials!.split(':');
    await admin.query(`INSERT INTO ${dbname}.senders VALUES (?, ?, ?, ?)`, [
      sender,
      relayOf.get(sender!) ?? null,
      username,
      password,
    ]);
  }
});

after(async () => {
  await admin?.query(`DROP DATABASE IF EXISTS ${dbname}`);
  await admin?.end();
  await work.cleanup();
});

test('SOHO_README example data is what this test uses', (t) => {
  const readme = '/usr/share/doc/postfix/html/SOHO_README.html';
  const path = existsSync(readme) ? readme : `${readme}.gz`;
  if (!needPeer(t, 'postfix-doc (SOHO_README.html)', existsSync(path))) return;
  const raw = readFileSync(path);
  const html = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').replace(/<[^>]*>/g, '');
  const section = html.slice(html.indexOf('Configuring Sender-Dependent SASL'));
  for (const [k, v] of [...SASL_PASSWD, ...SENDER_RELAY]) {
    assert.match(
      section,
      new RegExp(`\\n\\s+${k!.replace(/[[\].]/g, '\\$&')}\\s+${v!.replace(/[[\].]/g, '\\$&')}\\n`),
    );
  }
  assert.match(section, /combine the two\s+tables into one single MySQL database/);
});

test('SOHO sasl_passwd + sender_relay in one MySQL database: same answers as the hash: files', async (t) => {
  if (!needPeer(t, 'MariaDB on 127.0.0.1:3306', admin !== undefined)) return;
  if (!needPeer(t, 'postfix-mysql (postmap)', postfixHasMapType(work.dir, 'mysql'))) return;
  const connection = ['hosts = inet:127.0.0.1:3306', 'user = root', 'password =', `dbname = ${dbname}`];
  const tables = [
    {
      name: 'sasl_passwd',
      rows: SASL_PASSWD,
      lines: [
        ...connection,
        "query = SELECT CONCAT(username, ':', password) FROM senders WHERE sender = '%s' AND username IS NOT NULL",
      ],
    },
    {
      name: 'sender_relay',
      rows: SENDER_RELAY,
      lines: [
        ...connection,
        "query = SELECT relayhost FROM senders WHERE sender = '%s' AND relayhost IS NOT NULL",
      ],
    },
  ];
  for (const table of tables) {
    const source = join(work.dir, table.name);
    await writeFile(source, table.rows.map(([k, v]) => `${k}\t${v}\n`).join(''));
    const built = spawnSync(POSTMAP, ['-c', work.dir, `hash:${source}`], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const cf = await writeConfig(work.dir, `mysql-${table.name}.cf`, table.lines);
    const outpost = await open(cf, {});
    try {
      for (const key of KEYS) {
        const fromHash = (await postmapQuery(work.dir, `hash:${source}`, key)).outcome;
        const fromMysql = (await postmapQuery(work.dir, `mysql:${cf}`, key)).outcome;
        const fromOutpost = await outpostQuery(outpost, key);
        assert.deepEqual(fromMysql, fromHash, `${table.name} ${key}: postmap mysql vs hash`);
        assert.deepEqual(fromOutpost, fromHash, `${table.name} ${key}: outpost mysql vs postmap hash`);
      }
      assert.equal(
        await outpost.lookup('user1@example.com'),
        table.name === 'sasl_passwd' ? 'username1:password1' : '[mail.example.com]:submission',
      );
    } finally {
      await outpost.close();
    }
  }
});
