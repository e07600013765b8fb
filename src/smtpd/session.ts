// One SMTP connection: reading input records, dispatching commands, buffering replies,
// DATA streaming with backpressure, STARTTLS, timeouts and the Postfix log lines. Replies
// are collected and written when no complete command is left in the input, like Postfix,
// so a pipelining client gets one TCP segment per batch. Command semantics live in
// commands.ts; this file owns the session's I/O and bookkeeping.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { MessageWriter } from '../queue/types.js';
import type { SmtpdRuntime } from './runtime.js';
import { scanLine } from './line-scanner.js';
import { DataReader } from './data-reader.js';
import { replyForSinkError } from './sink-errors.js';
import { COMMANDS, COMMAND_LOG_ORDER, type CommandSpec } from './commands.js';
import type { EnvelopeRecipient } from '../queue/types.js';
import { RestrictionChecker } from './restrictions.js';

const EMPTY = Buffer.alloc(0);
/** Input kept while a command is being processed asynchronously before reading pauses. */
const INPUT_HIGH_WATER = 256 * 1024;
/** smtpd_sasl_response_limit (12288). */
const SASL_RESPONSE_LIMIT = 12288;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface Transaction {
  sender: string;
  /** MAIL FROM as logged (quoted local part). */
  senderLog: string;
  recipients: EnvelopeRecipient[];
  body?: '7BIT' | '8BITMIME';
  smtputf8: boolean;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** Access table actions for this message (access-checks.ts): HOLD, DISCARD, PREPEND. */
  hold?: boolean;
  discard?: boolean;
  prepend?: string[];
}

interface CommandCount {
  total: number;
  success: number;
}

export class SmtpSession {
  socket: Socket;
  readonly settings;
  clientName = 'unknown';
  readonly clientAddress: string;
  namaddr: string;
  clientInMynetworks: boolean;
  detectBareLf: boolean;
  rejectBareLf: boolean;

  heloName: string | undefined;
  protocol: 'SMTP' | 'ESMTP' = 'SMTP';
  tlsActive = false;
  saslUsername: string | undefined;
  saslMethod: string | undefined;
  transaction: Transaction | undefined;
  /** SIZE= of the last MAIL; Postfix keeps it until the transaction is reset. */
  declaredSize = 0;
  rcptAttempts = 0;
  rcptOvershoot = 0;
  errorCount = 0;
  junkCommands = 0;
  /** Postfix "state->where": the last command, for "lost connection after X". */
  where = 'CONNECT';
  /** smtpd_client_restrictions refused the client at connect (smtpd_delay_reject = no). */
  accessDenied: string | undefined;
  readonly checks: RestrictionChecker = new RestrictionChecker(this);

  writer: MessageWriter | undefined;
  queueId: string | undefined;
  dataReader: DataReader | undefined;
  dataWriteFailed = false;
  dataWriteError: unknown;

  private mode: 'command' | 'data' | 'auth' = 'command';
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** An over-long command line whose rest is being skipped (Postfix SMTP_GET_FLAG_SKIP). */
  private skippedCommand: Buffer | undefined;
  private out = '';
  private busy = false;
  private pumping = false;
  private paused = false;
  private closing = false;
  private closed = false;
  private illegalPipelining = false;
  private peerEnded = false;
  private readonly counts = new Map<string, CommandCount>();
  private readonly onSocketData = (chunk: Buffer): void => this.receive(chunk);

  constructor(
    readonly runtime: SmtpdRuntime,
    socket: Socket,
    private readonly onClosed: (s: SmtpSession) => void,
  ) {
    this.socket = socket;
    this.settings = runtime.settings;
    this.clientAddress = normalizeAddress(socket.remoteAddress ?? '0.0.0.0');
    this.namaddr = `unknown[${this.clientAddress}]`;
    this.clientInMynetworks = runtime.mynetworks.matches(this.clientAddress);
    const exempt = runtime.bareNewlineExclusions.matches(this.clientAddress);
    this.detectBareLf = this.settings.forbidBareNewline !== 'no' && !exempt;
    this.rejectBareLf = this.settings.forbidBareNewline === 'reject' && !exempt;
  }

  get service(): string {
    return this.settings.serviceName;
  }

