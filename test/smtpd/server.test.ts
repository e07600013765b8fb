// Server-level behaviour with real clients: concurrency with Postfix's smtp-source, the
// per-client connection limit, reload without dropping open sessions, and the fatal
// configuration check for relay restrictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { hasCommand, needPeer } from '../helpers/peers.js';
import { startOutpost } from './outpost-server.js';
import { RawClient } from './smtp-dialogue.js';
import { settingsFromParams } from '../../src/smtpd/index.js';

const run = promisify(execFile);
const SMTP_SOURCE = '/usr/sbin/smtp-source';

test('smtp-source: 20 concurrent sessions, 300 messages, each stored once and logged', async (t) => {
  if (!needPeer(t, 'smtp-source (postfix)', hasCommand(SMTP_SOURCE, ['-V']))) return;
  const o = await startOutpost({ myhostname: 'mx.outpost.test', mynetworks: '127.0.0.0/8' });
  try {
    const ep = `${o.endpoint.host}:${o.endpoint.port}`;
    await run(SMTP_SOURCE, [
      '-s',
      '20',
      '-m',
      '300',
      '-l',
      '4096',
      '-f',
      'bench@client.example',
      '-t',
      'sink@remote.example',
      ep,
    ]);
    assert.equal(o.sink.messages.length, 300);
    const first = await readFile(o.sink.messages[0]!.path, 'utf8');
    // smtp-source says HELO, so the protocol is SMTP; the test sink has no early queue ID.
    assert.match(
      first,
      /^Received: from \S+ \(unknown \[127\.0\.0\.1\]\)\n\tby mx\.outpost\.test \(Postfix\) with SMTP\n\tfor <sink@remote\.example>; \w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)\n/,
    );
    assert.ok(first.length > 4096);
    const log = await o.maillog();
    assert.equal(log.match(/: client=unknown\[127\.0\.0\.1\]\n/g)?.length, 300);
    assert.equal(
      log.match(/disconnect from unknown\[127\.0\.0\.1\] helo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n/g)
        ?.length,
      300,
    );
  } finally {
    await o.stop();
  }
});

test('smtp-source -d: many messages per session, three recipients each', async (t) => {
  if (!needPeer(t, 'smtp-source (postfix)', hasCommand(SMTP_SOURCE, ['-V']))) return;
  const o = await startOutpost({ myhostname: 'mx.outpost.test', mynetworks: '127.0.0.0/8' });
  try {
    const ep = `${o.endpoint.host}:${o.endpoint.port}`;
    // -d: no QUIT/disconnect between messages; -r 3 recipients; -m 50 messages over 2 sessions.
    await run(SMTP_SOURCE, [
      '-d',
      '-s',
      '2',
      '-m',
      '50',
      '-r',
      '3',
      '-f',
      'a@client.example',
      '-t',
      'rcpt@remote.example',
      ep,
    ]);
    assert.equal(o.sink.messages.length, 50);
    assert.equal(o.sink.messages[0]!.envelope.recipients.length, 3);
  } finally {
    await o.stop();
  }
});

test('smtpd_client_connection_count_limit: the extra connection gets 421 4.7.0', async () => {
  const o = await startOutpost({
    myhostname: 'mx.outpost.test',
    mynetworks: '127.0.0.2/32',
    smtpd_client_connection_count_limit: '2',
  });
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const c = await RawClient.open(o.endpoint);
      clients.push(c);
      assert.match(await c.reply(), /^220 /);
    }
    const third = await RawClient.open(o.endpoint);
    clients.push(third);
    assert.equal(await third.reply(), '421 4.7.0 mx.outpost.test Error: too many connections from 127.0.0.1');
    assert.match(
      await o.maillog(),
      /warning: Connection concurrency limit exceeded: 3 from unknown\[127\.0\.0\.1\] for service smtpd/,
    );
    // Once one leaves, a new connection is served again.
    clients[0]!.close();
    await new Promise((r) => setTimeout(r, 200));
    const again = await RawClient.open(o.endpoint);
    clients.push(again);
    assert.match(await again.reply(), /^220 /);
  } finally {
    for (const c of clients) c.close();
    await o.stop();
  }
});

