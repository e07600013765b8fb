// `outpost check` on a clean SOHO configuration, and the command line itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../maps/helpers.js';
import { BASE, check, makeConfDir, writeCleanConfig, type ConfDir } from './helpers.js';

const SCRIPT = join(ROOT, 'dist', 'src', 'cli', 'check.js');
let c: ConfDir;

before(() => {
  c = makeConfDir('check-clean');
  writeCleanConfig(c);
});
after(() => c.cleanup());

test('a clean SOHO configuration (SOHO_README + SASL_README) has no findings', async () => {
  const r = await check(c.dir);
  assert.deepEqual(r.findings, []);
  assert.equal(r.code, 0);
});

test('runs as a script: text report, -c DIR and MAIL_CONFIG, exit status', () => {
  const viaFlag = spawnSync(process.execPath, [SCRIPT, '-c', c.dir], { encoding: 'utf8' });
  assert.equal(viaFlag.status, 0, viaFlag.stderr);
  assert.equal(viaFlag.stdout, 'no problems found\n');
  const viaEnv = spawnSync(process.execPath, [SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, MAIL_CONFIG: c.dir },
  });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  assert.equal(viaEnv.stdout, 'no problems found\n');
});

test('errors give exit status 1 and "file, line N: error: [rule]" lines', () => {
  const bad = makeConfDir('check-bad');
  try {
    bad.write('main.cf', BASE + 'mynetworks = 0.0.0.0/0\n', 0o644);
    const r = spawnSync(process.execPath, [SCRIPT, '-c', bad.dir], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      new RegExp(`^${bad.dir}/main.cf, line 3: error: \\[mynetworks-open-relay\\] `),
    );
    assert.equal(lines.at(-1), '1 error, 0 warnings, 0 notices');
  } finally {
    bad.cleanup();
  }
});

test('warnings alone exit 0; --json carries counts', async () => {
  const w = makeConfDir('check-warn');
  try {
    w.write('main.cf', BASE + 'relayhost = mail.isp.example\n', 0o644);
    const r = await check(w.dir);
    assert.equal(r.code, 0);
    const parsed = JSON.parse(r.stdout) as { counts: Record<string, number>; configDir: string };
    assert.deepEqual(parsed.counts, { error: 0, warning: 1, notice: 0 });
    assert.equal(parsed.configDir, w.dir);
  } finally {
    w.cleanup();
  }
});

test('a missing main.cf or a bad line is a config-syntax error naming the file', async () => {
  const m = makeConfDir('check-missing');
  try {
    let r = await check(m.dir);
    assert.equal(r.code, 1);
    assert.equal(r.findings[0]?.rule, 'config-syntax');
    assert.match(r.findings[0]?.message ?? '', /main\.cf: No such file or directory/);
    m.write('main.cf', 'compatibility_level = 3.7\nthis line is bad\n', 0o644);
    r = await check(m.dir);
    assert.equal(r.code, 1);
    assert.deepEqual(
      { rule: r.findings[0]?.rule, file: r.findings[0]?.file, line: r.findings[0]?.line },
      { rule: 'config-syntax', file: join(m.dir, 'main.cf'), line: 2 },
    );
    assert.match(r.findings[0]?.message ?? '', /missing '=' after attribute name/);
  } finally {
    m.cleanup();
  }
});

test('bad command line: usage and exit status 64', async () => {
  let err = '';
  const { runCheck } = await import('../../src/cli/check.js');
  const code = await runCheck(['-x'], { stdout: () => {}, stderr: (t) => (err += t), env: {} });
  assert.equal(code, 64);
  assert.match(err, /usage: outpost check \[-c config_dir\] \[--json\]/);
});

test('the subcommand word may be passed through: outpost check -c DIR, outpost -c DIR check', async () => {
  const { runCheck } = await import('../../src/cli/check.js');
  for (const argv of [
    ['check', '-c', c.dir],
    ['-c', c.dir, 'check'],
  ]) {
    let out = '';
    const code = await runCheck(argv, { stdout: (t) => (out += t), stderr: () => {}, env: {} });
    assert.equal(code, 0, argv.join(' '));
    assert.equal(out, 'no problems found\n');
  }
});
