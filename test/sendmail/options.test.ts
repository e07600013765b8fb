// sendmail(1) command-line grammar as Postfix's getopt string defines it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSendmailArgs, UsageError } from '../../src/sendmail/options.js';

test('flags, glued and separate arguments, grouping, recipients', () => {
  const o = parseSendmailArgs(['-ti', '-falice@example.org', '-F', 'Alice A', '-oi', 'bob', 'carol@x']);
  assert.equal(o.extractRecipients, true);
  assert.equal(o.ignoreDots, true);
  assert.equal(o.sender, 'alice@example.org');
  assert.equal(o.fullName, 'Alice A');
  assert.deepEqual(o.recipients, ['bob', 'carol@x']);
  assert.equal(o.mode, 'deliver');
});

test('-f <> and -r give the (null) sender; -- ends options', () => {
  assert.equal(parseSendmailArgs(['-f', '<>', 'x']).sender, '');
  assert.equal(parseSendmailArgs(['-r', '<a@b>', 'x']).sender, 'a@b');
  assert.deepEqual(parseSendmailArgs(['--', '-notanoption']).recipients, ['-notanoption']);
});

test('modes: -bs -bp -bi -I -q -qRsite -bm; argv0 mailq/newaliases', () => {
  assert.equal(parseSendmailArgs(['-bs']).mode, 'smtp');
  assert.equal(parseSendmailArgs(['-bp']).mode, 'mailq');
  assert.equal(parseSendmailArgs(['-bi']).mode, 'newaliases');
  assert.equal(parseSendmailArgs(['-I']).mode, 'newaliases');
  assert.equal(parseSendmailArgs(['-q']).mode, 'flush');
  assert.equal(parseSendmailArgs(['-qRexample.org']).flushSelector, 'Rexample.org');
  assert.equal(parseSendmailArgs(['-q30m', 'x']).mode, 'deliver');
  assert.equal(parseSendmailArgs(['-bm', 'x']).mode, 'deliver');
  assert.equal(parseSendmailArgs([], 'mailq').mode, 'mailq');
  assert.equal(parseSendmailArgs([], 'newaliases').mode, 'newaliases');
  assert.equal(parseSendmailArgs(['-C', '/etc/x']).configDir, '/etc/x');
});

test('DSN options -N -R -V -B are validated', () => {
  const o = parseSendmailArgs(['-N', 'success,delay', '-R', 'hdrs', '-V', 'env-1', '-B', '8bitmime', 'x']);
  assert.deepEqual(o.notify, ['SUCCESS', 'DELAY']);
  assert.equal(o.ret, 'HDRS');
  assert.equal(o.envid, 'env-1');
  assert.equal(o.body, '8BITMIME');
  // Postfix 3.7 warns about bad -N/-R values and goes on; a bad -B is fatal.
  const n = parseSendmailArgs(['-N', 'sometimes', 'x']);
  assert.equal(n.notify, undefined);
  assert.deepEqual(n.warnings, [
    'unknown DSN NOTIFY command value "sometimes" in "sometimes"',
    'bad -N option value -- ignored',
  ]);
  assert.deepEqual(parseSendmailArgs(['-N', 'never,success']).warnings, ['bad -N option value -- ignored']);
  assert.deepEqual(parseSendmailArgs(['-R', 'most']).warnings, ['bad -R option value -- ignored']);
  assert.throws(() => parseSendmailArgs(['-B', '9BIT']), /-B option needs 8BITMIME or 7BIT/);
});

test('ignored options are accepted; unknown ones and missing arguments are usage errors', () => {
  const o = parseSendmailArgs([
    '-Am',
    '-Ac',
    '-bh',
    '-bH',
    '-h',
    '5',
    '-L',
    'lbl',
    '-m',
    '-n',
    '-O',
    'x=y',
    '-o7',
    '-o8',
    '-om',
    '-ox',
    '-U',
    '-X',
    'log',
    '-G',
    'rcpt',
  ]);
  assert.deepEqual(o.recipients, ['rcpt']);
  assert.throws(
    () => parseSendmailArgs(['-K']),
    (e: UsageError) => e.getopt && /invalid option -- 'K'/.test(e.message),
  );
  assert.throws(() => parseSendmailArgs(['-f']), /option requires an argument -- 'f'/);
  assert.throws(() => parseSendmailArgs(['-bd']), /-bd option is not supported/);
});
