// `postmap cdb:file` on plain sources (the fast path of src/maps/cdb-bulk.ts) against the real
// /usr/sbin/postmap: same warnings and exit code and the same -q - answers, for each duplicate
// policy, NUL convention and -f; real postmap answers the same from the file Outpost wrote.
// Postfix's cdb driver cannot dump (-s), so the files are compared byte for byte instead: with
// the file Outpost's general path (TableBuilder) writes for the same source, and with Postfix's
// file where Postfix writes the same bytes (all but -w, where tinycdb also stores the ignored
// duplicates, and -r, where it appends the replacing record at the end).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, writeSource } from '../maps/helpers.js';
import { plainCorpus } from './plain-corpus.js';
import { buildFromSource, type BuildOptions } from '../../src/maps/compiled-build.js';
import { format as cdbFormat } from '../../src/maps/cdb.js';
import { PlainParser } from '../../src/maps/lmdb-bulk.js';

let box: ReturnType<typeof makeSandbox>;
let realDir: string;
let ourDir: string;
let generalDir: string;
// Values longer than copyBytes()'s loop now and then (test/cli/plain-corpus.ts).
const { source, keys } = plainCorpus({
  seed: 11,
  entries: 4000,
  prefix: 'prefix',
  longEvery: 200,
  longLength: 3000,
});

before(() => {
  box = makeSandbox('postmap-cdb-plain');
  realDir = join(box.root, 'real');
  ourDir = join(box.root, 'ours');
  generalDir = join(box.root, 'general');
  for (const d of [realDir, ourDir, generalDir]) {
    mkdirSync(d);
    writeSource(join(d, 'src'), source);
  }
});

after(() => box.cleanup());

const real = (args: string[], input?: string) => realPostmap(args, box.conf, realDir, input);
const ours = (args: string[], input?: string) => ourPostmap(args, box.conf, ourDir, input);

test('the corpus is plain (it takes the fast path) and a continuation line is not', () => {
  const isPlain = (text: string): boolean => {
    const buf = Buffer.from(text + '\0');
    const p = new PlainParser(true, true, true);
    p.feed(buf, buf.length - 1, true);
    return p.entries(buf) !== undefined;
  };
  assert.equal(isPlain(source), true);
  assert.equal(isPlain(source + 'key value\n  continued\n'), false);
});

/** The file Outpost's general path (TableBuilder, as for non-plain sources) writes. */
async function generalPathFile(flags: string[], name: string): Promise<Buffer> {
  const options: BuildOptions = {
    foldCase: !flags.includes('-f'),
    duplicates: flags.includes('-r') ? 'replace' : flags.includes('-w') ? 'ignore' : 'warn',
  };
  if (flags.includes('-N')) options.nulTerminated = true;
  if (flags.includes('-n')) options.nulTerminated = false;
  copyFileSync(join(ourDir, name), join(generalDir, name));
  await buildFromSource(cdbFormat, join(generalDir, name), options);
  return readFileSync(join(generalDir, `${name}.cdb`));
}

for (const flags of [[], ['-r'], ['-w'], ['-N'], ['-n'], ['-f']]) {
  test(`cdb plain source ${flags.join(' ') || '(no flags)'}: warnings, bytes and answers match`, async (t) => {
    if (!needPeer(t, 'postfix', hasPostfix())) return;
    const r = real([...flags, 'cdb:src']);
    const o = ours([...flags, 'cdb:src']);
    assert.equal(o.status, r.status);
    assert.equal(o.stderr, r.stderr);
    if (flags.length === 0) assert.match(o.stderr, /duplicate entry/);

    const ourFile = readFileSync(join(ourDir, 'src.cdb'));
    assert.ok(ourFile.equals(await generalPathFile(flags, 'src')), 'same bytes as the general path');
    if (!flags.includes('-r') && !flags.includes('-w'))
      assert.ok(ourFile.equals(readFileSync(join(realDir, 'src.cdb'))), "same bytes as Postfix's file");

    const qflags = flags.filter((f) => f === '-f' || f === '-N' || f === '-n');
    const input = keys.join('\n') + '\n';
    const rq = real([...qflags, '-q', '-', 'cdb:src'], input);
    const oq = ours([...qflags, '-q', '-', 'cdb:src'], input);
    assert.equal(oq.stdout, rq.stdout);
    assert.equal(oq.status, rq.status);
    assert.ok(rq.stdout.split('\n').length > 1000);
    // Postfix's tinycdb reads the file Outpost wrote.
    const cross = realPostmap([...qflags, '-q', '-', 'cdb:src'], box.conf, ourDir, input);
    assert.equal(cross.stdout, rq.stdout);
    assert.equal(cross.status, rq.status);
  });
}

test('cdb source that stops being plain at its end: warnings and bytes as Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  // Keys are folded in place before the continuation line sends the build to the general path.
  const text = source + 'Tail value\n  continued\n"Quoted Key" q\nUSER1@DOMAIN1.EXAMPLE.COM again\n';
  for (const d of [realDir, ourDir]) writeSource(join(d, 'mixed'), text);
  const r = real(['cdb:mixed']);
  const o = ours(['cdb:mixed']);
  assert.equal(o.status, r.status);
  assert.equal(o.stderr, r.stderr);
  const ourFile = readFileSync(join(ourDir, 'mixed.cdb'));
  assert.ok(ourFile.equals(readFileSync(join(realDir, 'mixed.cdb'))));
  const input = [...keys, 'tail', '"quoted key"', 'quoted key'].join('\n') + '\n';
  assert.equal(ours(['-q', '-', 'cdb:mixed'], input).stdout, real(['-q', '-', 'cdb:mixed'], input).stdout);
});

test('cdb plain source without entries: same bytes as Postfix', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const d of [realDir, ourDir]) writeSource(join(d, 'empty'), '# nothing\n\n');
  assert.equal(ours(['cdb:empty']).status, real(['cdb:empty']).status);
  assert.ok(readFileSync(join(ourDir, 'empty.cdb')).equals(readFileSync(join(realDir, 'empty.cdb'))));
});
