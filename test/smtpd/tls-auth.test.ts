// STARTTLS, implicit TLS and AUTH driven by a real client (swaks), plus the STARTTLS
// plaintext-injection defence (CVE-2011-0411) and start-up errors for bad TLS/password files.
// Certificates come from the openssl CLI; one password is hashed by `openssl passwd -6`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { hasCommand, needPeer } from '../helpers/peers.js';
import { startOutpost, type OutpostUnderTest } from './outpost-server.js';
import { RawClient, type Endpoint } from './smtp-dialogue.js';
import { hashPasswordScrypt } from '../../src/smtpd/index.js';

const run = promisify(execFile);
const HOST = 'mx.outpost.test';
const hasSwaks = (): boolean => hasCommand('swaks', ['--version']);

let dir = '';
const servers: Record<string, OutpostUnderTest> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-smtpd-tls-'));
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-subj',
    `/CN=${HOST}`,
  ]);
  const { stdout: sha } = await run('openssl', ['passwd', '-6', 'alice-secret']);
  const scrypt = await hashPasswordScrypt('bob secret', 1024);
  await writeFile(
    join(dir, 'passwords'),
    `# Outpost AUTH accounts\nalice:${sha.trim()}\nbob:${scrypt}:1000:1000::/home/bob\ncarol:{PLAIN}carol-pw\n`,
  );
  const base = {
    myhostname: HOST,
    mydestination: `${HOST}, localhost`,
    mynetworks: '127.0.0.2/32',
    smtpd_tls_cert_file: join(dir, 'cert.pem'),
    smtpd_tls_key_file: join(dir, 'key.pem'),
    outpost_sasl_password_maps: join(dir, 'passwords'),
  };
  servers.may = await startOutpost({
    ...base,
    smtpd_tls_security_level: 'may',
    smtpd_sasl_auth_enable: 'yes',
  });
  servers.authonly = await startOutpost({
    ...base,
    smtpd_tls_security_level: 'may',
    smtpd_sasl_auth_enable: 'yes',
    smtpd_tls_auth_only: 'yes',
  });
  // The stock master.cf "submission" service.
  servers.submission = await startOutpost({
    ...base,
    smtpd_tls_security_level: 'encrypt',
    smtpd_sasl_auth_enable: 'yes',
    smtpd_tls_auth_only: 'yes',
    smtpd_recipient_restrictions: 'permit_sasl_authenticated, reject',
  });
  // The stock master.cf "submissions" (465) service.
  servers.submissions = await startOutpost({
    ...base,
    smtpd_tls_wrappermode: 'yes',
    smtpd_sasl_auth_enable: 'yes',
    smtpd_recipient_restrictions: 'permit_sasl_authenticated, reject',
  });
});

after(async () => {
  for (const s of Object.values(servers)) await s.stop();
  await rm(dir, { recursive: true, force: true });
});

