// master.cf API used by Outpost's service manager: fields, defaults, -o
// overrides, inet endpoints and errors that name file and line.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  ConfigError,
  loadConfig,
  loadMasterCf,
  readMasterCf,
  serviceConfig,
} from '../../src/config/index.js';
import { makeConfigDir, removeDirs } from './postconf-harness.js';
import { FULL_MASTER_CF } from './postconf-fixtures.js';

const created: string[] = [];
after(() => removeDirs(created));

function dirWith(master: string, main = 'compatibility_level = 3.7\n'): string {
  return makeConfigDir({ main, master }, created);
}

function expectError(master: string, message: (path: string) => string, line: number): void {
  const dir = dirWith(master);
  assert.throws(
    () => loadMasterCf(dir),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, message(`${dir}/master.cf`));
      assert.equal(err.file, `${dir}/master.cf`);
      assert.equal(err.line, line);
      return true;
    },
  );
}

describe('loadMasterCf', () => {
  test('stock services and submission entries', () => {
    const services = loadMasterCf(dirWith(FULL_MASTER_CF));
    const byKey = new Map(services.map((s) => [`${s.service}/${s.type}`, s]));
    const smtpd = byKey.get('smtp/inet');
    assert.ok(smtpd);
    assert.deepEqual(smtpd.endpoint, { port: 25 });
    assert.equal(smtpd.private, false);
    assert.equal(smtpd.chroot, true);
    assert.equal(smtpd.maxproc, 100);
    const pickup = byKey.get('pickup/unix');
    assert.equal(pickup?.wakeup, 60);
    assert.equal(pickup?.maxproc, 1);
    assert.equal(pickup?.unpriv, true);
    const tlsmgr = byKey.get('tlsmgr/unix');
    assert.equal(tlsmgr?.wakeup, 1000);
    assert.equal(tlsmgr?.wakeupConditional, true);
    assert.equal(byKey.get('local/unix')?.unpriv, false);
    assert.equal(byKey.get('cleanup/unix')?.maxproc, 0);
    const sub = byKey.get('submission/inet');
    assert.deepEqual(sub?.endpoint, { port: 587 });
    assert.equal(sub?.command, 'smtpd');
    assert.deepEqual(sub?.overrides, {
      syslog_name: 'postfix/submission',
      smtpd_tls_security_level: 'encrypt',
      smtpd_sasl_auth_enable: 'yes',
      smtpd_tls_auth_only: 'yes',
      smtpd_reject_unlisted_recipient: 'no',
      smtpd_recipient_restrictions: 'permit_sasl_authenticated,reject',
      milter_macro_daemon_name: 'ORIGINATING',
    });
    assert.deepEqual(byKey.get('submissions/inet')?.endpoint, { port: 465 });
    assert.equal(byKey.get('relay/unix')?.overrides.syslog_name, 'postfix/$service_name');
    assert.equal(byKey.get('postlog/unix-dgram')?.type, 'unix-dgram');
  });

  test('endpoints: host:port, [ipv6]:port, smtps, numeric', () => {
    const services = loadMasterCf(
      dirWith(
        '127.0.0.1:2525 inet n - n - - smtpd\n[::1]:2526 inet n - n - - smtpd\nsmtps inet n - n - - smtpd\n10025 inet n - n - - smtpd\n',
      ),
    );
    assert.deepEqual(
      services.map((s) => s.endpoint),
      [{ host: '127.0.0.1', port: 2525 }, { host: '::1', port: 2526 }, { port: 465 }, { port: 10025 }],
    );
  });

  test('long forms: -o { name = value }, { arg with spaces }, glued -oname=value', () => {
    const [svc] = loadMasterCf(
      dirWith(
        'x unix - n n - 2 pipe -o { syslog_name = post fix } -osmtp_helo_name=h flags=R { argv=/bin/echo a b } c\n',
      ),
    );
    assert.deepEqual(svc?.overrides, { syslog_name: 'post fix', smtp_helo_name: 'h' });
    assert.deepEqual(svc?.args, [
      '-o',
      'syslog_name=post fix',
      '-o',
      'smtp_helo_name=h',
      'flags=R',
      'argv=/bin/echo a b',
      'c',
    ]);
    assert.equal(svc?.maxproc, 2);
  });

  test('serviceConfig applies -o settings and $service_name', () => {
    const dir = dirWith(FULL_MASTER_CF);
    const config = loadConfig(dir);
    const services = loadMasterCf(dir, config);
    const relay = services.find((s) => s.service === 'relay');
    const sub = services.find((s) => s.service === 'submission');
    assert.ok(relay && sub);
    assert.equal(serviceConfig(config, relay).get('syslog_name'), 'postfix/relay');
    assert.equal(serviceConfig(config, relay).get('process_name'), 'smtp');
    assert.equal(serviceConfig(config, sub).get('smtpd_tls_security_level'), 'encrypt');
    assert.equal(serviceConfig(config, sub).bool('smtpd_sasl_auth_enable'), true);
    assert.equal(config.get('smtpd_tls_security_level'), '');
  });

  test('duplicate service/type: the last entry wins', () => {
    const services = loadMasterCf(dirWith('smtp inet n - n - 5 smtpd\nsmtp inet n - n - 7 smtpd\n'));
    assert.equal(services.length, 1);
    assert.equal(services[0]?.maxproc, 7);
  });

  test('defaults follow main.cf: default_process_limit and compatibility-level chroot', () => {
    const dir = dirWith('smtp inet n - - - - smtpd\n', 'default_process_limit = 42\n');
    const result = readMasterCf(dir, loadConfig(dir));
    assert.equal(result.services[0]?.maxproc, 42);
    assert.equal(result.services[0]?.chroot, true, 'compatibility_level 0: chroot defaults to y');
    assert.deepEqual(result.notices, [
      `${dir}/master.cf: line 1: using backwards-compatible default setting chroot=y`,
    ]);
    assert.equal(loadMasterCf(dirWith('smtp inet n - - - - smtpd\n'))[0]?.chroot, false);
  });
});

