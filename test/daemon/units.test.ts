// Small pieces of the daemon: delay notation, endpoint planning from inet_interfaces /
// inet_protocols, master.cf roles and -o overrides, and the daemon's main.cf view compared
// with real postconf on the same file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDelay, delayFields } from '../../src/qmgr/delay-format.js';
import { planServices } from '../../src/master/services.js';
import { loadDaemonConfig, ConfigError } from '../../src/master/config-adapter.js';
import { hasPostfix, needPeer, POSTCONF } from '../helpers/peers.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function confDir(main: string, master = ''): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'outpost-units-'));
  dirs.push(d);
  await writeFile(join(d, 'main.cf'), main);
  await writeFile(join(d, 'master.cf'), master);
  const past = new Date('2020-01-01T00:00:00Z');
  await utimes(join(d, 'main.cf'), past, past);
  return d;
}

test('delay notation as in Postfix delivery logs', () => {
  assert.equal(formatDelay(0), '0');
  assert.equal(formatDelay(0.001), '0');
  assert.equal(formatDelay(0.05), '0.05');
  assert.equal(formatDelay(0.123), '0.12');
  assert.equal(formatDelay(1.234), '1.2');
  assert.equal(formatDelay(9.96), '10.0'.replace('.0', ''));
  assert.equal(formatDelay(25.4), '25');
  const t = (ms: number): Date => new Date(1_000_000 + ms);
  assert.equal(
    delayFields({ arrival: t(0), active: t(50), start: t(60), connected: t(60), done: t(100) }),
    'delay=0.1, delays=0.05/0.01/0/0.04',
  );
});

test('endpoints: inet_interfaces and inet_protocols for entries without a host', async () => {
  const master =
    'smtp inet n - n - - smtpd\n127.0.0.9:2525 inet n - n - - smtpd -o syslog_name=postfix/x\n[::1]:2526 inet n - n - - smtpd\nsubmission inet n - n - - smtpd\n  -o { smtpd_banner = hello there }\npickup unix n - n 60 1 pickup\nqmgr unix n - n 300 1 qmgr\n';
  const all = planServices(
    await loadDaemonConfig(await confDir('inet_interfaces = all\ninet_protocols = all\n', master)),
  );
  assert.deepEqual(all.smtp[0]!.endpoints, [
    { host: '0.0.0.0', port: 25 },
    { host: '::', port: 25, ipv6Only: true },
  ]);
  assert.deepEqual(all.smtp[1]!.endpoints, [{ host: '127.0.0.9', port: 2525 }]);
  assert.equal(all.smtp[1]!.config.get('syslog_name'), 'postfix/x');
  assert.deepEqual(all.smtp[2]!.endpoints, [{ host: '::1', port: 2526 }]);
  assert.equal(all.smtp[3]!.key, 'submission/inet');
  assert.equal(all.smtp[3]!.endpoints[0]!.port, 587);
  assert.equal(all.smtp[3]!.config.get('smtpd_banner'), 'hello there');
  assert.equal(all.roles.get('pickup')!.wakeup, 60);
  assert.equal(all.roles.get('qmgr')!.wakeup, 300);
  const loop4 = planServices(
    await loadDaemonConfig(await confDir('inet_interfaces = loopback-only\ninet_protocols = ipv4\n', master)),
  );
  assert.deepEqual(loop4.smtp[0]!.endpoints, [{ host: '127.0.0.1', port: 25 }]);
  const list = planServices(
    await loadDaemonConfig(
      await confDir('inet_interfaces = 127.0.0.2, [::1]\ninet_protocols = ipv6\n', master),
    ),
  );
  assert.deepEqual(list.smtp[0]!.endpoints, [{ host: '::1', port: 25 }]);
});

test('main.cf expansion (src/config via the daemon adapter) matches postconf -x', async (t) => {
  if (!needPeer(t, 'postfix (postconf)', hasPostfix())) return;
  const main = [
    'myhostname = host.example.com',
    'relayhost = [mail.isp.example]:submission',
    'smtpd_banner = $myhostname ${relayhost?{relay=$relayhost}:{norelay}} ${nosuch:fb} ${relayhost?set} $$literal',
    'mydestination = $myhostname, localhost.$mydomain,',
    '  localhost',
    'queue_directory = $config_directory/q',
  ].join('\n');
  const dir = await confDir(main + '\n');
  const config = await loadDaemonConfig(dir);
  for (const name of ['smtpd_banner', 'mydestination', 'queue_directory', 'myorigin']) {
    const r = spawnSync(POSTCONF, ['-c', dir, '-x', '-h', name], { encoding: 'utf8' });
    // postconf prints values with white space collapsed; the daemon splits lists on it anyway.
    assert.equal(config.get(name).replace(/\s+/g, ' '), r.stdout.trim(), name);
  }
});

test('configuration errors carry file and line like postconf', async (t) => {
  const dir = await confDir('ok = 1\nfoo bar\n');
  await assert.rejects(loadDaemonConfig(dir), (err: ConfigError) => {
    assert.equal(err.message, `${join(dir, 'main.cf')}, line 2: missing '=' after attribute name: "foo bar"`);
    return true;
  });
  if (!needPeer(t, 'postfix (postconf)', hasPostfix())) return;
  const r = spawnSync(POSTCONF, ['-c', dir, '-n'], { encoding: 'utf8' });
  assert.match(
    r.stderr,
    new RegExp(`${join(dir, 'main.cf')}, line 2: missing '=' after attribute name: "foo bar"`),
  );
});
