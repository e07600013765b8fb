// STAND-IN for src/smtpd (owned by the smtpd helper): the smallest ESMTP receiver the daemon
// needs to be usable and testable - EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT - with no
// relay control, TLS or AUTH. Replace it through createSmtpService() in smtpd-adapter.ts.
// It follows the hand-over contract: 250 after DATA only once commit() resolved; a session
// that ends before that aborts the message.
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { EnvelopeRecipient, MessageSink, MessageWriter } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';
import type { SmtpService } from './smtpd-adapter.js';
import { readLines } from './line-reader.js';
import { mailLogFor } from './logging.js';
import { rfc5322Date } from './mail-date.js';

interface Client {
  name: string;
  address: string;
}

function pathArg(arg: string, keyword: string): { address: string; params: string } | undefined {
  const m = new RegExp(`^${keyword}:\\s*<([^>]*)>\\s*(.*)$`, 'i').exec(arg);
  return m ? { address: m[1]!, params: m[2]! } : undefined;
}

/** Runs one SMTP dialogue; resolves when the client quits or the stream ends. */
export async function runStandinSession(
  input: Readable,
  output: Writable,
  config: DaemonConfig,
  sink: MessageSink,
  _log: MailLog,
  client: Client,
  local = false,
  onClose?: (abort: () => void) => void,
): Promise<void> {
  const log = mailLogFor(config);
  const hostname = config.get('myhostname');
  const sizeLimit = config.int('message_size_limit');
  const reply = (text: string): void => {
    output.write(text.replace(/\n/g, '\r\n') + '\r\n');
  };
  log.info('smtpd', `connect from ${client.name}[${client.address}]`);
  reply(`220 ${config.get('smtpd_banner')}`);
  let helo: string | undefined;
  let sender: string | undefined;
  let recipients: EnvelopeRecipient[] = [];
  let writer: MessageWriter | undefined;
  const counts = new Map<string, number>();
  const count = (cmd: string): void => {
    counts.set(cmd, (counts.get(cmd) ?? 0) + 1);
  };
  onClose?.(() => {
    void writer?.abort();
  });
  const lines = readLines(input);
  try {
    for (;;) {
      const next = await lines.next();
      if (next.done) break;
      const line = next.value.toString('latin1');
      const m = /^(\S+)\s*(.*)$/.exec(line);
      const verb = (m?.[1] ?? '').toUpperCase();
      const arg = m?.[2] ?? '';
      if (verb === 'EHLO' || verb === 'HELO') {
        count(verb.toLowerCase());
        if (!arg) {
          reply('501 Syntax: ' + verb + ' hostname');
          continue;
        }
        helo = arg;
        sender = undefined;
        recipients = [];
        reply(
          verb === 'HELO'
            ? `250 ${hostname}`
            : [
                `250-${hostname}`,
                '250-PIPELINING',
                `250-SIZE ${sizeLimit}`,
                '250-8BITMIME',
                '250 ENHANCEDSTATUSCODES',
              ].join('\n'),
        );
      } else if (verb === 'MAIL') {
        count('mail');
        const p = pathArg(arg, 'FROM');
        if (!helo) reply('503 5.5.1 Error: send HELO/EHLO first');
        else if (sender !== undefined) reply('503 5.5.1 Error: nested MAIL command');
        else if (!p) reply('501 5.5.4 Syntax: MAIL FROM:<address>');
        else {
          const size = /(?:^|\s)SIZE=(\d+)/i.exec(p.params);
          if (size && sizeLimit > 0 && Number(size[1]) > sizeLimit) {
            reply('552 5.3.4 Message size exceeds fixed limit');
            continue;
          }
          sender = p.address;
          reply('250 2.1.0 Ok');
        }
      } else if (verb === 'RCPT') {
        count('rcpt');
        const p = pathArg(arg, 'TO');
        if (sender === undefined) reply('503 5.5.1 Error: need MAIL command');
        else if (!p || p.address === '') reply('501 5.5.4 Syntax: RCPT TO:<address>');
        else {
          recipients.push({ address: p.address });
          reply('250 2.1.5 Ok');
        }
      } else if (verb === 'DATA') {
        count('data');
        if (sender === undefined) {
          reply('503 5.5.1 Error: need RCPT command');
          continue;
        }
        if (recipients.length === 0) {
          reply('554 5.5.1 Error: no valid recipients');
          continue;
        }
        writer = await sink
          .open(
            { sender, recipients },
            {
              service: 'smtpd',
              clientName: client.name,
              clientAddress: client.address,
              localRewriteContext: local || client.address.startsWith('127.') || client.address === '::1',
            },
          )
          .catch((err: Error) => {
            log.warn('smtpd', `cannot open queue file: ${err.message}`);
            return undefined;
          });
        if (!writer) {
          reply('451 4.3.0 Error: queue file write error');
          continue;
        }
        reply('354 End data with <CR><LF>.<CR><LF>');
        await writer.write(
          Buffer.from(
            `Received: from ${helo} (${client.name} [${client.address}])\n\tby ${hostname} (Postfix) with ESMTP\n\tfor <${recipients[0]!.address}>; ${rfc5322Date(new Date())}\n`,
            'latin1',
          ),
        );
        let size = 0;
        let ended = false;
        for (;;) {
          const data = await lines.next();
          if (data.done) break;
          let l = data.value;
          if (l.length === 1 && l[0] === 0x2e) {
            ended = true;
            break;
          }
          if (l[0] === 0x2e) l = l.subarray(1); // RFC 5321 section 4.5.2 dot-unstuffing
          size += l.length + 1;
          if (sizeLimit === 0 || size <= sizeLimit) await writer.write(Buffer.concat([l, Buffer.from('\n')]));
        }
        if (!ended) break; // client went away inside DATA: finally{} aborts the message
        if (sizeLimit > 0 && size > sizeLimit) {
          await writer.abort();
          writer = undefined;
          reply('552 5.3.4 Message size exceeds fixed limit');
        } else {
          const id = await writer.commit();
          writer = undefined;
          log.info('smtpd', `${id}: client=${client.name}[${client.address}]`);
          reply(`250 2.0.0 Ok: queued as ${id}`);
        }
        sender = undefined;
        recipients = [];
      } else if (verb === 'RSET') {
        count('rset');
        sender = undefined;
        recipients = [];
        reply('250 2.0.0 Ok');
      } else if (verb === 'NOOP') {
        count('noop');
        reply('250 2.0.0 Ok');
      } else if (verb === 'QUIT') {
        count('quit');
        reply('221 2.0.0 Bye');
        break;
      } else {
        count('unknown');
        reply('502 5.5.2 Error: command not recognized');
      }
    }
  } finally {
    if (writer) await writer.abort();
    let total = 0;
    const parts = [...counts].map(([k, v]) => {
      total += v;
      return `${k}=${v}`;
    });
    log.info(
      'smtpd',
      `disconnect from ${client.name}[${client.address}] ${[...parts, `commands=${total}`].join(' ')}`,
    );
  }
}

