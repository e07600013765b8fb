// The parts shared by the SQL drivers that need no server: the configuration file reader and
// the %-template expansion (db_common.c rules).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSqlConfig, parseSqlConfig } from '../../src/maps/sql-config.js';
import { emptyNeeds, expandQuery, expandResult, parseTemplate } from '../../src/maps/sql-template.js';
import { open as openMysql } from '../../src/maps/mysql.js';
import { parseMysqlHost } from '../../src/maps/mysql.js';
import { TableError } from '../../src/maps/types.js';
import { makeWorkDir, writeConfig } from './sql-oracle.js';

test('config: main.cf syntax, continuation lines, comments, last setting wins', () => {
  const c = parseSqlConfig(
    '/etc/postfix/x.cf',
    "# comment\nhosts = a,\n  b\n\n   # indented comment\nquery = SELECT x\n  FROM t WHERE k='%s'\nuser=u\nuser = v  \nexpansion_limit = 3\nrequire_result_set = No\n",
  );
  assert.equal(c.str('hosts', ''), 'a,  b');
  assert.equal(c.str('query', ''), "SELECT x  FROM t WHERE k='%s'");
  assert.equal(c.str('user', ''), 'v');
  assert.equal(c.int('expansion_limit', 0), 3);
  assert.equal(c.bool('require_result_set', true), false);
  assert.equal(c.str('password', 'dflt'), 'dflt');
});

test('config: errors name the file and line', () => {
  assert.throws(() => parseSqlConfig('/etc/postfix/x.cf', 'hosts = a\nthis is wrong\n'), {
    message: `/etc/postfix/x.cf, line 2: missing '=' after attribute name: "this is wrong"`,
  });
  assert.throws(() => parseSqlConfig('/x.cf', 'expansion_limit = ten\n').int('expansion_limit', 0), {
    message: '/x.cf: bad numerical configuration: expansion_limit = ten',
  });
  assert.throws(
    () => parseSqlConfig('/x.cf', 'require_result_set = maybe\n').bool('require_result_set', true),
    {
      message: '/x.cf: bad boolean configuration: require_result_set = maybe',
    },
  );
});

test('open: missing file is a temporary error; bad template and missing dbname are config errors', async () => {
  const work = await makeWorkDir();
  try {
    await assert.rejects(openMysql(`${work.dir}/nope.cf`, {}), TableError);
    const bad = await writeConfig(work.dir, 'bad.cf', ['dbname = x', "query = SELECT '%x'"]);
    await assert.rejects(openMysql(bad, {}), { message: `${bad}: Invalid query template: SELECT '%x'` });
    const nodb = await writeConfig(work.dir, 'nodb.cf', ["query = SELECT '%s'"]);
    await assert.rejects(openMysql(nodb, {}), /bad string length 0 < 1: dbname/);
  } finally {
    await work.cleanup();
  }
});

function needsOf(query: string, result = '%s'): ReturnType<typeof emptyNeeds> {
  const needs = emptyNeeds();
  parseTemplate(query, true, needs, 'x');
  parseTemplate(result, false, needs, 'x');
  return needs;
}

test('templates: query expansion and suppression', () => {
  const id = (s: string): string => s;
  const q = (t: string, key: string): string | undefined => expandQuery(t, key, needsOf(t), id);
  assert.equal(q('%s|%u|%d|%%', 'a@b.example'), 'a@b.example|a|b.example|%');
  assert.equal(q('%u', 'user'), 'user');
  assert.equal(q('%d', 'user'), undefined);
  assert.equal(q('%u', '@b.example'), undefined);
  assert.equal(q('%s', '@b.example'), '@b.example');
  assert.equal(q('%d', 'user@'), undefined);
  assert.equal(q('%3.%2.%1', 'u@mail.b.example'), 'mail.b.example');
  assert.equal(q('%3', 'u@b.example'), undefined);
  assert.equal(q('%2', 'u@b..example.'), 'b');
  assert.equal(q('%u/%d', 'a@b@c.example'), 'a@b/c.example');
  assert.equal(q('%s', ''), undefined);
  assert.equal(
    expandQuery("'%s'", "o'x", needsOf("'%s'"), (s) => s.replace(/'/g, "''")),
    "'o''x'",
  );
});

test('templates: result expansion', () => {
  const r = (t: string, value: string | null, key: string): string | undefined =>
    expandResult(t, value, key, needsOf('%s', t));
  assert.equal(r('smtp:[%s]', 'host', 'k'), 'smtp:[host]');
  assert.equal(r('%u', 'x@y', 'k'), 'x');
  assert.equal(r('%u', 'noat', 'k'), 'noat');
  assert.equal(r('%u', '@y', 'k'), undefined);
  assert.equal(r('%d', 'noat', 'k'), undefined);
  assert.equal(r('%s', '', 'k'), undefined);
  assert.equal(r('%s', null, 'k'), undefined);
  assert.equal(r('%s for %U at %D', 'v', 'a@b.example'), 'v for a at b.example');
  assert.equal(r('%S', 'v', 'key'), 'key');
  assert.equal(r('%D', 'v', 'key'), undefined);
  assert.equal(r('%1', 'v', 'a@b.example'), 'example');
  assert.throws(() => parseTemplate('%q', false, emptyNeeds(), '/f.cf'), {
    message: '/f.cf: Invalid result template: %q',
  });
});

test('mysql hosts: unix:, inet:, ports, service names, localhost means the socket', async () => {
  assert.deepEqual(await parseMysqlHost('inet:db.example:3307', 'x'), {
    text: 'inet:db.example:3307',
    kind: 'inet',
    address: 'db.example',
    port: 3307,
  });
  assert.equal((await parseMysqlHost('db.example:mysql', 'x')).port, 3306);
  assert.equal((await parseMysqlHost('unix:/run/mysqld/mysqld.sock', 'x')).kind, 'unix');
  assert.deepEqual(await parseMysqlHost('inet:localhost', 'x'), {
    text: 'inet:localhost',
    kind: 'unix',
    address: undefined,
    port: undefined,
  });
  await assert.rejects(parseMysqlHost('db:nosuchservice', '/f.cf'), /unknown service: nosuchservice\/tcp/);
});

test('config: the obsolete main.cf form reads NAME_key parameters', async () => {
  const params: Record<string, string> = {
    mydb_hosts: 'db1 db2',
    mydb_dbname: 'mail',
    mydb_query: "SELECT 1 WHERE '%s'",
  };
  const c = await loadSqlConfig('mysql', 'mydb', { param: (n) => params[n] ?? '' });
  assert.equal(c.str('hosts', ''), 'db1 db2');
  assert.equal(c.str('dbname', ''), 'mail');
  assert.equal(c.optional('user'), undefined);
  await assert.rejects(loadSqlConfig('mysql', 'mydb', {}), TableError);
});
