// nis: tables without an NIS client: no domain means "not found" (Postfix's behaviour on a
// machine without NIS), a domain means every lookup is a temporary error (mail deferred).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NisTable, nisDomain } from '../../src/maps/nis.js';
import { TableError } from '../../src/maps/types.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-nis-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the NIS domain: "(none)", empty or unreadable mean none', () => {
  const file = join(dir, 'domainname');
  writeFileSync(file, '(none)\n');
  assert.equal(nisDomain(file), undefined);
  writeFileSync(file, '\n');
  assert.equal(nisDomain(file), undefined);
  writeFileSync(file, 'corp.example\n');
  assert.equal(nisDomain(file), 'corp.example');
  assert.equal(nisDomain(join(dir, 'missing')), undefined);
});

test('lookups: not found without a domain, a temporary error with one', async () => {
  assert.equal(await new NisTable('mail.aliases', undefined).lookup('root'), undefined);
  await assert.rejects(
    new NisTable('mail.aliases', 'corp.example').lookup('root'),
    (err: unknown) =>
      err instanceof TableError &&
      err.table === 'nis:mail.aliases' &&
      /NIS domain corp\.example, map mail\.aliases/.test(err.message),
  );
});