  /** Called by the server once the client name is known and limits were checked. */
  start(clientName: string, refuse?: string): void {
    if (this.closed) return; // the server shut down while the name was looked up
    this.clientName = clientName;
    this.namaddr = `${clientName}[${this.clientAddress}]`;
    this.attach(this.socket);
    this.runtime.log.info(this.service, `connect from ${this.namaddr}`);
    if (this.socket.destroyed || this.socket.readableEnded) {
      // Gone while its name was looked up: "lost connection after CONNECT", as Postfix logs.
      this.onPeerGone();
      return;
    }
    if (refuse) {
      this.reply(refuse);
      this.close();
      return;
    }
    if (this.settings.tlsWrapperMode) {
      this.upgradeToTls(() => this.greetUnlessDenied());
    } else {
      this.greetUnlessDenied();
    }
  }

  /** With smtpd_delay_reject = no the client restrictions run now; a refusal replaces the 220. */
  private greetUnlessDenied(): void {
    if (this.settings.delayReject || this.settings.clientRestrictions.length === 0) {
      this.greet();
      return;
    }
    this.await(
      this.checks.checkClient().then((denied) => {
        if (denied === undefined) return this.greet();
        this.accessDenied = denied;
        this.errorCount++;
        this.reply(denied);
        if (/^[45]21/.test(denied)) this.close();
      }),
    );
  }

  private greet(): void {
    this.reply(`220 ${this.settings.banner}`);
    this.flush();
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setTimeout(this.settings.timeoutMs);
    socket.on('data', this.onSocketData);
    socket.on('timeout', () => this.onTimeout());
    socket.on('end', () => this.onPeerEnd());
    socket.on('close', () => this.onPeerGone());
    socket.on('error', () => this.onPeerGone());
    socket.resume();
  }

  // ---- replies -------------------------------------------------------------------------

  reply(text: string): void {
    this.out += text + '\r\n';
  }

  flush(): void {
    if (this.out.length === 0 || this.closed) return;
    this.socket.write(this.out);
    this.out = '';
  }

  log(message: string): void {
    this.runtime.log.info(this.service, message);
  }

  warn(message: string): void {
    this.runtime.log.warn(this.service, message);
  }

  /** Postfix log_whatsup(): "NOQUEUE: reject: RCPT from name[addr]: 454 ...; from=<a> to=<b> proto=ESMTP helo=<h>". */
  logReject(command: string, reply: string, to?: string): void {
    let line = `${this.queueId ?? 'NOQUEUE'}: reject: ${command} from ${this.namaddr}: ${reply};`;
    if (this.transaction) line += ` from=<${this.transaction.senderLog}>`;
    if (to !== undefined) line += ` to=<${to}>`;
    line += ` proto=${this.protocol}`;
    if (this.heloName !== undefined) line += ` helo=<${this.heloName}>`;
    this.log(line);
  }

