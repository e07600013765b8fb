// Differential test of the sasl_passwd key rule against the real Postfix 3.7 smtp client: a
// private Postfix instance relays to a listener on 127.0.0.1 that offers AUTH PLAIN LOGIN and
// records whether the client authenticated. For each sasl_passwd key, `outpost check` must
// report a key mismatch exactly when Postfix does not authenticate, and predict "No worthy
// mechs" when Postfix logs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { needPeer } from '../helpers/peers.js';
import { createRealPostfix, hasRealPostfix, type RealPostfix } from '../queue/real-postfix.js';
import { BASE, byRule, check, makeConfDir, type ConfDir } from './helpers.js';

const run = promisify(execFile);

interface Session {
  auth: string | undefined;
}

/** Records what each client connection did; `next()` resolves when a connection ends. */
class Listener {
  private waiters: ((s: Session) => void)[] = [];
  readonly server: Server = createServer((sock) => {
    const session: Session = { auth: undefined };
    let buf = '';
    let inData = false;
    const say = (line: string): void => void sock.write(`${line}\r\n`);
    say('220 relay.test ESMTP');
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            say('250 2.0.0 queued');
          }
          continue;
        }
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'EHLO') say('250-relay.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME');
        else if (verb === 'AUTH') {
          session.auth = line.split(' ')[1];
          say('235 2.7.0 Authentication successful');
        } else if (verb === 'DATA') {
          inData = true;
          say('354 go ahead');
        } else if (verb === 'QUIT') {
          say('221 2.0.0 bye');
          sock.end();
        } else say('250 2.0.0 ok');
      }
    });
    sock.on('close', () => this.waiters.shift()?.(session));
    sock.on('error', () => undefined);
  });
  next(timeoutMs = 30_000): Promise<Session> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Postfix did not connect')), timeoutMs);
      this.waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }
}

let root: string;
let pf: RealPostfix | undefined;
let listener: Listener;
let port: number;
const dirs: ConfDir[] = [];

before(async () => {
  if (!hasRealPostfix()) return;
  listener = new Listener();
  await new Promise<void>((r) => listener.server.listen(0, '127.0.0.1', r));
  port = (listener.server.address() as AddressInfo).port;
  root = mkdtempSync(join(tmpdir(), 'outpost-check-oracle-'));
  chmodSync(root, 0o755); // Postfix daemons run as user postfix and must reach their files
  pf = createRealPostfix(root);
  writeFileSync(join(pf.conf, 'sasl_passwd'), '');
  await pf.postconf(
    'defer_transports=',
    `relayhost=[127.0.0.1]:${port}`,
    'smtp_sasl_auth_enable=yes',
    `smtp_sasl_password_maps=texthash:${join(pf.conf, 'sasl_passwd')}`,
    'smtp_tls_security_level=none',
    'smtp_sasl_security_options=noanonymous',
  );
  // Unchrooted smtp client, so the SASL plug-ins load as they would anywhere.
  await run('/usr/sbin/postconf', ['-c', pf.conf, '-F', 'smtp/unix/chroot=n']);
  await pf.start();
});

after(async () => {
  await pf?.stop();
  listener?.server.close();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  dirs.forEach((d) => d.cleanup());
});

/** What the real Postfix does with this sasl_passwd content: the AUTH mechanism used, if any. */
async function postfixAuth(real: RealPostfix, passwd: string, settings: string[] = []): Promise<Session> {
  writeFileSync(join(real.conf, 'sasl_passwd'), passwd);
  if (settings.length > 0) await real.postconf(...settings);
  // texthash tables are read when a process starts: restart the smtp clients.
  await run('/usr/sbin/postfix', ['-c', real.conf, 'reload']);
  const session = listener.next();
  await real.sendmail(['-f', 'me@oracle.example', 'you@remote.example'], 'Subject: t\n\nbody\n');
  return session;
}

/** Outpost's verdict for the same relayhost and key. */
async function outpostFindings(passwd: string, extra = 'smtp_sasl_security_options = noanonymous\n') {
  const c = makeConfDir('check-oracle');
  dirs.push(c);
  c.write('sasl_passwd', passwd);
  c.write(
    'main.cf',
    `${BASE}relayhost = [127.0.0.1]:${port}\nsmtp_sasl_auth_enable = yes\n` +
      `smtp_sasl_password_maps = texthash:@D@/sasl_passwd\n${extra}`,
    0o644,
  );
  return check(c.dir);
}

