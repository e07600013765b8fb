// unix:passwd.byname and unix:group.byname, differential against the real postmap -q: first on
// this machine's own account files, then (as root, in a private mount namespace) on crafted
// files bind-mounted over /etc/passwd and /etc/group, so both programs see the same odd lines.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, chmodSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer, POSTMAP } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, OUR_POSTMAP } from './helpers.js';
import { openTable } from '../../src/maps/registry.js';
import { openUnixFile } from '../../src/maps/unix.js';
import { TableError } from '../../src/maps/types.js';

const box = makeSandbox('unix');
after(() => box.cleanup());

const names = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.split(':')[0]!)
    .filter((n) => n !== '' && !n.startsWith('#'));

/** Every account name, its upper-case form, and names that do not exist. */
function keysFor(file: string): string {
  const all = names(file);
  return [...all, ...all.map((n) => n.toUpperCase()), 'no-such-account', 'x'].join('\n') + '\n';
}

test('the machine’s own accounts and groups: same answers as postmap -q - unix:…', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const [table, file] of [
    ['unix:passwd.byname', '/etc/passwd'],
    ['unix:group.byname', '/etc/group'],
  ] as const) {
    const input = keysFor(file);
    const theirs = realPostmap(['-q', '-', table], box.conf, box.root, input);
    const ours = ourPostmap(['-q', '-', table], box.conf, box.root, input);
    assert.equal(ours.stderr, theirs.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.equal(ours.status, theirs.status);
    assert.ok(theirs.stdout.split('\n').length > 5, theirs.stdout);
  }
});

test('single keys, exit status and the unknown-table error as postmap -q', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const args of [
    ['-q', 'root', 'unix:passwd.byname'],
    ['-q', 'Root', 'unix:passwd.byname'],
    ['-q', 'root', 'unix:group.byname'],
    ['-q', 'nobody-here', 'unix:passwd.byname'],
    ['-q', 'root', 'unix:shadow.byname'],
  ]) {
    const theirs = realPostmap(args, box.conf, box.root);
    const ours = ourPostmap(args, box.conf, box.root);
    assert.deepEqual(ours, theirs, args.join(' '));
  }
});

const PASSWD = `root:x:0:0:root:/root:/bin/bash
Bob:x:1001:1001:Bob B,,,:/home/bob:/bin/sh
bob:x:1002:1002::/home/bob2:
# comment

carol:x:0100:100:c:/h:/bin/sh:extra
bad:x:notnum:1:x:/h:/bin/sh
short:x:5:5
+nis
-minus
dave::1003:1003:::/bin/sh
s2:x:5
s3:x
s5:x::5:g:h:s
s6:x:5:5:g:h
s7:x:-1:5:g:h:s
s8:x: 7:5:g:h:s
s9:x:7 :5:g:h:s
s10:x:0x10:5:g:h:s
 s11:x:1:1:g:h:s
s12:x:4294967295:1:g:h:s
s13:x:99999999999:1::h:s
dave:x:9:9:second dave:/nowhere:/bin/false
`;
const GROUP = `root:x:0:
grp:x:50:alice,bob,carol
G2:x:51:
grp:x:52:dup
sp:!:53:a, b
h1:x:60
h2:x::
h3:x:61:a,,b,
h4
h5:x:62:a:b
`;

test('crafted account files (bind-mounted over /etc in a private namespace): same as Postfix', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const unshare = spawnSync('unshare', ['-m', 'true']);
  if (!needPeer(t, 'unshare -m (root)', unshare.status === 0)) return;
  // Real postmap checks that mail_owner exists: keep the postfix account in the files.
  const keep = (file: string): string =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^(postfix|postdrop):/.test(l))
      .join('\n');
  const pw = join(box.root, 'passwd');
  const gr = join(box.root, 'group');
  writeFileSync(pw, PASSWD + keep('/etc/passwd') + '\n');
  writeFileSync(gr, GROUP + keep('/etc/group') + '\n');
  const pwKeys = [...names(pw), 'BOB', 'nis', 'minus', 's11'].join('\n') + '\n';
  const grKeys = [...names(gr), 'g2', 'GRP'].join('\n') + '\n';
  const inNamespace = (postmap: string, table: string, input: string): string => {
    const script = `mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && exec "$3" -q - "$4"`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', pw, gr, postmap, table], {
      input,
      encoding: 'utf8',
      env: { ...process.env, MAIL_CONFIG: box.conf },
    });
    assert.equal(r.stderr, '');
    return r.stdout;
  };
  const theirsPw = inNamespace(POSTMAP, 'unix:passwd.byname', pwKeys);
  assert.match(theirsPw, /^carol\tcarol:x:100:100:c:\/h:\/bin\/sh:extra$/m);
  assert.equal(inNamespace(OUR_POSTMAP, 'unix:passwd.byname', pwKeys), theirsPw);
  const theirsGr = inNamespace(POSTMAP, 'unix:group.byname', grKeys);
  assert.match(theirsGr, /^grp\tgrp:x:50:alice,bob,carol$/m);
  assert.equal(inNamespace(OUR_POSTMAP, 'unix:group.byname', grKeys), theirsGr);
});

test('proxy:unix:passwd.byname answers as unix:passwd.byname (no proxymap in Outpost)', async () => {
  const direct = await openTable('unix:passwd.byname');
  const proxied = await openTable('proxy:unix:passwd.byname');
  assert.equal(proxied.type, 'unix');
  assert.match((await proxied.lookup('root')) ?? '', /^root:[^:]*:0:0:/);
  assert.equal(await proxied.lookup('root'), await direct.lookup('root'));
  await assert.rejects(openTable('proxy:unix:shadow.byname'), /unknown table: unix:shadow\.byname/);
});

test('the file is read again when it changes; an unreadable file is a temporary error', async () => {
  const file = join(box.root, 'changing-passwd');
  writeFileSync(file, 'alice:x:1000:1000::/home/alice:/bin/sh\n');
  const old = new Date('2020-01-01T00:00:00Z');
  utimesSync(file, old, old);
  const table = openUnixFile('passwd.byname', file);
  assert.equal(await table.lookup('newuser'), undefined);
  writeFileSync(file, 'alice:x:1000:1000::/home/alice:/bin/sh\nnewuser:x:1001:1001::/home/n:/bin/sh\n');
  assert.equal(await table.lookup('newuser'), 'newuser:x:1001:1001::/home/n:/bin/sh');
  assert.equal(await table.lookup('ALICE'), 'alice:x:1000:1000::/home/alice:/bin/sh');
  const missing = openUnixFile('passwd.byname', join(box.root, 'missing'));
  await assert.rejects(
    missing.lookup('alice'),
    (e: unknown) => e instanceof TableError && e.table === 'unix:passwd.byname',
  );
  if (process.getuid?.() !== 0) {
    chmodSync(file, 0); // changes ctime, so the next lookup reads the file again
    await assert.rejects(table.lookup('alice'), TableError);
  }
});