  // ---- input ---------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.closed || this.closing) return;
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.pos = 0;
    }
    if (this.busy && this.buf.length - this.pos > INPUT_HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.pump();
  }

  /** Input is waiting beyond the current record (pipelining check). */
  private hasPendingInput(): boolean {
    return this.pos < this.buf.length;
  }

  /** Process as much buffered input as possible; async steps re-enter when done. */
  private pump(): void {
    if (this.pumping || this.busy) return;
    this.pumping = true;
    try {
      while (!this.closing && !this.busy) {
        if (this.mode === 'data') {
          if (!this.pumpData()) break;
          continue;
        }
        const step = this.nextCommandLine();
        if (step === undefined) break;
        const result = this.mode === 'auth' ? this.handleAuthResponse(step) : this.handleCommandLine(step);
        if (result instanceof Promise) this.await(result);
      }
    } finally {
      this.pumping = false;
    }
    if (!this.busy) {
      this.flush();
      if (this.peerEnded && !this.closing) {
        // Everything the client sent before its FIN has been answered; a partial line is lost.
        this.onPeerGone();
        return;
      }
      if (this.paused && !this.closing) {
        this.paused = false;
        this.socket.resume();
      }
    }
  }

  /** Run an async step; input processing continues when it settles. */
  private await(p: Promise<unknown>): void {
    this.busy = true;
    // One reaction per step (not catch + finally: that is three promises and more ticks).
    p.then(
      () => this.settled(),
      (e: unknown) => {
        try {
          this.warn(`${this.namaddr}: ${(e as Error).message}`);
          this.reply(`421 4.3.0 ${this.settings.myhostname} Server local error`);
          this.close();
        } finally {
          this.settled();
        }
      },
    );
  }

  private settled(): void {
    this.busy = false;
    if (!this.closing) this.pump();
    else this.flush();
  }

  private nextCommandLine(): { text: Buffer; bareLf: boolean; tooLong?: boolean } | undefined {
    const limit =
      this.mode === 'auth'
        ? Math.max(SASL_RESPONSE_LIMIT, this.settings.lineLengthLimit)
        : this.settings.lineLengthLimit;
    if (this.skippedCommand) {
      const nl = this.buf.indexOf(0x0a, this.pos);
      if (nl < 0) {
        this.pos = this.buf.length;
        return undefined;
      }
      this.pos = nl + 1;
      const text = this.skippedCommand;
      this.skippedCommand = undefined;
      return { text, bareLf: false, tooLong: true };
    }
    const line = scanLine(this.buf, this.pos, limit, this.detectBareLf);
    if (!line) return undefined;
    this.pos = line.next;
    const text = this.buf.subarray(line.start, line.end);
    if (!line.complete) {
      // Keep the first `limit` bytes as the command and discard the rest of the line.
      this.skippedCommand = Buffer.from(text);
      return this.nextCommandLine();
    }
    return { text, bareLf: line.bareLf };
  }

  private decodeCommand(raw: Buffer): string | undefined {
    // A NUL ends the command as far as Postfix's C string handling is concerned.
    const nul = raw.indexOf(0);
    const bytes = nul >= 0 ? raw.subarray(0, nul) : raw;
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return bytes.toString('latin1');
    if (!this.settings.smtputf8Enable) return bytes.toString('latin1');
    try {
      utf8.decode(raw);
      return bytes.toString('utf8');
    } catch {
      return undefined;
    }
  }

  private handleCommandLine(step: { text: Buffer; bareLf: boolean }): void | Promise<void> {
    if (this.errorCount >= this.settings.smtpdSoftErrorLimit) {
      // smtpd_error_sleep_time: Postfix sleeps before every reply once the soft limit is hit.
      return sleep(this.settings.errorSleepMs).then(() => {
        this.flush();
        return this.dispatch(step);
      });
    }
    return this.dispatch(step);
  }

  private dispatch(step: { text: Buffer; bareLf: boolean }): void | Promise<void> {
    if (step.bareLf && this.rejectBareLf) {
      this.logReject(this.where === 'CONNECT' ? 'CONNECT' : this.where, 'bare <LF> received');
      this.reply(
        `${this.settings.forbidBareNewlineRejectCode} 5.5.2 ${this.settings.myhostname} Error: bare <LF> received`,
      );
      this.close();
      return;
    }
    const line = this.decodeCommand(step.text);
    if (line === undefined) {
      this.reply('500 5.5.2 Error: bad UTF-8 syntax');
      this.errorCount++;
      return this.afterCommand();
    }
    // verb = first word, args = the rest without surrounding blanks (spaces and tabs)
    let start = 0;
    while (start < line.length && isBlank(line.charCodeAt(start))) start++;
    let sp = start;
    while (sp < line.length && !isBlank(line.charCodeAt(sp))) sp++;
    const verb = line.slice(start, sp).toUpperCase();
    let args = '';
    if (sp < line.length) {
      let a = sp + 1;
      while (a < line.length && isBlank(line.charCodeAt(a))) a++;
      let e = line.length;
      while (e > a && isBlank(line.charCodeAt(e - 1))) e--;
      args = line.slice(a, e);
    }
    if (verb === '') {
      this.reply('500 5.5.2 Error: bad syntax');
      this.errorCount++;
      return this.afterCommand();
    }
    const spec = COMMANDS.get(verb);
    this.count(spec ? spec.name : 'unknown').total++;
    if (!spec) {
      this.where = 'UNKNOWN';
      if (/^[\x21-\x39\x3b-\x7e]+:/.test(line.slice(start))) {
        // A mail header as a command: a client talking to the wrong port, or a web form abuse.
        this.warn(`non-SMTP command from ${this.namaddr}: ${printable(line.slice(0, 100))}`);
        this.reply('221 2.7.0 Error: I can break rules, too. Goodbye.');
        this.close();
        return;
      }
    }
    if (this.accessDenied !== undefined && spec?.name !== 'quit') {
      // A refused client may only QUIT; a 421 refusal is repeated as is.
      if (/^.21/.test(this.accessDenied)) {
        this.reply(this.accessDenied);
        return;
      }
      this.reply(`503 5.7.0 Error: access denied for ${this.namaddr}`);
      this.errorCount++;
      return this.afterCommand();
    }
    if (!spec) {
      this.reply('500 5.5.2 Error: command not recognized');
      this.errorCount++;
      return this.afterCommand();
    }
    if (this.settings.tlsSecurityLevel === 'encrypt' && !this.tlsActive && !spec.preTls) {
      this.reply('530 5.7.0 Must issue a STARTTLS command first');
      this.errorCount++;
      return this.afterCommand();
    }
    this.where = spec.where;
    if (!this.illegalPipelining && (this.protocol !== 'ESMTP' || spec.last) && this.hasPendingInput()) {
      this.illegalPipelining = true;
      const peek = this.buf.subarray(this.pos, Math.min(this.buf.length, this.pos + 100)).toString('latin1');
      this.log(`improper command pipelining after ${spec.where} from ${this.namaddr}: ${printable(peek)}`);
      if (this.settings.forbidUnauthPipelining) {
        this.reply('554 5.5.0 Error: SMTP protocol synchronization');
        this.close();
        return;
      }
    }
    const result = spec.run(this, args);
    if (result === 'pending') {
      this.pendingCommand = spec;
      return;
    }
    if (result instanceof Promise) {
      return result.then((ok) => {
        if (ok === 'pending') this.pendingCommand = spec;
        else this.finishCommand(spec, ok);
      });
    }
    return this.finishCommand(spec, result);
  }

  private finishCommand(spec: CommandSpec, ok: boolean): void {
    const c = this.count(spec.name);
    if (ok) c.success++;
    else this.errorCount++;
    if (spec.junkLimited && this.junkCommands++ > this.settings.smtpdJunkCommandLimit) this.errorCount++;
    if (spec.name === 'quit') this.close();
    this.afterCommand();
  }

  private afterCommand(): void {
    if (this.closing) return;
    if (this.errorCount >= this.settings.smtpdHardErrorLimit) {
      this.log(`too many errors after ${this.afterWhere()} from ${this.namaddr}`);
      this.reply(`421 4.7.0 ${this.settings.myhostname} Error: too many errors`);
      this.close();
    }
  }

  private count(name: string): CommandCount {
    let c = this.counts.get(name);
    if (!c) {
      c = { total: 0, success: 0 };
      this.counts.set(name, c);
    }
    return c;
  }

  // ---- DATA ------------------------------------------------------------------------------

  /** Enter DATA content mode (after the 354 reply). */
  beginData(writer: MessageWriter): void {
    this.writer = writer;
    this.dataWriteFailed = false;
    this.dataReader = new DataReader({
      lineLengthLimit: this.settings.lineLengthLimit,
      detectBareLf: this.detectBareLf,
      rejectBareLf: this.rejectBareLf,
      messageSizeLimit: this.settings.messageSizeLimit,
    });
    this.mode = 'data';
    this.where = 'DATA';
  }

  /** Feed buffered input to the DATA reader; false when more input is needed. */
  private pumpData(): boolean {
    const reader = this.dataReader!;
    if (this.pos >= this.buf.length) return false;
    const chunk = reader.consume(this.buf, this.pos);
    this.pos = chunk.next;
    let pending: Promise<void> | undefined;
    if (chunk.content.length > 0 && !reader.sizeExceeded && !reader.bareLfSeen && !this.dataWriteFailed) {
      try {
        const r = this.writer!.write(chunk.content);
        // Backpressure: stop reading until the queue file has taken the data.
        if (r instanceof Promise) pending = r.catch((e: unknown) => this.writeFailed(e));
      } catch (e) {
        this.writeFailed(e);
      }
    }
    if (chunk.done) {
      this.mode = 'command';
      this.where = 'END-OF-MESSAGE';
      this.await(pending ? pending.then(() => this.finishData()) : this.finishData());
      return true;
    }
    if (pending) {
      this.await(pending);
      return true;
    }
    return false;
  }

  private writeFailed(e: unknown): void {
    this.dataWriteFailed = true;
    this.dataWriteError = e;
    this.warn(`${this.queueId ?? 'NOQUEUE'}: queue file write error: ${(e as Error).message}`);
  }

  private async finishData(): Promise<void> {
    const reader = this.dataReader!;
    const writer = this.writer!;
    this.dataReader = undefined;
    this.writer = undefined;
    let ok = false;
    if (reader.bareLfSeen) {
      await writer.abort().catch(() => undefined);
      this.logReject('END-OF-MESSAGE', 'bare <LF> received');
      this.reply(
        `${this.settings.forbidBareNewlineRejectCode} 5.5.2 ${this.settings.myhostname} Error: bare <LF> received`,
      );
    } else if (reader.sizeExceeded) {
      await writer.abort().catch(() => undefined);
      this.warn(`${this.queueId ?? 'NOQUEUE'}: queue file size limit exceeded`);
      this.reply('552 5.3.4 Error: message file too big');
    } else if (this.dataWriteFailed) {
      await writer.abort().catch(() => undefined);
      this.reply(replyForSinkError(this.dataWriteError));
    } else {
      try {
        const id = await writer.commit();
        if (this.queueId === undefined) this.log(`${id}: ${this.clientLogFields()}`);
        this.reply(`250 2.0.0 Ok: queued as ${id}`);
        ok = true;
      } catch (e) {
        const reply = replyForSinkError(e);
        if (reply.startsWith('5')) this.logReject('END-OF-MESSAGE', reply);
        else this.warn(`${this.queueId ?? 'NOQUEUE'}: queue file write error: ${(e as Error).message}`);
        this.reply(reply);
      }
    }
    this.resetTransaction();
    if (ok) {
      // Postfix forgives earlier client errors once a message was received.
      this.errorCount = 0;
      this.junkCommands = 0;
    }
    this.completePendingCommand(ok);
  }

  /** "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)" for Received:. */
  tlsSummary(): string | undefined {
    if (!this.tlsActive || !(this.socket instanceof TLSSocket)) return undefined;
    const c = this.socket.getCipher();
    const bits = /256/.test(c.name) ? 256 : 128;
    return `using ${this.socket.getProtocol() ?? c.version} with cipher ${c.standardName ?? c.name} (${bits}/${bits} bits)`;
  }

  /** "client=name[addr], sasl_method=PLAIN, sasl_username=alice" */
  clientLogFields(): string {
    let s = `client=${this.namaddr}`;
    if (this.saslMethod) s += `, sasl_method=${this.saslMethod}`;
    if (this.saslUsername) s += `, sasl_username=${this.saslUsername}`;
    return s;
  }

  resetTransaction(): void {
    this.transaction = undefined;
    this.declaredSize = 0;
    this.rcptAttempts = 0;
    this.rcptOvershoot = 0;
    this.queueId = undefined;
    if (this.writer) {
      void this.writer.abort().catch(() => undefined);
      this.writer = undefined;
    }
  }

  // ---- AUTH ------------------------------------------------------------------------------

  /** Following input lines are SASL responses for `handler` until endAuthExchange(). */
  beginAuthExchange(handler: (line: string) => void | Promise<void>): void {
    this.authResponseHandler = handler;
    this.mode = 'auth';
  }

  endAuthExchange(): void {
    this.authResponseHandler = undefined;
    this.mode = 'command';
  }

  /** Report the outcome of a command whose handler returned 'pending'. */
  completePendingCommand(ok: boolean): void {
    const spec = this.pendingCommand;
    this.pendingCommand = undefined;
    if (spec) this.finishCommand(spec, ok);
  }

  private authResponseHandler: ((line: string) => void | Promise<void>) | undefined;
  private pendingCommand: CommandSpec | undefined;

  private handleAuthResponse(step: {
    text: Buffer;
    bareLf: boolean;
    tooLong?: boolean;
  }): void | Promise<void> {
    const handler = this.authResponseHandler;
    if (!handler) {
      this.mode = 'command';
      return;
    }
    if (step.tooLong) {
      // smtpd_sasl_response_limit (12288)
      this.endAuthExchange();
      this.reply('500 5.5.6 SASL response limit exceeded');
      this.completePendingCommand(false);
      return;
    }
    return handler(step.text.toString('latin1'));
  }

  // ---- STARTTLS ----------------------------------------------------------------------

  /**
   * Switch the connection to TLS. Plaintext the client pipelined after STARTTLS is thrown
   * away (CVE-2011-0411): only bytes that arrive through the TLS layer are read.
   */
  upgradeToTls(then: () => void): void {
    const raw = this.socket;
    raw.setTimeout(0);
    raw.removeListener('data', this.onSocketData);
    raw.removeAllListeners('timeout');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.on('error', () => undefined);
    this.buf = EMPTY;
    this.pos = 0;
    this.skippedCommand = undefined;
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.runtime.secureContext! });
    this.socket = secure;
    this.busy = true;
    const fail = (): void => {
      if (this.closed) return;
      this.log(`lost connection after ${this.afterWhere()} from ${this.namaddr}`);
      this.closing = true;
      this.finishClose();
    };
    const handshakeTimer = setTimeout(() => {
      this.log(`timeout after ${this.afterWhere()} from ${this.namaddr}`);
      secure.destroy();
    }, this.settings.timeoutMs);
    secure.once('error', fail);
    secure.once('close', fail);
    secure.once('secure', () => {
      clearTimeout(handshakeTimer);
      secure.removeListener('error', fail);
      secure.removeListener('close', fail);
      this.tlsActive = true;
      this.attach(secure);
      this.busy = false;
      then();
      this.pump();
    });
  }

  /** RFC 3207 4.2: forget everything learned before TLS; the client must EHLO again. */
  resetAfterStartTls(): void {
    this.heloName = undefined;
    this.protocol = 'SMTP';
    this.resetTransaction();
  }

  // ---- ending ----------------------------------------------------------------------------

  /** Send what is queued and end the session (after QUIT, 421, fatal protocol errors). */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    // Like Postfix closing its descriptor: send what is queued, then drop the connection.
    this.socket.destroySoon();
    if (this.paused) this.socket.resume();
    this.finishClose();
  }

  /** End the session now, e.g. on server shutdown. */
  abort(reply?: string): void {
    if (this.closed) return;
    if (reply) this.reply(reply);
    this.close();
  }

  private onTimeout(): void {
    if (this.closing) return;
    this.log(`timeout after ${this.afterWhere()} from ${this.namaddr}`);
    this.reply(`421 4.4.2 ${this.settings.myhostname} Error: timeout exceeded`);
    this.close();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /**
   * The client half-closed. Like Postfix, first answer whatever complete commands it sent
   * (e.g. "... QUIT" followed by FIN from a script), then end the session.
   */
  private onPeerEnd(): void {
    this.peerEnded = true;
    this.pump();
  }

  private onPeerGone(): void {
    if (this.closed) return;
    if (!this.closing) {
      this.log(`lost connection after ${this.afterWhere()} from ${this.namaddr}`);
      this.closing = true;
      // After a half-close the queued replies can still be delivered; end() sends them.
      if (this.peerEnded && !this.socket.destroyed) {
        this.flush();
        this.socket.end();
      } else {
        this.socket.destroy();
      }
    }
    this.finishClose();
  }

  /** "DATA (1234 bytes)" while content is being received, else the last command. */
  private afterWhere(): string {
    if (this.where === 'DATA' && this.dataReader) {
      const r = this.dataReader;
      return `DATA (${r.size + this.buf.length - this.pos} bytes)`;
    }
    return this.where;
  }

  private finishClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.writer) {
      void this.writer.abort().catch(() => undefined);
      this.writer = undefined;
    }
    this.log(`disconnect from ${this.namaddr}${this.commandSummary()}`);
    this.onClosed(this);
  }

  /** " ehlo=1 mail=1 rcpt=0/2 ... commands=3/5" as Postfix's disconnect line. */
  private commandSummary(): string {
    let s = '';
    let total = 0;
    let success = 0;
    for (const name of COMMAND_LOG_ORDER) {
      const c = this.counts.get(name);
      if (!c || c.total === 0) continue;
      s += c.success === c.total ? ` ${name}=${c.total}` : ` ${name}=${c.success}/${c.total}`;
      total += c.total;
      success += c.success;
    }
    s += success === total ? ` commands=${total}` : ` commands=${success}/${total}`;
    return s;
  }
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** IPv4-mapped IPv6 ("::ffff:1.2.3.4") is shown as IPv4, as Postfix does. */
function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** Non-printable characters as "?" in log lines (Postfix printable()). */
export function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\r' ? '\\r' : c === '\n' ? '\\n' : '?'));
}