export class StandinSmtpService implements SmtpService {
  private readonly sessions = new Set<{ socket: Socket; abort: () => void }>();

  constructor(
    private config: DaemonConfig,
    private readonly sink: MessageSink,
    private readonly log: MailLog,
  ) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  handleConnection(socket: Socket): void {
    const entry = { socket, abort: (): void => undefined };
    this.sessions.add(entry);
    socket.on('error', () => undefined);
    const address = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    void runStandinSession(
      socket,
      socket,
      this.config,
      this.sink,
      this.log,
      { name: 'localhost', address },
      false,
      (a) => {
        entry.abort = a;
      },
    )
      .catch((err: Error) => this.log.warn('smtpd', `session error: ${err.message}`))
      .finally(() => {
        this.sessions.delete(entry);
        socket.end();
      });
  }

  reload(config: DaemonConfig): void {
    this.config = config;
  }

  async close(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of this.sessions) {
      // Past the deadline: say so and drop the connection; an unfinished DATA is aborted.
      s.socket.end('421 4.3.2 Service shutting down\r\n');
      s.abort();
      setTimeout(() => s.socket.destroy(), 1000).unref();
    }
    const hardDeadline = Date.now() + 2000;
    while (this.sessions.size > 0 && Date.now() < hardDeadline) await new Promise((r) => setTimeout(r, 50));
  }
}
