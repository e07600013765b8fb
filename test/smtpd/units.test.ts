// Unit checks of the pieces with an independent reference: SHA512-CRYPT against the openssl
// CLI, DATA parsing independent of how the input is split into chunks, address lists, and
// the main.cf value parsing in settingsFromParams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseSha512Crypt, sha512Crypt } from '../../src/smtpd/sha512-crypt.js';
import { DataReader } from '../../src/smtpd/data-reader.js';
import { NetworkList } from '../../src/smtpd/network-list.js';
import { settingsFromParams } from '../../src/smtpd/index.js';
import { DestinationResolver } from '../../src/smtpd/destination.js';
import { parsePathArgument } from '../../src/smtpd/address.js';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPostfix, needPeer, POSTCONF } from '../helpers/peers.js';

const run = promisify(execFile);

test('SHA512-CRYPT matches openssl passwd -6 (default and explicit rounds, UTF-8, long passwords)', async () => {
  const cases: [string, string[]][] = [
    ['secret', ['-salt', 'abcdefgh']],
    ['pässwörd with spaces', ['-salt', 'x']],
    ['x'.repeat(200), ['-salt', '0123456789abcdef']],
  ];
  for (const [password, args] of cases) {
    const { stdout } = await run('openssl', ['passwd', '-6', ...args, password]);
    const stored = stdout.trim();
    const params = parseSha512Crypt(stored);
    assert.ok(params, stored);
    assert.equal(sha512Crypt(password, params), stored);
    assert.notEqual(sha512Crypt(password + 'x', params), stored);
  }
  // Published test vector (Drepper, SHA-crypt.txt): rounds=10000.
  const v =
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.';
  assert.equal(sha512Crypt('Hello world!', parseSha512Crypt(v)!), v);
});

function readAll(
  input: Buffer,
  splits: number[],
  detect: boolean,
  limit = 2048,
): { out: string; rest: string; bare: boolean } {
  const r = new DataReader({
    lineLengthLimit: limit,
    detectBareLf: detect,
    rejectBareLf: detect,
    messageSizeLimit: 0,
  });
  let buf = Buffer.alloc(0);
  let out = '';
  let start = 0;
  for (const end of [...splits, input.length]) {
    buf = Buffer.concat([buf, input.subarray(start, end)]);
    start = end;
    const c = r.consume(buf, 0);
    out += c.content.toString('latin1');
    buf = buf.subarray(c.next);
    if (c.done)
      return {
        out,
        rest: Buffer.concat([buf, input.subarray(start)]).toString('latin1'),
        bare: r.bareLfSeen,
      };
  }
  return { out, rest: '<not done>', bare: r.bareLfSeen };
}

test('DATA reader: same result however the input is split into chunks', () => {
  const input = Buffer.from(
    'Subject: x\r\n\r\n..dot\r\nbare\nline\r\r\n' + 'L'.repeat(3000) + '\r\n.\n.\r\nafter\r\n.\r\nQUIT\r\n',
    'latin1',
  );
  for (const detect of [false, true]) {
    const whole = readAll(input, [], detect);
    for (let trial = 0; trial < 200; trial++) {
      const splits = Array.from({ length: 1 + (trial % 7) }, () =>
        Math.floor(Math.random() * input.length),
      ).sort((a, b) => a - b);
      assert.deepEqual(readAll(input, splits, detect), whole, `splits ${splits.join(',')}`);
    }
    // Byte by byte.
    assert.deepEqual(
      readAll(
        input,
        Array.from({ length: input.length }, (_, i) => i),
        detect,
      ),
      whole,
    );
  }
  // forbid_bare_newline = no: ".<LF>" ends the message (what smuggling exploits).
  const lax = readAll(input, [], false);
  assert.equal(lax.rest, '.\r\nafter\r\n.\r\nQUIT\r\n');
  const strict = readAll(input, [], true);
  assert.equal(strict.rest, 'QUIT\r\n');
  assert.ok(strict.out.includes('\nafter\n'));
  assert.equal(strict.bare, true);
});

test('mynetworks syntax: CIDR, single addresses, [IPv6]/len, negation, IPv4-mapped clients', () => {
  const n = new NetworkList(['!192.168.1.7', '192.168.1.0/28', '10.0.0.1', '[2001:db8::]/32', '[::1]/128']);
  assert.equal(n.matches('192.168.1.3'), true);
  assert.equal(n.matches('192.168.1.7'), false);
  assert.equal(n.matches('192.168.1.16'), false);
  assert.equal(n.matches('10.0.0.1'), true);
  assert.equal(n.matches('::ffff:10.0.0.1'), true);
  assert.equal(n.matches('2001:db8:1::5'), true);
  assert.equal(n.matches('2001:db9::5'), false);
  assert.equal(n.matches('::1'), true);
  assert.throws(() => new NetworkList(['example.com']), /mynetworks: unsupported pattern "example\.com"/);
});