test('sasl_passwd keys: outpost check reports a mismatch exactly when Postfix does not authenticate', async (t) => {
  if (!needPeer(t, 'postfix (as root)', hasRealPostfix()) || pf === undefined) return;
  const keys = ['127.0.0.1', `[127.0.0.1]:${port}`, '[127.0.0.1]', `127.0.0.1:${port}`, `[127.0.0.1]:25`];
  const verdicts: [string, boolean, boolean][] = [];
  for (const key of keys) {
    const passwd = `${key} user:secret\n`;
    const real = await postfixAuth(pf, passwd);
    const ours = await outpostFindings(passwd);
    verdicts.push([key, real.auth !== undefined, byRule(ours, 'sasl-passwd-key-mismatch').length === 0]);
  }
  // [key, Postfix authenticated, outpost check found the key]
  assert.deepEqual(
    verdicts.map(([k, real, ours]) => [k, real, ours]),
    verdicts.map(([k, real]) => [k, real, real]),
  );
  // And the expected semantics: the bare host and the verbatim destination only.
  assert.deepEqual(
    verdicts.map(([, real]) => real),
    [true, true, false, false, false],
  );
});

test('"No worthy mechs": predicted for the default options, and Postfix logs it', async (t) => {
  if (!needPeer(t, 'postfix (as root)', hasRealPostfix()) || pf === undefined) return;
  const passwd = `[127.0.0.1]:${port} user:secret\n`;
  const real = await postfixAuth(pf, passwd, ['smtp_sasl_security_options=noplaintext, noanonymous']);
  assert.equal(real.auth, undefined);
  const log = readFileSync(pf.maillog, 'utf8');
  assert.match(log, /SASL authentication failure: No worthy mechs found/);
  const ours = await outpostFindings(passwd, '');
  const [f] = byRule(ours, 'sasl-no-worthy-mechs');
  assert.equal(f?.parameter, 'smtp_sasl_security_options');
  assert.match(f?.message ?? '', /No worthy mechs found/);
});

/** Connects to the real smtpd and returns its first line ('' when it closes without one). */
function greeting(smtpPort: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(smtpPort, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => sock.destroy(), 10_000);
    sock.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\r\n')) sock.end('QUIT\r\n');
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(data.split('\r\n')[0] ?? '');
    });
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

test('relay restrictions: outpost check reports an error exactly when the real smtpd refuses to run', async (t) => {
  if (!needPeer(t, 'postfix (as root)', hasRealPostfix()) || pf === undefined) return;
  const real = pf;
  const cases: [string, string[], string[]][] = [
    [
      'permit only',
      [
        'smtpd_relay_restrictions=permit_mynetworks',
        'smtpd_recipient_restrictions=permit_sasl_authenticated',
      ],
      [],
    ],
    [
      'permit first',
      ['smtpd_relay_restrictions=permit, reject_unauth_destination', 'smtpd_recipient_restrictions='],
      [],
    ],
    [
      'recipient list',
      [
        'smtpd_relay_restrictions=',
        'smtpd_recipient_restrictions=permit_mynetworks, reject_unauth_destination',
      ],
      [],
    ],
    [
      'level 0 defaults',
      ['compatibility_level=0'],
      ['smtpd_relay_restrictions', 'smtpd_recipient_restrictions'],
    ],
  ];
  const verdicts: [string, boolean, boolean][] = [];
  for (const [name, settings, remove] of cases) {
    await real.postconf(...settings);
    if (remove.length > 0) await run('/usr/sbin/postconf', ['-c', real.conf, '-X', ...remove]);
    // A fresh service per case: master throttles a service whose process failed at start-up.
    const smtpPort = await freePort();
    const service = `127.0.0.1:${smtpPort}`;
    await run('/usr/sbin/postconf', [
      '-c',
      real.conf,
      '-Me',
      `${service}/inet=${service} inet n - n - - smtpd`,
    ]);
    await run('/usr/sbin/postfix', ['-c', real.conf, 'reload']);
    await new Promise((r) => setTimeout(r, 1000));
    const runs = (await greeting(smtpPort)).startsWith('220 ');
    const c = makeConfDir('check-oracle');
    dirs.push(c);
    c.copyMainCf(real.conf);
    const ours = byRule(await check(c.dir), 'relay-restrictions-missing').length === 0;
    verdicts.push([name, runs, ours]);
  }
  assert.deepEqual(
    verdicts,
    verdicts.map(([n, runs]) => [n, runs, runs]),
  );
  assert.deepEqual(
    verdicts.map(([, runs]) => runs),
    [false, false, true, false],
  );
  assert.match(readFileSync(real.maillog, 'utf8'), /specify at least one working instance of/);
});
