// Differential tests: Outpost's postalias against the real /usr/sbin/postalias on the same
// aliases(5) sources, for hash, lmdb and cdb: warnings (file:line), exit codes, -q / -q - / -s
// answers, and lmdb/cdb files read across (Postfix reads Outpost's files and the other way
// round, including the "@" and NIS entries and their NUL conventions).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer, POSTMAP } from '../helpers/peers.js';
import { makeSandbox, ROOT, sortedLines, writeSource, type Run } from '../maps/helpers.js';

const REAL = '/usr/sbin/postalias';
const OURS = join(ROOT, 'bin', 'postalias');

const CORPUS = [
  '  orphan: continuation without a line before it',
  '# the usual aliases',
  'Postmaster: root',
  'root: alice, bob',
  'MAILER-DAEMON:postmaster',
  'multi: x,',
  '   y,',
  '# a comment inside a continuation',
  '',
  '\tz',
  'spacing: b,c , d\t  e',
  'pipe: "|/usr/bin/procmail -a $EXTENSION"',
  'bare-pipe: |/usr/local/bin/filter.sh arg',
  'file: /var/mail/archive',
  'include: :include:/etc/mail/lists/staff',
  '"quoted name": alice',
  'comments: x (comment), y (nested (one))',
  'named: Some Name <p@q.example>, <>',
  'literal: user@[192.0.2.1]',
  'escapes: "a\\"b", \\\\x, a"b',
  'dup: first',
  'DUP: second',
  'ünïcödé: utf8 value ü',
  'Straße: folds',
  'name@domain: not local',
  'pct%x: not local either',
  'a, b: comma in name',
  'novalue:',
  'nocolon here',
  ': no name',
  'p\\: escaped colon',
  '"m:n": colon inside quotes',
  'empty: ""',
  'crlf: windows\r',
  'hash: v # not a comment',
  'last: final',
].join('\n');

const KEYS = [
  'postmaster',
  'POSTMASTER',
  'root',
  'mailer-daemon',
  'multi',
  'spacing',
  'pipe',
  'bare-pipe',
  'file',
  'include',
  'quoted name',
  '"quoted name"',
  'comments',
  'named',
  'literal',
  'escapes',
  'dup',
  'ÜNÏCÖDÉ',
  'strasse',
  'name@domain',
  'name',
  'novalue',
  'm:n',
  'empty',
  'crlf',
  'hash',
  'last',
  '@',
  'YP_MASTER_NAME',
  'orphan',
  'nonexistent',
];

const TYPES = ['lmdb', 'cdb', 'hash'];

let box: ReturnType<typeof makeSandbox>;
let realDir: string;
let ourDir: string;