describe('loadMasterCf errors', () => {
  test('missing master.cf', () => {
    const dir = makeConfigDir({ main: '' }, created);
    assert.throws(() => loadMasterCf(dir), { message: `open ${dir}/master.cf: No such file or directory` });
  });
  test('too few fields', () =>
    expectError('# c\nsmtp inet n -\n', (p) => `${p}: line 2: missing "chroot" field`, 2));
  test('no command', () =>
    expectError('smtp inet n - n - -\n', (p) => `${p}: line 1: missing "command" field`, 1));
  test('bad type', () =>
    expectError('smtp tcp n - n - - smtpd\n', (p) => `${p}: line 1: bad transport type: tcp`, 1));
  test('bad boolean', () =>
    expectError(
      'smtp inet n yes n - - smtpd\n',
      (p) => `${p}: line 1: field "unprivileged": bad value: "yes"`,
      1,
    ));
  test('private inet service', () =>
    expectError('smtp inet y - n - - smtpd\n', (p) => `${p}: line 1: inet service cannot be private`, 1));
  test('bad wakeup', () =>
    expectError(
      'pickup unix n - n x - pickup\n',
      (p) => `${p}: line 1: field "wakeup_time": bad value: "x"`,
      1,
    ));
  test('bad maxproc', () =>
    expectError(
      'pickup unix n - n - -1 pickup\n',
      (p) => `${p}: line 1: field "max_proc": bad value: "-1"`,
      1,
    ));
  test('unknown service name', () =>
    expectError(
      'nosuchservice inet n - n - - smtpd\n',
      (p) => `${p}: line 1: unknown service: nosuchservice/tcp`,
      1,
    ));
  test('bad [host]:port', () =>
    expectError('[::1 inet n - n - - smtpd\n', (p) => `${p}: line 1: missing "]" in "[::1"`, 1));
  test('-o without =', () =>
    expectError(
      'smtp inet n - n - - smtpd -o novalue\n',
      (p) => `${p}: line 1: -o option requires name=value: "novalue"`,
      1,
    ));
});