async function swaks(ep: Endpoint, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('swaks', [
      '--server',
      ep.host,
      '--port',
      String(ep.port),
      '--from',
      'sender@client.example',
      ...args,
    ]);
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

test('swaks --tls: STARTTLS, EHLO again, message accepted and stored', async (t) => {
  if (!needPeer(t, 'swaks', hasSwaks())) return;
  const r = await swaks(servers.may!.endpoint, ['--to', `user@${HOST}`, '--tls']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /<- {2}220 2\.0\.0 Ready to start TLS/);
  assert.match(r.out, /250-STARTTLS/);
  const msg = servers.may!.sink.messages.at(-1)!;
  const content = await readFile(msg.path, 'utf8');
  assert.match(
    content,
    /^Received: from [^\n]+\n\tby mx\.outpost\.test \(Postfix\) with ESMTPS\n\tfor <user@mx\.outpost\.test>;/,
  );
});

test('swaks --auth PLAIN over STARTTLS on the submission service (SHA512-CRYPT from openssl passwd -6)', async (t) => {
  if (!needPeer(t, 'swaks', hasSwaks())) return;
  const r = await swaks(servers.submission!.endpoint, [
    '--to',
    'someone@remote.example',
    '--tls',
    '--auth',
    'PLAIN',
    '--auth-user',
    'alice',
    '--auth-password',
    'alice-secret',
  ]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /235 2\.7\.0 Authentication successful/);
  const log = await servers.submission!.maillog();
  assert.match(log, /T[0-9A-F]+: client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice\n/);
  assert.match(
    log,
    /disconnect from unknown\[127\.0\.0\.1\] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8/,
  );
  const content = await readFile(servers.submission!.sink.messages.at(-1)!.path, 'utf8');
  assert.match(content, /with ESMTPSA/);
});

test('swaks --auth LOGIN with a {SCRYPT} password', async (t) => {
  if (!needPeer(t, 'swaks', hasSwaks())) return;
  const r = await swaks(servers.submission!.endpoint, [
    '--to',
    'someone@remote.example',
    '--tls',
    '--auth',
    'LOGIN',
    '--auth-user',
    'bob',
    '--auth-password',
    'bob secret',
  ]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /334 VXNlcm5hbWU6/);
});

test('wrong password: 535 5.7.8, logged without the password, counted as an error', async (t) => {
  if (!needPeer(t, 'swaks', hasSwaks())) return;
  const r = await swaks(servers.submission!.endpoint, [
    '--to',
    'someone@remote.example',
    '--tls',
    '--auth',
    'PLAIN',
    '--auth-user',
    'alice',
    '--auth-password',
    'not-her-password',
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.out, /535 5\.7\.8 Error: authentication failed: authentication failure/);
  const log = await servers.submission!.maillog();
  assert.match(
    log,
    /warning: unknown\[127\.0\.0\.1\]: SASL PLAIN authentication failed: authentication failure, sasl_username=alice/,
  );
  assert.doesNotMatch(log, /not-her-password/);
  assert.match(log, /auth=0\/1/);
});

test('submission without TLS: no AUTH offered, mail commands need STARTTLS first', async (t) => {
  const c = await RawClient.open(servers.submission!.endpoint);
  try {
    await c.reply();
    const ehlo = await c.command('EHLO pc');
    assert.match(ehlo, /250-STARTTLS/);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.equal(await c.command('MAIL FROM:<a@b.example>'), '530 5.7.0 Must issue a STARTTLS command first');
    assert.equal(
      await c.command('AUTH PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA=='),
      '530 5.7.0 Must issue a STARTTLS command first',
    );
    assert.equal(await c.command('NOOP'), '250 2.0.0 Ok');
  } finally {
    c.close();
  }
  t.diagnostic('checked without external peers');
});

// Expected replies below were recorded from real Postfix 3.7.11 with Cyrus SASL (sasldb) on the
// same dialogue; the test does not start Cyrus itself.
test('AUTH dialogue details: abort, syntax, unknown mechanism, bad base64, PLAIN with authzid', async () => {
  const c = await RawClient.open(servers.may!.endpoint);
  try {
    await c.reply();
    assert.match(await c.command('EHLO pc'), /250-AUTH PLAIN LOGIN/);
    assert.equal(await c.command('AUTH LOGIN'), '334 VXNlcm5hbWU6');
    assert.equal(await c.command('*'), '501 5.7.0 Authentication aborted');
    assert.equal(
      await c.command('AUTH CRAM-MD5'),
      '535 5.7.8 Error: authentication failed: no mechanism available',
    );
    assert.equal(
      await c.command('AUTH PLAIN !!!'),
      '535 5.7.8 Error: authentication failed: bad protocol / cancel',
    );
    assert.equal(await c.command('AUTH PLAIN'), '334 ');
    assert.equal(
      await c.command(Buffer.from('\0carol\0carol-pw').toString('base64')),
      '235 2.7.0 Authentication successful',
    );
    assert.equal(await c.command('AUTH PLAIN'), '503 5.5.1 Error: already authenticated');
  } finally {
    c.close();
  }
  const d = await RawClient.open(servers.may!.endpoint);
  try {
    await d.reply();
    await d.command('EHLO pc');
    assert.equal(await d.command('AUTH'), '501 5.5.4 Syntax: AUTH mechanism');
    assert.equal(await d.command('AUTH PLAIN a b'), '501 5.5.4 Syntax: AUTH mechanism');
    assert.equal(await d.command('STARTTLS x'), '501 5.5.4 Syntax: STARTTLS');
    assert.equal(await d.command('AUTH PLAIN'), '334 ');
    assert.equal(
      await d.command('MAIL FROM:<a@b>'),
      '535 5.7.8 Error: authentication failed: bad protocol / cancel',
    );
    assert.equal(await d.command('MAIL FROM:<a@b>'), '250 2.1.0 Ok');
    assert.equal(await d.command('AUTH PLAIN'), '503 5.5.1 Error: MAIL transaction in progress');
    await d.command('RSET');
    assert.equal(await d.command('AUTH LOGIN'), '334 VXNlcm5hbWU6');
    assert.equal(await d.command('A'.repeat(20000)), '500 5.5.6 SASL response limit exceeded');
    assert.equal(await d.command('NOOP'), '250 2.0.0 Ok');
  } finally {
    d.close();
  }
});

test('smtpd_tls_auth_only: before STARTTLS, AUTH is neither offered nor enabled', async () => {
  const c = await RawClient.open(servers.authonly!.endpoint);
  try {
    await c.reply();
    const ehlo = await c.command('EHLO pc');
    assert.match(ehlo, /250-STARTTLS/);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.equal(
      await c.command('AUTH PLAIN AGNhcm9sAGNhcm9sLXB3'),
      '503 5.5.1 Error: authentication not enabled',
    );
  } finally {
    c.close();
  }
});

test('swaks --tlsc: implicit TLS (smtpd_tls_wrappermode) before the greeting', async (t) => {
  if (!needPeer(t, 'swaks', hasSwaks())) return;
  const r = await swaks(servers.submissions!.endpoint, [
    '--to',
    'someone@remote.example',
    '--tlsc',
    '--auth',
    'PLAIN',
    '--auth-user',
    'carol',
    '--auth-password',
    'carol-pw',
  ]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /250 2\.0\.0 Ok: queued as T/);
});

test('STARTTLS: plaintext pipelined after STARTTLS is discarded (CVE-2011-0411)', async () => {
  const ep = servers.may!.endpoint;
  const c = await RawClient.open(ep);
  await c.reply();
  await c.command('EHLO pc');
  // Injected: the RSET and MAIL must never be executed or answered inside TLS.
  c.send('STARTTLS\r\nRSET\r\nMAIL FROM:<injected@evil.example>\r\n');
  assert.equal(await c.reply(), '220 2.0.0 Ready to start TLS');
  c.socket.removeAllListeners('data');
  const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  let data = '';
  secure.on('data', (d: Buffer) => (data += d.toString()));
  secure.write('EHLO pc\r\nMAIL FROM:<real@client.example>\r\n');
  for (let i = 0; i < 50 && !/250 2\.1\.0/.test(data); i++) await new Promise((r) => setTimeout(r, 50));
  secure.destroy();
  // The first reply inside TLS is the EHLO reply; no trace of the injected commands.
  assert.match(data, /^250-mx\.outpost\.test\r\n/);
  assert.match(data, /250 2\.1\.0 Ok\r\n$/);
  assert.doesNotMatch(data, /nested MAIL|2\.0\.0 Ok\r\n250-/);
});

test('bad TLS or password files: start-up error names the file', async () => {
  await assert.rejects(
    startOutpost({ smtpd_tls_security_level: 'may', smtpd_tls_cert_file: join(dir, 'missing.pem') }),
    /smtpd_tls_cert_file: cannot read .*missing\.pem: ENOENT/,
  );
  await writeFile(
    join(dir, 'junk.pem'),
    '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n',
  );
  await assert.rejects(
    startOutpost({
      smtpd_tls_security_level: 'may',
      smtpd_tls_cert_file: join(dir, 'junk.pem'),
      smtpd_tls_key_file: join(dir, 'key.pem'),
    }),
    /cannot load TLS certificate\/key from .*junk\.pem/,
  );
  await writeFile(join(dir, 'badpw'), 'alice:{MD5}abc\n');
  await assert.rejects(
    startOutpost({ smtpd_sasl_auth_enable: 'yes', outpost_sasl_password_maps: join(dir, 'badpw') }),
    /badpw:1: unsupported password scheme \{MD5\}/,
  );
});

test('swaks --pipeline and --quit-after', async (t) => {
  if (!needPeer(t, 'swaks', hasSwaks())) return;
  const p = await swaks(servers.may!.endpoint, ['--to', `user@${HOST}`, '--pipeline']);
  assert.equal(p.code, 0, p.out);
  assert.match(p.out, /250 2\.0\.0 Ok: queued as T/);
  const q = await swaks(servers.may!.endpoint, ['--to', `user@${HOST}`, '--quit-after', 'RCPT']);
  assert.equal(q.code, 0, q.out);
  assert.match(q.out, /<- {2}250 2\.1\.5 Ok\n -> QUIT\n<- {2}221 2\.0\.0 Bye/);
  const r = await swaks(servers.may!.endpoint, ['--to', 'x@remote.example', '--quit-after', 'RCPT']);
  assert.match(r.out, /<\*\* 454 4\.7\.1 <x@remote\.example>: Relay access denied/);
});