test('settingsFromParams: Postfix value syntax and errors naming the parameter', () => {
  const p: Record<string, string> = {
    myhostname: 'pc.example',
    smtpd_timeout: '5m',
    smtpd_error_sleep_time: '2',
    message_size_limit: '0',
    smtpd_forbid_bare_newline: 'yes',
    smtpd_relay_restrictions: 'permit_mynetworks,\n  reject_unauth_destination',
    relay_domains: 'Example.COM. other.example',
  };
  const s = settingsFromParams((n) => p[n]);
  assert.equal(s.banner, 'pc.example ESMTP Postfix');
  assert.equal(s.timeoutMs, 300_000);
  assert.equal(s.errorSleepMs, 2000);
  assert.equal(s.messageSizeLimit, 0);
  assert.equal(s.forbidBareNewline, 'normalize');
  assert.deepEqual(s.relayRestrictions, ['permit_mynetworks', 'reject_unauth_destination']);
  assert.deepEqual(s.relayDomains, ['example.com', 'other.example']);
  assert.deepEqual(s.mydestination, ['pc.example', 'localhost']);
  assert.throws(
    () => settingsFromParams((n) => ({ smtpd_timeout: 'soon' })[n]),
    /bad time configuration: smtpd_timeout = soon/,
  );
  assert.throws(
    () => settingsFromParams((n) => ({ smtpd_tls_auth_only: 'maybe' })[n]),
    /bad boolean configuration: smtpd_tls_auth_only = maybe/,
  );
  assert.throws(
    () => settingsFromParams((n) => ({ smtpd_recipient_limit: '1k' })[n]),
    /bad numerical configuration: smtpd_recipient_limit = 1k/,
  );
});

test('destination resolution: routing operators and local literals', () => {
  const s = settingsFromParams(
    (n) => ({ myhostname: 'mx.example', relay_domains: 'relay.example', inet_interfaces: '192.0.2.1' })[n],
  );
  const r = new DestinationResolver(s);
  assert.equal(r.isAuthorizedDestination('u@mx.example'), true);
  assert.equal(r.isAuthorizedDestination('u@[192.0.2.1]'), true);
  assert.equal(r.isAuthorizedDestination('u%other.example@mx.example'), false);
  assert.equal(r.isAuthorizedDestination('u%localhost@mx.example'), true);
  assert.equal(r.isAuthorizedDestination('other.example!u@mx.example'), false);
  assert.equal(r.isAuthorizedDestination('u@a.relay.example'), true);
  assert.equal(r.isAuthorizedDestination('u!v@relay.example'), false);
  assert.deepEqual(parsePathArgument('TO:<@a,@b:u@mx.example> NOTIFY=NEVER', 'TO:'), {
    address: 'u@mx.example',
    params: ['NOTIFY=NEVER'],
  });
  assert.deepEqual(parsePathArgument('FROM:<"a b"@x>', 'FROM:'), { address: 'a b@x', params: [] });
  assert.equal(parsePathArgument('FROM:<a@b', 'FROM:'), 'bad');
});

test('mynetworks_style host/subnet/class: same list as real postconf on this machine', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const dir = await mkdtemp(join(tmpdir(), 'outpost-smtpd-style-'));
  try {
    for (const style of ['host', 'subnet', 'class']) {
      await writeFile(join(dir, 'main.cf'), `compatibility_level = 3.7\nmynetworks_style = ${style}\n`);
      await writeFile(join(dir, 'master.cf'), '');
      const old = new Date('2020-01-01T00:00:00Z');
      await utimes(join(dir, 'main.cf'), old, old);
      const { stdout } = await run(POSTCONF, ['-c', dir, '-h', 'mynetworks']);
      const expected = stdout.trim().split(/\s+/).sort();
      const ours = settingsFromParams((n) =>
        n === 'mynetworks_style' ? style : undefined,
      ).mynetworks.sort();
      assert.deepEqual(ours, expected, style);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('recipient validation settings: local_recipient_maps from main.cf, where an empty value turns it off', async () => {
  const { loadDaemonConfig } = await import('../../src/master/config-adapter.js');
  const { smtpdSettingsFor } = await import('../../src/master/smtpd-adapter.js');
  const dir = await mkdtemp(join(tmpdir(), 'outpost-unlisted-cfg-'));
  await writeFile(join(dir, 'master.cf'), 'smtp inet n - n - - smtpd\n');
  try {
    const settingsWith = async (main: string): Promise<ReturnType<typeof smtpdSettingsFor>> => {
      await writeFile(join(dir, 'main.cf'), `compatibility_level = 3.7\nmyhostname = h.example\n${main}`);
      return smtpdSettingsFor(await loadDaemonConfig(dir));
    };
    let s = await settingsWith('');
    assert.equal(s.localRecipientMaps, 'proxy:unix:passwd.byname hash:/etc/aliases, nis:mail.aliases');
    assert.equal(s.rejectUnlistedRecipient, true);
    assert.equal(s.rejectUnlistedSender, false);
    assert.equal(s.verifySender, 'double-bounce@h.example');
    s = await settingsWith('alias_maps = hash:/x/aliases\n');
    assert.equal(s.localRecipientMaps, 'proxy:unix:passwd.byname hash:/x/aliases');
    s = await settingsWith('local_recipient_maps =\nunknown_local_recipient_reject_code = 450\n');
    assert.equal(s.localRecipientMaps, '');
    assert.equal(s.unknownLocalRecipientRejectCode, 450);
    // Any parameter set to "" in main.cf is empty, as in Postfix (the classic pre-2.10 set-up
    // empties the relay list and relies on smtpd_recipient_restrictions alone).
    s = await settingsWith(
      'smtpd_relay_restrictions =\nsmtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n',
    );
    assert.deepEqual(s.relayRestrictions, []);
    assert.deepEqual(s.recipientRestrictions, ['permit_mynetworks', 'reject_unauth_destination']);
    s = await settingsWith('');
    assert.deepEqual(s.relayRestrictions, [
      'permit_mynetworks',
      'permit_sasl_authenticated',
      'defer_unauth_destination',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // Without the configuration engine (tests, embedding): the same defaults.
  const bare = settingsFromParams((n) => ({ alias_maps: 'texthash:/a' })[n]);
  assert.equal(bare.localRecipientMaps, 'proxy:unix:passwd.byname texthash:/a');
  assert.equal(settingsFromParams((n) => ({ local_recipient_maps: '' })[n]).localRecipientMaps, '');
});
