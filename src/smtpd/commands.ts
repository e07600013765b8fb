// The SMTP commands with Postfix 3.7 smtpd's replies. Each handler answers exactly one
// reply (AUTH: one per exchange step) and returns true for success or false for an error,
// which the session counts towards smtpd_soft/hard_error_limit. Flags follow Postfix's
// command table: preTls = allowed before STARTTLS at level encrypt; last = must not be
// followed by pipelined input (smtpd_forbid_unauth_pipelining); junkLimited = counts
// towards smtpd_junk_command_limit.
import { parsePathArgument, quoteLocalPart, xtextDecode } from './address.js';
import { SaslExchange, type SaslStep } from './sasl.js';
import type { SmtpSession } from './session.js';
import { receivedHeader } from './received-header.js';
import { replyForSinkError } from './sink-errors.js';
import type { EnvelopeRecipient, MessageWriter } from '../queue/types.js';

export interface CommandSpec {
  name: string;
  where: string;
  preTls: boolean;
  last: boolean;
  junkLimited: boolean;
  /** 'pending': the outcome is reported later (AUTH challenges). */
  run(s: SmtpSession, args: string): boolean | 'pending' | Promise<boolean | 'pending'>;
}

/** Order of the per-command counts in the "disconnect from" line (Postfix's table order). */
export const COMMAND_LOG_ORDER = [
  'helo',
  'ehlo',
  'starttls',
  'auth',
  'mail',
  'rcpt',
  'data',
  'bdat',
  'rset',
  'noop',
  'vrfy',
  'etrn',
  'quit',
  'unknown',
];

function spec(
  name: string,
  flags: { preTls?: boolean; last?: boolean; junkLimited?: boolean },
  run: CommandSpec['run'],
): [string, CommandSpec] {
  return [
    name.toUpperCase(),
    {
      name,
      where: name.toUpperCase(),
      preTls: flags.preTls ?? false,
      last: flags.last ?? false,
      junkLimited: flags.junkLimited ?? false,
      run,
    },
  ];
}

export const COMMANDS = new Map<string, CommandSpec>([
  spec('helo', { preTls: true, last: true, junkLimited: true }, helo),
  spec('ehlo', { preTls: true, last: true, junkLimited: true }, ehlo),
  spec('starttls', { preTls: true }, starttls),
  spec('auth', {}, auth),
  spec('mail', {}, mail),
  spec('rcpt', {}, rcpt),
  spec('data', { last: true }, data),
  spec('rset', { junkLimited: true }, rset),
  spec('noop', { preTls: true, last: true, junkLimited: true }, noop),
  spec('vrfy', { last: true, junkLimited: true }, vrfy),
  spec('quit', { preTls: true }, quit),
]);

/** A restriction's refusal; 421 and 521 end the session after the reply, as in Postfix. */
function replyRefusal(s: SmtpSession, text: string): void {
  s.reply(text);
  if (/^[45]21/.test(text)) s.close();
}

/** smtpd_helo_restrictions at HELO/EHLO time (smtpd_delay_reject = no); the refusal, if any. */
function heloRefusal(s: SmtpSession, name: string): Promise<string | undefined> | undefined {
  if (s.settings.delayReject || s.settings.heloRestrictions.length === 0) return undefined;
  return s.checks.checkHelo(name);
}

function helo(s: SmtpSession, args: string): boolean | Promise<boolean> {
  return greeting(s, args, 'HELO', heloAccepted);
}

/** HELO and EHLO: syntax, then smtpd_helo_restrictions when they run now, then the reply. */
function greeting(
  s: SmtpSession,
  args: string,
  verb: 'HELO' | 'EHLO',
  accepted: (s: SmtpSession, name: string) => boolean,
): boolean | Promise<boolean> {
  if (args === '') {
    s.reply(`501 Syntax: ${verb} hostname`);
    return false;
  }
  const name = args.replace(/[ \t]+/g, ' ');
  const check = heloRefusal(s, name);
  if (check) {
    return check.then((refusal) => {
      if (refusal === undefined) return accepted(s, name);
      replyRefusal(s, refusal);
      return false;
    });
  }
  return accepted(s, name);
}

function heloAccepted(s: SmtpSession, name: string): boolean {
  s.heloName = name;
  s.protocol = 'SMTP';
  s.resetTransaction();
  s.reply(`250 ${s.settings.myhostname}`);
  return true;
}