test('reload: new settings for new sessions, open sessions keep going', async () => {
  const o = await startOutpost({
    myhostname: 'mx.outpost.test',
    mynetworks: '127.0.0.2/32',
    smtpd_banner: 'old banner',
  });
  try {
    const c = await RawClient.open(o.endpoint);
    assert.equal(await c.reply(), '220 old banner');
    assert.match(await c.command('EHLO pc'), /^250-mx\.outpost\.test/);
    const params: Record<string, string> = {
      myhostname: 'mx.outpost.test',
      mynetworks: '127.0.0.0/8',
      smtpd_banner: 'new banner',
      smtpd_peername_lookup: 'no',
    };
    await o.server.reload(settingsFromParams((n) => params[n]));
    // The open session still uses its old mynetworks: relaying stays denied.
    assert.equal(await c.command('MAIL FROM:<a@client.example>'), '250 2.1.0 Ok');
    assert.equal(
      await c.command('RCPT TO:<x@remote.example>'),
      '454 4.7.1 <x@remote.example>: Relay access denied',
    );
    const d = await RawClient.open(o.endpoint);
    assert.equal(await d.reply(), '220 new banner');
    await d.command('EHLO pc');
    await d.command('MAIL FROM:<a@client.example>');
    assert.equal(await d.command('RCPT TO:<x@remote.example>'), '250 2.1.5 Ok');
    d.close();
    assert.equal(await c.command('QUIT'), '221 2.0.0 Bye');
    // A broken reload is refused and the running configuration stays.
    const bad = { ...params, smtpd_relay_restrictions: 'permit_mynetworks' };
    await assert.rejects(
      o.server.reload(settingsFromParams((n) => bad[n as keyof typeof bad])),
      /specify at least one working instance/,
    );
    const e = await RawClient.open(o.endpoint);
    assert.equal(await e.reply(), '220 new banner');
    e.close();
  } finally {
    await o.stop();
  }
});

test('relay restrictions without a rejecting restriction are a fatal configuration error (Postfix wording)', async () => {
  await assert.rejects(
    startOutpost({
      smtpd_relay_restrictions: 'permit_mynetworks, permit_sasl_authenticated',
      smtpd_recipient_restrictions: '',
    }),
    {
      message:
        'in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at least one working instance of: ' +
        'reject_unauth_destination, defer_unauth_destination, reject, defer, defer_if_permit or check_relay_domains',
    },
  );
  await assert.rejects(
    startOutpost({ mynetworks: '10.1.2.3/8' }),
    /mynetworks: non-null host address bits in "10\.1\.2\.3\/8", perhaps you should use "10\.0\.0\.0\/8" instead/,
  );
});

test('envelope hand-over: DSN (RET, ENVID, NOTIFY, ORCPT), BODY and SMTPUTF8 reach the MessageSink', async () => {
  const o = await startOutpost({ myhostname: 'mx.outpost.test', mynetworks: '127.0.0.0/8' });
  try {
    const c = await RawClient.open(o.endpoint);
    await c.reply();
    await c.command('EHLO pc');
    assert.equal(
      await c.command('MAIL FROM:<a@client.example> BODY=8BITMIME RET=HDRS ENVID=QQ+2B1 SMTPUTF8'),
      '250 2.1.0 Ok',
    );
    assert.equal(
      await c.command('RCPT TO:<x@remote.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x+2By@remote.example'),
      '250 2.1.5 Ok',
    );
    assert.equal(await c.command('RCPT TO:<"odd user"@remote.example> NOTIFY=NEVER'), '250 2.1.5 Ok');
    assert.equal(await c.command('DATA'), '354 End data with <CR><LF>.<CR><LF>');
    assert.match(await c.command('Subject: x\r\n\r\nbody\r\n.'), /^250 2\.0\.0 Ok: queued as T/);
    c.close();
    const m = o.sink.messages[0]!;
    assert.deepEqual(m.envelope, {
      sender: 'a@client.example',
      recipients: [
        { address: 'x@remote.example', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;x+y@remote.example' },
        { address: 'odd user@remote.example', notify: ['NEVER'] },
      ],
      ret: 'HDRS',
      envid: 'QQ+1',
      body: '8BITMIME',
      smtputf8: true,
    });
    assert.equal(m.context.service, 'smtpd');
    assert.equal(m.context.clientAddress, '127.0.0.1');
    const content = await readFile(m.path, 'utf8');
    assert.match(content, /\tby mx\.outpost\.test \(Postfix\) with UTF8ESMTP;\n\t\w{3}, /);
    assert.match(content, /\nSubject: x\n\nbody\n$/);
  } finally {
    await o.stop();
  }
});

test('backpressure: a slow queue writer slows the client down instead of buffering the message', async () => {
  const { createSmtpServer, settingsFromParams } = await import('../../src/smtpd/index.js');
  let inFlight = 0;
  let maxInFlight = 0;
  let stored = 0;
  const slowSink = {
    async open() {
      return {
        write(chunk: Buffer): Promise<void> {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          return new Promise<void>((resolve) =>
            setTimeout(() => {
              stored += chunk.length;
              inFlight--;
              resolve();
            }, 30),
          );
        },
        async commit() {
          return 'SLOW1';
        },
        async abort() {},
      };
    },
  };
  const params: Record<string, string> = {
    mynetworks: '127.0.0.0/8',
    smtpd_peername_lookup: 'no',
    message_size_limit: '0',
  };
  const server = createSmtpServer(
    settingsFromParams((n) => params[n]),
    slowSink,
    { info() {}, warn() {} },
  );
  await server.listen({ host: '127.0.0.1', port: 0 });
  const c = await RawClient.open({ host: '127.0.0.1', port: server.addresses()[0]!.port });
  try {
    await c.reply();
    await c.command('EHLO pc');
    await c.command('MAIL FROM:<a@b.example>');
    await c.command('RCPT TO:<x@remote.example>');
    await c.command('DATA');
    const line = 'x'.repeat(998) + '\r\n';
    const body = Buffer.from(line.repeat(8 * 1024)); // 8 MiB
    c.send(body);
    let maxQueuedAtClient = 0;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 25));
      maxQueuedAtClient = Math.max(maxQueuedAtClient, c.socket.writableLength);
    }
    c.send('.\r\n');
    assert.match(await c.reply(60_000), /^250 2\.0\.0 Ok: queued as SLOW1/);
    assert.equal(maxInFlight, 1, 'one write at a time');
    assert.ok(maxQueuedAtClient > 1024 * 1024, `client had to hold data back (max ${maxQueuedAtClient})`);
    // Every line arrives (CRLF stored as LF), plus the Received: header.
    const lines = 8 * 1024 * 999;
    assert.ok(stored > lines && stored < lines + 400, `stored ${stored}`);
  } finally {
    c.close();
    await server.close(false);
  }
});