function run(cmd: string, args: string[], cwd: string, input = ''): Run {
  const r = spawnSync(cmd, args, { cwd, input, env: { ...process.env, MAIL_CONFIG: box.conf } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}
const real = (args: string[], input?: string): Run => run(REAL, args, realDir, input);
const ours = (args: string[], input?: string): Run => run(OURS, args, ourDir, input);

/** YP_LAST_MODIFIED is the build time: equal up to the second only by luck. */
function maskTime(s: string): string {
  return s.replace(/^(YP_LAST_MODIFIED:?\t)\d{10}$/gm, '$1<time>');
}

function same(args: string[], input?: string, what = args.join(' ')): void {
  const r = real(args, input);
  const o = ours(args, input);
  assert.equal(maskTime(o.stdout), maskTime(r.stdout), `stdout of ${what}`);
  assert.equal(o.stderr, r.stderr, `stderr of ${what}`);
  assert.equal(o.status, r.status, `exit code of ${what}`);
}

before(() => {
  box = makeSandbox('postalias-diff');
  realDir = join(box.root, 'real');
  ourDir = join(box.root, 'ours');
  mkdirSync(realDir);
  mkdirSync(ourDir);
  for (const d of [realDir, ourDir]) writeSource(join(d, 'aliases'), CORPUS);
});
after(() => box?.cleanup());

test('build: the same warnings with file:line and exit codes, per table type', (t) => {
  if (!needPeer(t, 'postfix (postalias)', hasPostfix())) return;
  for (const type of TYPES) same([`${type}:aliases`]);
  // Default type (hash) and the non-UTF-8 check: a Latin-1 line is skipped with a warning.
  for (const d of [realDir, ourDir])
    writeSource(join(d, 'latin1'), Buffer.from('ok: x\nbad\xe9: y\n', 'latin1'));
  same(['latin1']);
});

test('-q: the same answers and exit codes for every key and table type', (t) => {
  if (!needPeer(t, 'postfix (postalias)', hasPostfix())) return;
  for (const type of TYPES) {
    // One by one for a sample (the -q - run below covers every key).
    for (const key of KEYS.filter((_, n) => n % 3 === 0)) same(['-q', key, `${type}:aliases`]);
    same(['-q', '-', `${type}:aliases`], KEYS.join('\n') + '\n', `${type} -q -`);
  }
});

test('-s: the same entries ("key:<TAB>value"), including the "@" and NIS signatures', (t) => {
  if (!needPeer(t, 'postfix (postalias)', hasPostfix())) return;
  same(['-s', 'lmdb:aliases']);
  same(['-s', 'cdb:aliases']);
  // Postfix lists hash tables in Berkeley DB order, Outpost in source order.
  const r = real(['-s', 'hash:aliases']);
  const o = ours(['-s', 'hash:aliases']);
  assert.deepEqual(sortedLines(maskTime(o.stdout)), sortedLines(maskTime(r.stdout)));
  assert.equal(o.stderr, r.stderr);
});

test("lmdb and cdb files are read across: Postfix reads Outpost's and Outpost reads Postfix's", (t) => {
  if (!needPeer(t, 'postfix (postalias)', hasPostfix())) return;
  for (const type of ['lmdb', 'cdb']) {
    const keys = KEYS.join('\n') + '\n';
    const mine = run(REAL, ['-q', '-', `${type}:${join(ourDir, 'aliases')}`], realDir, keys);
    const theirs = run(REAL, ['-q', '-', `${type}:aliases`], realDir, keys);
    assert.deepEqual(mine, theirs, `real postalias -q - on Outpost's ${type} file`);
    const back = run(OURS, ['-q', '-', `${type}:${join(realDir, 'aliases')}`], ourDir, keys);
    assert.deepEqual(
      back,
      run(OURS, ['-q', '-', `${type}:aliases`], ourDir, keys),
      `Outpost on Postfix's ${type}`,
    );
    assert.deepEqual(
      run(OURS, ['-q', 'root', `${type}:${join(realDir, 'aliases')}`], ourDir),
      run(REAL, ['-q', 'root', `${type}:${join(ourDir, 'aliases')}`], realDir),
    );
    // The stored forms: "@" with the table's NUL convention, the NIS entries never with a NUL
    // and never folded, exactly as real postmap -N / -n sees them in Postfix's own file.
    for (const args of [
      ['-N', '-q', '@'],
      ['-n', '-q', '@'],
      ['-N', '-f', '-q', 'YP_MASTER_NAME'],
      ['-n', '-f', '-q', 'YP_MASTER_NAME'],
      ['-n', '-f', '-q', 'yp_master_name'],
      ['-N', '-q', 'root'],
      ['-n', '-q', 'root'],
    ]) {
      const mine = run(POSTMAP, [...args, `${type}:${join(ourDir, 'aliases')}`], realDir);
      const theirs = run(POSTMAP, [...args, `${type}:aliases`], realDir);
      assert.deepEqual(mine, theirs, `postmap ${args.join(' ')} ${type}`);
    }
  }
});

test('-i adds aliases(5) lines from stdin and refreshes the signatures; -d deletes', (t) => {
  if (!needPeer(t, 'postfix (postalias)', hasPostfix())) return;
  same(['lmdb:aliases']);
  same(['-i', 'lmdb:aliases'], 'New: x, y\nbad line\npostmaster: replaced\n');
  same(['-s', 'lmdb:aliases']);
  same(['-d', 'new', 'lmdb:aliases']);
  same(['-d', 'new', 'lmdb:aliases']);
  same(['-q', 'new', 'lmdb:aliases']);
  same(['-i', 'cdb:aliases'], 'x: y\n');
});

test('command line: usage, unknown options, conflicts, missing files', (t) => {
  if (!needPeer(t, 'postfix (postalias)', hasPostfix())) return;
  same([]);
  same(['-b', 'aliases']);
  same(['-m', 'aliases']);
  same(['-q']);
  same(['-q', 'x']);
  same(['-s']);
  same(['-s', '-q', 'x', 'lmdb:aliases']);
  same(['-q', 'x', '-d', 'y', 'lmdb:aliases']);
  same(['missing']);
  same(['lmdb:missing']);
  same(['-q', 'x', 'lmdb:missing']);
  same(['proxy:hash:aliases']);
  same(['nosuchtype:aliases']);
  same(['aliases', '-q', 'root']);
});

test('newaliases (sendmail -bi): real and Outpost build $alias_database alike', (t) => {
  if (!needPeer(t, 'postfix (sendmail, postalias)', hasPostfix())) return;
  const SENDMAIL = join(ROOT, 'bin', 'sendmail');
  const cases = ['lmdb:@D@/aliases, cdb:@D@/aliases', 'lmdb:@D@/aliases @D@/missing cdb:@D@/aliases', ''];
  for (const [n, databases] of cases.entries()) {
    const result = (cmd: string, side: string): Run => {
      const d = join(box.root, `newaliases-${side}-${n}`);
      mkdirSync(d);
      writeSource(join(d, 'aliases'), CORPUS);
      writeSource(
        join(d, 'main.cf'),
        `compatibility_level = 3.7\nalias_database = ${databases.replaceAll('@D@', d)}\n`,
      );
      // No master.cf: Postfix's sendmail never reads it, so neither may Outpost's.
      const r = run(cmd, ['-C', d, '-bi'], d);
      // Both builds must answer alike, whoever built them (real postalias reads both).
      const q = run(REAL, ['-q', '-', `lmdb:${join(d, 'aliases')}`], d, KEYS.join('\n') + '\n');
      return {
        status: r.status,
        stderr: r.stderr.replaceAll(d, '@D@'),
        stdout: (r.stdout + q.stdout + q.stderr).replaceAll(d, '@D@'),
      };
    };
    assert.deepEqual(
      result(SENDMAIL, 'ours'),
      result('/usr/sbin/sendmail', 'real'),
      `alias_database = ${databases}`,
    );
  }
});