function ehlo(s: SmtpSession, args: string): boolean | Promise<boolean> {
  return greeting(s, args, 'EHLO', ehloAccepted);
}

function ehloAccepted(s: SmtpSession, name: string): boolean {
  s.heloName = name;
  s.protocol = 'ESMTP';
  s.resetTransaction();
  const set = s.settings;
  const discard = new Set(set.discardEhloKeywords);
  const lines = [set.myhostname];
  const add = (keyword: string, text = keyword): void => {
    if (!discard.has(keyword.toLowerCase())) lines.push(text);
  };
  add('PIPELINING');
  add('SIZE', set.messageSizeLimit > 0 ? `SIZE ${set.messageSizeLimit}` : 'SIZE');
  if (!set.disableVrfyCommand) add('VRFY');
  if (s.runtime.secureContext && !s.tlsActive && set.tlsSecurityLevel !== 'none') add('STARTTLS');
  const mechanisms = authMechanisms(s);
  if (mechanisms.length > 0) {
    add('AUTH', `AUTH ${mechanisms.join(' ')}`);
    if (set.brokenSaslAuthClients) add('AUTH', `AUTH=${mechanisms.join(' ')}`);
  }
  add('ENHANCEDSTATUSCODES');
  add('8BITMIME');
  add('DSN');
  if (set.smtputf8Enable) add('SMTPUTF8');
  s.reply(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}`).join('\r\n'));
  return true;
}

/** Mechanisms to offer now: AUTH needs smtpd_sasl_auth_enable, and TLS when auth_only/encrypt. */
function authMechanisms(s: SmtpSession): string[] {
  const set = s.settings;
  if (!set.saslAuthEnable || !s.runtime.passwords) return [];
  if (!s.tlsActive && (set.tlsAuthOnly || set.tlsSecurityLevel === 'encrypt')) return [];
  return s.tlsActive ? s.runtime.tlsMechanisms : s.runtime.mechanisms;
}

function mail(s: SmtpSession, args: string): boolean | Promise<boolean> {
  const set = s.settings;
  if (set.heloRequired && s.heloName === undefined) {
    s.reply('503 5.5.1 Error: send HELO/EHLO first');
    return false;
  }
  if (s.transaction) {
    s.reply('503 5.5.1 Error: nested MAIL command');
    return false;
  }
  const parsed = parsePathArgument(args, 'FROM:');
  if (parsed === undefined) {
    s.reply('501 5.5.4 Syntax: MAIL FROM:<address>');
    return false;
  }
  if (parsed === 'bad') {
    s.warn(`Illegal address syntax from ${s.namaddr} in MAIL command: ${args.replace(/^FROM:\s*/i, '')}`);
    s.reply('501 5.1.7 Bad sender address syntax');
    return false;
  }
  let body: '7BIT' | '8BITMIME' | undefined;
  let smtputf8 = false;
  let ret: 'FULL' | 'HDRS' | undefined;
  let envid: string | undefined;
  for (const param of parsed.params) {
    const upper = param.toUpperCase();
    if (upper === 'BODY=8BITMIME') body = '8BITMIME';
    else if (upper === 'BODY=7BIT') body = '7BIT';
    else if (upper.startsWith('SIZE=')) {
      const value = param.slice(5);
      if (!/^\d+$/.test(value)) {
        s.reply('501 5.5.4 Bad message size syntax');
        return false;
      }
      s.declaredSize = Number(value);
    } else if (upper === 'SMTPUTF8' && set.smtputf8Enable) smtputf8 = true;
    else if (upper.startsWith('AUTH=') && set.saslAuthEnable) {
      // RFC 4954 5: accepted; the submitter identity is not used for anything here.
    } else if (upper.startsWith('RET=')) {
      const v = upper.slice(4);
      if (ret || (v !== 'FULL' && v !== 'HDRS')) {
        s.reply('501 5.5.4 Bad RET parameter syntax');
        return false;
      }
      ret = v;
    } else if (upper.startsWith('ENVID=')) {
      const decoded = xtextDecode(param.slice(6));
      if (envid !== undefined || decoded === undefined || !/^[\x20-\x7e]*$/.test(decoded)) {
        s.reply('501 5.5.4 Bad ENVID parameter syntax');
        return false;
      }
      envid = decoded;
    } else {
      s.reply(`555 5.5.4 Unsupported option: ${param}`);
      return false;
    }
  }
  const senderLog = quoteLocalPart(parsed.address);
  if (set.messageSizeLimit > 0 && s.declaredSize > set.messageSizeLimit) {
    const reply = '552 5.3.4 Message size exceeds fixed limit';
    s.transaction = { sender: parsed.address, senderLog, recipients: [], smtputf8 };
    s.logReject('MAIL', reply);
    s.transaction = undefined;
    s.reply(reply);
    return false;
  }
  s.transaction = { sender: parsed.address, senderLog, recipients: [], body, smtputf8, ret, envid };
  if (!set.delayReject && (set.senderRestrictions.length > 0 || set.rejectUnlistedSender)) {
    return s.checks.checkMail(parsed.address).then((refusal) => {
      if (refusal !== undefined) {
        s.transaction = undefined; // also forgets HOLD/DISCARD/PREPEND the check recorded
        replyRefusal(s, refusal);
        return false;
      }
      s.reply('250 2.1.0 Ok');
      return true;
    });
  }
  s.reply('250 2.1.0 Ok');
  return true;
}

const NOTIFY_WORDS = new Set(['SUCCESS', 'FAILURE', 'DELAY']);

function rcpt(s: SmtpSession, args: string): boolean | Promise<boolean> {
  const set = s.settings;
  const tx = s.transaction;
  if (!tx) {
    s.reply('503 5.5.1 Error: need MAIL command');
    return false;
  }
  const parsed = parsePathArgument(args, 'TO:');
  if (parsed === undefined) {
    s.reply('501 5.5.4 Syntax: RCPT TO:<address>');
    return false;
  }
  if (parsed === 'bad' || parsed.address === '') {
    s.warn(`Illegal address syntax from ${s.namaddr} in RCPT command: ${args.replace(/^TO:\s*/i, '')}`);
    s.reply('501 5.1.3 Bad recipient address syntax');
    return false;
  }
  const recipient: EnvelopeRecipient = { address: parsed.address };
  for (const param of parsed.params) {
    const upper = param.toUpperCase();
    if (upper.startsWith('NOTIFY=')) {
      const words = upper.slice(7).split(',');
      const valid =
        recipient.notify === undefined &&
        ((words.length === 1 && words[0] === 'NEVER') || words.every((w) => NOTIFY_WORDS.has(w)));
      if (!valid) {
        s.reply('501 5.5.4 Error: Bad NOTIFY parameter syntax');
        return false;
      }
      recipient.notify = words;
    } else if (upper.startsWith('ORCPT=')) {
      const value = param.slice(6);
      const semi = value.indexOf(';');
      const decoded = semi > 0 ? xtextDecode(value.slice(semi + 1)) : undefined;
      if (recipient.orcpt !== undefined || decoded === undefined) {
        s.reply('501 5.5.4 Error: Bad ORCPT parameter syntax');
        return false;
      }
      recipient.orcpt = `${value.slice(0, semi)};${decoded}`;
    } else {
      s.reply(`555 5.5.4 Unsupported option: ${param}`);
      return false;
    }
  }
  if (set.smtpdRecipientLimit > 0 && tx.recipients.length >= set.smtpdRecipientLimit) {
    s.reply('452 4.5.3 Error: too many recipients');
    return s.rcptOvershoot++ < set.smtpdRecipientOvershootLimit;
  }
  s.rcptAttempts++;
  // The restrictions log their own refusals (Postfix's "NOQUEUE: reject: RCPT from ...").
  return s.checks.checkRcpt(parsed.address).then((refusal) => {
    if (refusal !== undefined) {
      replyRefusal(s, refusal);
      return false;
    }
    tx.recipients.push(recipient);
    s.reply('250 2.1.5 Ok');
    return true;
  });
}

async function data(s: SmtpSession, args: string): Promise<boolean | 'pending'> {
  const tx = s.transaction;
  if (!tx || tx.recipients.length === 0) {
    s.reply(
      tx && s.rcptAttempts > 0
        ? '554 5.5.1 Error: no valid recipients'
        : '503 5.5.1 Error: need RCPT command',
    );
    return false;
  }
  if (args !== '') {
    s.reply('501 5.5.4 Syntax: DATA');
    return false;
  }
  const refusal = await s.checks.checkData(
    tx.recipients.length === 1 ? tx.recipients[0]!.address : undefined,
  );
  if (refusal !== undefined) {
    replyRefusal(s, refusal);
    return false;
  }
  let writer: MessageWriter;
  try {
    writer = await s.runtime.sink.open(
      {
        sender: tx.sender,
        recipients: tx.recipients,
        ret: tx.ret,
        envid: tx.envid,
        body: tx.body,
        smtputf8: tx.smtputf8 || undefined,
      },
      {
        service: s.service,
        clientName: s.clientName,
        clientAddress: s.clientAddress,
        saslMethod: s.saslMethod,
        saslUsername: s.saslUsername,
        // local_header_rewrite_clients = permit_inet_interfaces (the 3.7 default)
        localRewriteContext: s.settings.inetInterfaces.includes(s.clientAddress),
      },
      // HOLD: the message goes into the hold queue, durable before the 250 like any other.
      tx.hold && !tx.discard ? { hold: true } : undefined,
    );
  } catch (e) {
    s.warn(`NOQUEUE: queue file open error: ${(e as Error).message}`);
    s.reply(replyForSinkError(e));
    return false;
  }
  // Queue writers that know their ID early (queue-writer.ts has `queueId`) get Postfix's
  // "ID: client=..." line now; others get it after commit.
  const early = (writer as { queueId?: unknown }).queueId;
  s.queueId = typeof early === 'string' ? early : undefined;
  if (s.queueId) s.log(`${s.queueId}: ${s.clientLogFields()}`);
  // DISCARD: the client is told the message was queued; nothing is kept (Postfix does the same).
  if (tx.discard) writer = discardingWriter(writer, s.queueId);
  let protocol: string = s.protocol;
  if (tx.smtputf8) protocol = `UTF8${protocol}`;
  if (s.protocol === 'ESMTP') {
    if (s.tlsActive) protocol += 'S';
    if (s.saslUsername) protocol += 'A';
  }
  const header = receivedHeader({
    heloName: s.heloName,
    clientName: s.clientName,
    clientAddress: s.clientAddress,
    myhostname: s.settings.myhostname,
    mailName: s.settings.mailName,
    protocol,
    queueId: s.queueId,
    recipients: tx.recipients.map((r) => r.address),
    authenticatedSender: s.settings.saslAuthenticatedHeader ? s.saslUsername : undefined,
    tlsSummary: s.settings.tlsReceivedHeader ? s.tlsSummary() : undefined,
    when: new Date(),
  });
  // PREPEND headers from access tables go above our Received: header.
  const prepended = (tx.prepend ?? []).map((h) => `${h}\n`).join('');
  const r = writer.write(Buffer.from(prepended + header, 'utf8'));
  if (r instanceof Promise) await r;
  s.reply('354 End data with <CR><LF>.<CR><LF>');
  s.beginData(writer);
  // Success or failure is known when the message ends (session.finishData).
  return 'pending';
}

/** A writer that takes the content and throws it away, releasing the real queue file. */
function discardingWriter(real: MessageWriter, queueId: string | undefined): MessageWriter {
  return {
    queueId,
    write: () => true,
    async commit(): Promise<string> {
      await real.abort();
      return queueId ?? 'NOQUEUE';
    },
    abort: () => real.abort(),
  };
}

function rset(s: SmtpSession, args: string): boolean {
  if (args !== '') {
    s.reply('501 5.5.4 Syntax: RSET');
    return false;
  }
  s.resetTransaction();
  s.reply('250 2.0.0 Ok');
  return true;
}

function noop(s: SmtpSession): boolean {
  s.reply('250 2.0.0 Ok');
  return true;
}

function vrfy(s: SmtpSession, args: string): boolean {
  const set = s.settings;
  if (set.disableVrfyCommand) {
    s.reply('502 5.5.1 VRFY command is disabled');
    return false;
  }
  let words = args.split(/[ \t]+/).filter((w) => w !== '');
  if (set.smtputf8Enable && words.length > 0 && words[words.length - 1]!.toUpperCase() === 'SMTPUTF8') {
    words = words.slice(0, -1);
  }
  if (words.length === 0) {
    s.reply(`501 5.5.4 Syntax: VRFY address${set.smtputf8Enable ? ' [SMTPUTF8]' : ''}`);
    return false;
  }
  // No recipient table is consulted here: RFC 5321 3.5.3 "cannot verify" reply.
  s.reply(`252 2.0.0 ${words.join(' ')}`);
  return true;
}

function quit(s: SmtpSession): boolean {
  s.reply('221 2.0.0 Bye');
  // The session closes after counting this command (see session.finishCommand).
  return true;
}

function starttls(s: SmtpSession, args: string): boolean {
  if (args !== '') {
    s.reply('501 5.5.4 Syntax: STARTTLS');
    return false;
  }
  if (s.tlsActive) {
    s.reply('554 5.5.1 Error: TLS already active');
    return false;
  }
  if (!s.runtime.secureContext || s.settings.tlsSecurityLevel === 'none') {
    s.reply('502 5.5.1 Error: command not implemented');
    return false;
  }
  s.reply('220 2.0.0 Ready to start TLS');
  s.flush();
  s.resetAfterStartTls();
  s.upgradeToTls(() => undefined);
  return true;
}

function auth(s: SmtpSession, args: string): boolean | Promise<boolean> | 'pending' {
  const set = s.settings;
  if (set.heloRequired && s.heloName === undefined) {
    s.reply('503 5.5.1 Error: send HELO/EHLO first');
    return false;
  }
  // Postfix activates SASL before TLS only without smtpd_tls_auth_only (which encrypt implies);
  // until then AUTH is simply "not enabled".
  const mechanisms = authMechanisms(s);
  if (mechanisms.length === 0) {
    s.reply('503 5.5.1 Error: authentication not enabled');
    return false;
  }
  if (s.transaction) {
    s.reply('503 5.5.1 Error: MAIL transaction in progress');
    return false;
  }
  if (s.saslUsername !== undefined) {
    s.reply('503 5.5.1 Error: already authenticated');
    return false;
  }
  const words = args.split(/[ \t]+/).filter((w) => w !== '');
  if (words.length < 1 || words.length > 2) {
    s.reply('501 5.5.4 Syntax: AUTH mechanism');
    return false;
  }
  const mechanism = words[0]!.toUpperCase();
  if (!mechanisms.includes(mechanism)) {
    // Cyrus SASL's text for SASL_NOMECH, which Postfix passes on.
    s.warn(
      `${s.namaddr}: SASL ${mechanism} authentication failed: no mechanism available, sasl_username=(unavailable)`,
    );
    s.reply('535 5.7.8 Error: authentication failed: no mechanism available');
    return false;
  }
  const exchange = new SaslExchange(mechanism as 'PLAIN' | 'LOGIN');
  return continueAuth(s, exchange, mechanism, exchange.start(words[1]));
}

/**
 * One step of an AUTH exchange. 'pending' means a 334 challenge went out and the outcome
 * is reported later through s.completePendingCommand().
 */
function continueAuth(
  s: SmtpSession,
  exchange: SaslExchange,
  mechanism: string,
  step: SaslStep,
): 'pending' | boolean | Promise<boolean> {
  if (step.kind === 'challenge') {
    s.reply(`334 ${step.challenge}`);
    s.beginAuthExchange((line) => {
      if (line === '*') {
        s.endAuthExchange();
        s.warn(`${s.namaddr}: SASL ${mechanism} authentication aborted`);
        s.reply('501 5.7.0 Authentication aborted');
        s.completePendingCommand(false);
        return;
      }
      const r = continueAuth(s, exchange, mechanism, exchange.step(line));
      if (r === 'pending') return;
      if (r instanceof Promise) return r.then((ok) => s.completePendingCommand(ok));
      s.completePendingCommand(r);
    });
    return 'pending';
  }
  s.endAuthExchange();
  const failed = (reason: string, user: string | undefined): false => {
    s.warn(
      `${s.namaddr}: SASL ${mechanism} authentication failed: ${reason}, sasl_username=${user ?? '(unavailable)'}`,
    );
    s.reply(`535 5.7.8 Error: authentication failed: ${reason}`);
    return false;
  };
  if (step.kind === 'failed') return failed(step.reason, undefined);
  return s.runtime.passwords!.verify(step.username, step.password).then((ok) => {
    if (!ok) return failed('authentication failure', step.username);
    s.saslUsername = step.username;
    s.saslMethod = mechanism;
    s.reply('235 2.7.0 Authentication successful');
    return true;
  });
}