test('a client that sends everything and half-closes (like `printf ... | nc`) still gets every reply', async () => {
  const o = await startOutpost({ myhostname: 'mx.outpost.test', mynetworks: '127.0.0.0/8' });
  try {
    const c = await RawClient.open(o.endpoint);
    c.send('EHLO pc\r\nMAIL FROM:<a@client.example>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\n');
    c.send('Subject: nc\r\n\r\nhello\r\n.\r\nQUIT\r\n');
    c.socket.end();
    const replies: string[] = [];
    for (let i = 0; i < 7; i++) replies.push(await c.reply());
    assert.deepEqual(
      replies.map((r) => r.slice(0, 3)),
      ['220', '250', '250', '250', '354', '250', '221'],
    );
    assert.equal(o.sink.messages.length, 1);
    await c.waitClosed();
    assert.match(
      await o.maillog(),
      /disconnect from unknown\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5\n/,
    );
  } finally {
    await o.stop();
  }
});

test('queue failures become Postfix replies: open error 451, full disk 452 4.3.1, sink rejection as given', async () => {
  const { createSmtpServer, settingsFromParams } = await import('../../src/smtpd/index.js');
  const failures: unknown[] = [
    Object.assign(new Error('no space'), { code: 'ENOSPC' }),
    Object.assign(new Error('too big'), { reply: '552 5.3.4 Message size exceeds fixed limit' }),
    new Error('disk on fire'),
  ];
  let opens = 0;
  const sink = {
    async open() {
      if (opens++ === 0) throw new Error('queue directory missing');
      const failure = failures.shift();
      return {
        write: () => true as const,
        commit: () => Promise.reject(failure),
        abort: async () => undefined,
      };
    },
  };
  const params: Record<string, string> = { mynetworks: '127.0.0.0/8', smtpd_peername_lookup: 'no' };
  const server = createSmtpServer(
    settingsFromParams((n) => params[n]),
    sink,
    { info() {}, warn() {} },
  );
  await server.listen({ host: '127.0.0.1', port: 0 });
  const c = await RawClient.open({ host: '127.0.0.1', port: server.addresses()[0]!.port });
  try {
    await c.reply();
    await c.command('EHLO pc');
    const transaction = async (): Promise<string> => {
      await c.command('MAIL FROM:<a@b.example>');
      await c.command('RCPT TO:<x@remote.example>');
      const r = await c.command('DATA');
      if (!r.startsWith('354')) return r;
      return c.command('Subject: x\r\n\r\nbody\r\n.');
    };
    assert.equal(await transaction(), '451 4.3.0 Error: queue file write error');
    await c.command('RSET');
    assert.equal(await transaction(), '452 4.3.1 Insufficient system storage');
    assert.equal(await transaction(), '552 5.3.4 Message size exceeds fixed limit');
    assert.equal(await transaction(), '451 4.3.0 Error: queue file write error');
  } finally {
    c.close();
    await server.close(false);
  }
});

test('clients that vanish during the name lookup are not leaked (connection counts drop to zero)', async () => {
  const o = await startOutpost({
    myhostname: 'mx.outpost.test',
    smtpd_peername_lookup: 'yes',
    mynetworks: '127.0.0.2/32',
  });
  try {
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.open(o.endpoint);
      c.close();
    }
    for (let i = 0; i < 50 && o.server.sessionCount > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(o.server.sessionCount, 0);
    const log = await o.maillog();
    assert.equal(log.match(/lost connection after CONNECT from \S+\[127\.0\.0\.1\]/g)?.length, 20);
    assert.equal(log.match(/disconnect from \S+\[127\.0\.0\.1\] commands=0\n/g)?.length, 20);
  } finally {
    await o.stop();
  }
});
