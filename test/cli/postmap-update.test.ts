// postmap's incremental updates (-i) and deletes (-d) compared with the real /usr/sbin/postmap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, writeSource } from '../maps/helpers.js';

const SOURCE = 'dup first\nDUP second\nUser@Example.COM alice\nlast final\nkeyonly\n';

let box: ReturnType<typeof makeSandbox>;
let realDir: string;
let ourDir: string;

before(() => {
  box = makeSandbox('postmap-update');
  realDir = join(box.root, 'real');
  ourDir = join(box.root, 'ours');
  mkdirSync(realDir);
  mkdirSync(ourDir);
  // Postfix re-reads a texthash file modified within the last second (and repeats its
  // warnings); an older mtime keeps runs comparable.
  for (const d of [realDir, ourDir]) writeSource(join(d, 'src'), SOURCE);
});

after(() => box.cleanup());

const real = (args: string[], input?: string) => realPostmap(args, box.conf, realDir, input);
const ours = (args: string[], input?: string) => ourPostmap(args, box.conf, ourDir, input);

function same(args: string[], input?: string, what = args.join(' ')): void {
  const r = real(args, input);
  const o = ours(args, input);
  assert.equal(o.stdout, r.stdout, `stdout of ${what}`);
  assert.equal(o.stderr, r.stderr, `stderr of ${what}`);
  assert.equal(o.status, r.status, `exit code of ${what}`);
}

test('-i adds stdin entries (with duplicate warnings); -d and -d - delete; exit codes', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const type of ['hash', 'lmdb']) {
    real([`${type}:src`]);
    ours([`${type}:src`]);
    same(['-i', `${type}:src`], 'New value\ndup other\nbroken\n');
    same(['-q', '-', `${type}:src`], 'new\ndup\nlast\n');
    same(['-d', 'last', `${type}:src`]);
    same(['-d', 'last', `${type}:src`]);
    same(['-d', '-', `${type}:src`], 'new\nnothing\n');
    same(['-q', '-', `${type}:src`], 'new\ndup\nlast\nuser@example.com\n');
  }
  // -i creates a missing database.
  same(['-i', 'lmdb:fresh'], 'a 1\n');
  same(['-q', 'a', 'lmdb:fresh']);
  // cdb cannot be updated in place.
  real(['cdb:src']);
  ours(['cdb:src']);
  same(['-d', 'dup', 'cdb:src']);
  same(['-i', 'cdb:src'], 'x y\n');
});
