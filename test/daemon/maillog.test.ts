// The buffered mail log writer: same line format, lines in order, nothing lost at exit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailLog, flushMailLogs } from '../../src/log/maillog.js';
import { root } from './helpers.js';

let dir = '';
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('lines reach maillog_file in order after flushMailLogs(), in Postfix format', async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-maillog-'));
  const file = join(dir, 'maillog');
  const log = new MailLog({ file, host: 'pc', syslogName: 'postfix/submission' });
  for (let i = 0; i < 500; i++) log.info('smtpd', `line ${i}`);
  log.warn('smtpd', 'careful');
  await flushMailLogs();
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  assert.equal(lines.length, 501);
  assert.match(
    lines[0]!,
    new RegExp(
      `^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d pc postfix/submission/smtpd\\[${process.pid}\\]: line 0$`,
    ),
  );
  assert.match(lines[499]!, /: line 499$/);
  assert.match(lines[500]!, /: warning: careful$/);
  assert.equal(
    log.format('master', 'fatal', 'x', new Date(2026, 0, 5, 7, 8, 9)),
    `Jan  5 07:08:09 pc postfix/submission/master[${process.pid}]: fatal: x\n`,
  );
});

test('lines logged right before process.exit() are not lost', async () => {
  dir ||= await mkdtemp(join(tmpdir(), 'outpost-maillog-'));
  const file = join(dir, 'exit.log');
  const mod = join(root, 'dist', 'src', 'log', 'maillog.js');
  const r = spawnSync(process.execPath, [
    '--input-type=module',
    '-e',
    `import { MailLog } from ${JSON.stringify(mod)}; const l = new MailLog({ file: ${JSON.stringify(file)} }); for (let i = 0; i < 100; i++) l.info('master', 'bye ' + i); process.exit(0);`,
  ]);
  assert.equal(r.status, 0, r.stderr?.toString());
  const text = await readFile(file, 'utf8');
  assert.equal(text.trimEnd().split('\n').length, 100);
  assert.match(text, /bye 99\n$/);
});
