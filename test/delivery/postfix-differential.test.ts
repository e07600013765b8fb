// Differential test against a private Postfix 3.7 instance: the same sendmail submission to
// the same local user, delivered to a Maildir by both, must give the same delivered headers,
// the same Maildir file-name form and the same pickup/qmgr/local log lines (queue IDs, PIDs,
// times and delays normalised). Needs root (Postfix's master must start as root).
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeInstance, outpost, sendmail, waitFor, type TestInstance } from '../daemon/helpers.js';
import { lookupUser } from '../../src/master/privileges.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

const MASTER_CF = `pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`;

const MESSAGE = 'Subject: differential\n\nFrom the start of a line\nbody\n';

/** Header names in order, and the body, of a delivered file. */
function shape(text: string): { names: string[]; firstLines: string[]; body: string } {
  const split = text.indexOf('\n\n');
  const header = text.slice(0, split + 1);
  return {
    names: [...header.matchAll(/^([!-9;-~]+):/gm)].map((m) => m[1]!),
    firstLines: header.split('\n').slice(0, 4),
    body: text.slice(split + 2),
  };
}

/** pickup/qmgr/local log lines with queue IDs, PIDs, times, delays and hosts normalised. */
function normalisedLog(text: string, ids: string[]): string[] {
  return text
    .split('\n')
    .filter((l) => /postfix\/(pickup|qmgr|local)\[/.test(l))
    .map((l) => {
      let out = l.replace(/^.*? postfix\/(\w+)\[\d+\]: /, '$1: ');
      for (const id of ids) out = out.split(id).join('QID');
      return out.replace(/delay=[\d.]+, delays=[\d./]+/, 'delay=D').replace(/size=\d+/, 'size=N');
    });
}

async function newFile(dir: string): Promise<{ name: string; text: string }> {
  const name = await waitFor(`maildir file in ${dir}`, async () => (await readdir(dir).catch(() => []))[0]);
  return { name, text: await readFile(join(dir, name), 'utf8') };
}

interface Run {
  file: { name: string; text: string };
  log: string;
  ids: string[];
}

/** Run `MESSAGE` through a private Postfix instance to user nobody; `spool` is mail_spool_directory's tail. */
async function runPostfix(spool: 'maildir' | 'mbox'): Promise<Run> {
  const P = await mkdtemp(join(tmpdir(), 'outpost-pfx-'));
  cleanups.push(async () => {
    spawnSync('/usr/sbin/postfix', ['-c', join(P, 'etc'), 'stop'], { stdio: 'ignore' });
    await rm(P, { recursive: true, force: true });
  });
  await chmod(P, 0o755);
  for (const d of ['etc', 'spool', 'data', 'mail']) await mkdir(join(P, d));
  await chmod(join(P, 'mail'), 0o1777);
  const postfixUser = (await lookupUser('postfix'))!;
  await chown(join(P, 'data'), postfixUser.uid, postfixUser.gid);
  await writeFile(
    join(P, 'etc', 'main.cf'),
    [
      'compatibility_level = 3.7',
      `queue_directory = ${P}/spool`,
      `data_directory = ${P}/data`,
      'myhostname = mx.test.example',
      'mydestination = $myhostname, localhost',
      'inet_interfaces = loopback-only',
      'inet_protocols = ipv4',
      `maillog_file = ${P}/maillog`,
      `maillog_file_prefixes = ${P}`,
      `mail_spool_directory = ${P}/mail${spool === 'maildir' ? '/' : ''}`,
      'alias_maps =',
      '',
    ].join('\n'),
  );
  await writeFile(join(P, 'etc', 'master.cf'), MASTER_CF);
  const past = new Date('2020-01-01T00:00:00Z');
  await utimes(join(P, 'etc', 'main.cf'), past, past);
  const started = spawnSync('/usr/sbin/postfix', ['-c', join(P, 'etc'), 'start'], { encoding: 'utf8' });
  assert.equal(started.status, 0, started.stderr);
  const sent = spawnSync('/usr/sbin/sendmail', ['-C', join(P, 'etc'), '-f', 'carol@example.org', 'nobody'], {
    input: MESSAGE,
  });
  assert.equal(sent.status, 0);
  const log = await waitFor('postfix removed', async () => {
    const l = await readFile(join(P, 'maillog'), 'utf8').catch(() => '');
    return /qmgr\[\d+\]: \w+: removed/.test(l) ? l : undefined;
  });
  const file =
    spool === 'maildir'
      ? await newFile(join(P, 'mail', 'nobody', 'new'))
      : { name: 'nobody', text: await readFile(join(P, 'mail', 'nobody'), 'utf8') };
  return { file, log, ids: idsIn(log) };
}

async function runOutpost(spool: 'maildir' | 'mbox'): Promise<Run> {
  const inst: TestInstance = await makeInstance({
    main: `home_mailbox =\nmail_spool_directory = $config_directory/spool-mail${spool === 'maildir' ? '/' : ''}\nalias_maps =`,
    noSmtp: true,
  });
  cleanups.push(() => inst.cleanup());
  await mkdir(join(inst.dir, 'spool-mail'));
  await chmod(join(inst.dir, 'spool-mail'), 0o1777);
  assert.equal(outpost(inst.dir, 'start').status, 0);
  const ours = await sendmail(['-C', inst.dir, '-f', 'carol@example.org', 'nobody'], MESSAGE);
  assert.equal(ours.status, 0, ours.stderr);
  const log = await waitFor('outpost removed', async () => {
    const l = await readFile(inst.maillog, 'utf8');
    return /qmgr\[\d+\]: \w+: removed/.test(l) ? l : undefined;
  });
  const file =
    spool === 'maildir'
      ? await newFile(join(inst.dir, 'spool-mail', 'nobody', 'new'))
      : { name: 'nobody', text: await readFile(join(inst.dir, 'spool-mail', 'nobody'), 'utf8') };
  return { file, log, ids: idsIn(log) };
}

function idsIn(log: string): string[] {
  return [...new Set([...log.matchAll(/: ([0-9A-F]{6,}): /g)].map((m) => m[1]!))];
}

function canRun(t: TestContext): boolean {
  if (!needPeer(t, 'postfix', hasPostfix())) return false;
  if (process.getuid?.() !== 0) {
    t.skip('needs root (Postfix master starts as root)');
    return false;
  }
  return true;
}

test('local Maildir delivery matches real Postfix: headers, file name, log lines', async (t) => {
  if (!canRun(t)) return;
  const pf = await runPostfix('maildir');
  const op = await runOutpost('maildir');

  // File names: "<sec>.V<dev>I<ino>M<usec>.<gethostname()>" in both.
  const form = new RegExp(`^\\d+\\.V[0-9a-f]+I[0-9a-f]+M\\d{1,6}\\.${hostname().replace(/\./g, '\\.')}$`);
  assert.match(pf.file.name, form);
  assert.match(op.file.name, form);

  // Delivered headers and the pickup Received: line, header order, body.
  const a = shape(pf.file.text);
  const b = shape(op.file.text);
  assert.deepEqual(b.firstLines, a.firstLines);
  assert.deepEqual(b.names, a.names);
  assert.equal(b.body, a.body);
  const fromOf = (s: string): string => /^From: (.*)$/m.exec(s)![1]!;
  assert.equal(fromOf(op.file.text), fromOf(pf.file.text));

  // Log lines.
  const expected = normalisedLog(pf.log, pf.ids);
  // pickup uid/from, qmgr queue active, local to=/orig_to=/status, qmgr removed
  assert.equal(expected.length, 4, expected.join('\n'));
  assert.match(
    expected[2]!,
    /^local: QID: to=<nobody@mx\.test\.example>, orig_to=<nobody>, relay=local, delay=D, dsn=2\.0\.0, status=sent \(delivered to maildir\)$/,
  );
  assert.deepEqual(normalisedLog(op.log, op.ids), expected);
});

test('local mbox delivery matches real Postfix: From_ line, quoting, trailing empty line', async (t) => {
  if (!canRun(t)) return;
  const pf = await runPostfix('mbox');
  const op = await runOutpost('mbox');
  const fromLine = /^From carol@example\.org {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/;
  assert.match(pf.file.text, fromLine);
  assert.match(op.file.text, fromLine);
  const strip = (s: string): string => s.replace(fromLine, '');
  const a = shape(strip(pf.file.text));
  const b = shape(strip(op.file.text));
  assert.deepEqual(b.firstLines, a.firstLines);
  assert.deepEqual(b.names, a.names);
  assert.equal(b.body, a.body); // ">From the start of a line", then the empty line mbox needs
  assert.match(a.body, /^>From the start of a line\nbody\n\n$/);
  const expected = normalisedLog(pf.log, pf.ids);
  assert.match(expected[2]!, /status=sent \(delivered to mailbox\)$/);
  assert.deepEqual(normalisedLog(op.log, op.ids), expected);
});
