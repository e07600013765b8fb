// The registry's parsing and error wording, main.cf table lists, and the Postfix address
// lookup order (mail_addr_find) over them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTable, openTableList, parseTableSpec, TableList } from '../../src/maps/registry.js';
import { findAddress, extensionStart } from '../../src/maps/address-lookup.js';
import { TableError, type LookupTable } from '../../src/maps/types.js';

test('parseTableSpec splits at the first colon; dict_open wording for bad names', () => {
  assert.deepEqual(parseTableSpec('hash:/etc/postfix/a:b'), { type: 'hash', name: '/etc/postfix/a:b' });
  assert.deepEqual(parseTableSpec('inline:{a=b:c}'), { type: 'inline', name: '{a=b:c}' });
  for (const bad of ['nocolon', ':x', 'x:']) {
    assert.throws(() => parseTableSpec(bad), /open dictionary: expecting "type:name" form instead of/);
  }
});

test('unknown types: Postfix wording', async () => {
  await assert.rejects(openTable('foo:bar'), (err: unknown) => {
    assert.ok(err instanceof TableError);
    assert.equal(err.message, 'unsupported dictionary type: foo');
    assert.equal(err.table, 'foo:bar');
    return true;
  });
});

test('proxy:type:name opens type:name directly', async () => {
  const t = await openTable('proxy:static:{x y}');
  assert.equal(await t.lookup('anything'), 'x y');
});

test('table lists: first match wins, errors stop the search, surrogates defer open errors', async () => {
  const list = await openTableList('inline:{a=1}, {inline:{a=2, b=2}} static:3');
  assert.equal(list.tables.length, 3);
  assert.equal(await list.lookup('a'), '1');
  assert.equal(await list.lookup('B'), '2');
  assert.equal(await list.lookup('zzz'), '3');
  await list.close();

  const failing = await openTableList('inline:{a=1}, fail:x, static:3');
  assert.equal(await failing.lookup('a'), '1');
  await assert.rejects(failing.lookup('b'), TableError);

  await assert.rejects(openTableList('inline:{a=1}, hash:/nonexistent/table'), TableError);
  const deferred = await openTableList('inline:{a=1}, hash:/nonexistent/table', { deferOpenErrors: true });
  assert.equal(await deferred.lookup('a'), '1');
  await assert.rejects(
    deferred.lookup('b'),
    /open database \/nonexistent\/table.db: No such file or directory/,
  );
});

/** A pattern-style table that records the keys it is asked (to check partial-key skipping). */
function recorder(fixedKeys: boolean, answers: Record<string, string>, seen: string[]): LookupTable {
  return {
    type: fixedKeys ? 'inline' : 'regexp',
    name: 'recorder',
    fixedKeys,
    async lookup(key: string) {
      seen.push(key);
      return answers[key];
    },
    async close() {},
  };
}

test('findAddress: Postfix key order, localpart keys only for local domains, partial keys skip pattern tables', async () => {
  const fixedSeen: string[] = [];
  const patternSeen: string[] = [];
  const tables = [recorder(false, {}, patternSeen), recorder(true, {}, fixedSeen)];
  const local = (d: string) => d === 'local.example';
  assert.equal(
    await findAddress(tables, 'user+ext@local.example', { recipientDelimiter: '+', isLocalDomain: local }),
    undefined,
  );
  assert.deepEqual(fixedSeen, [
    'user+ext@local.example',
    'user@local.example',
    'user+ext',
    'user',
    '@local.example',
  ]);
  assert.deepEqual(patternSeen, ['user+ext@local.example']);

  fixedSeen.length = 0;
  await findAddress(tables, 'user+ext@remote.example', { recipientDelimiter: '+', isLocalDomain: local });
  assert.deepEqual(fixedSeen, ['user+ext@remote.example', 'user@remote.example', '@remote.example']);

  fixedSeen.length = 0;
  await findAddress(tables, 'user+ext@remote.example', {});
  assert.deepEqual(fixedSeen, ['user+ext@remote.example', '@remote.example']);
});

test('findAddress: the worked examples of the spec (canonical and virtual)', async () => {
  const canonical = new TableList('c', [
    await openTable(
      'inline:{wietse=Wietse.Venema, joe@legacy.example=joe@example.com, @old.example=@new.example}',
    ),
  ]);
  const mydomain = (d: string) => d === 'localdomain.local' || d === 'pc.localdomain.local';
  const opts = { recipientDelimiter: '+', isLocalDomain: mydomain };
  assert.deepEqual(await findAddress(canonical, 'wietse@localdomain.local', opts), {
    value: 'Wietse.Venema',
    key: 'wietse',
  });
  assert.equal((await findAddress(canonical, 'joe@legacy.example', opts))?.value, 'joe@example.com');
  assert.deepEqual(await findAddress(canonical, 'jim@old.example', opts), {
    value: '@new.example',
    key: '@old.example',
  });

  const virtual = new TableList('v', [
    await openTable('inline:{joe+spam@example.com=spam@example.com, joe@example.com=joe.user@example.net}'),
  ]);
  assert.deepEqual(await findAddress(virtual, 'joe+foo@example.com', opts), {
    value: 'joe.user@example.net',
    key: 'joe@example.com',
    extension: '+foo',
  });
  assert.deepEqual(await findAddress(virtual, 'Joe+Spam@Example.com', opts), {
    value: 'spam@example.com',
    key: 'Joe+Spam@Example.com',
  });
});

test('extension splitting follows split_addr(): special localparts are never split', () => {
  const o = { recipientDelimiter: '+-' };
  assert.equal(extensionStart('user+foo', o), 4);
  assert.equal(extensionStart('user-foo+bar', o), 4);
  assert.equal(extensionStart('+foo', o), -1);
  assert.equal(extensionStart('postmaster', o), -1);
  assert.equal(extensionStart('owner-list', o), -1);
  assert.equal(extensionStart('list-request', o), -1);
  assert.equal(extensionStart('owner-list', { recipientDelimiter: '+' }), -1);
  assert.equal(extensionStart('user+foo', { recipientDelimiter: '' }), -1);
});
