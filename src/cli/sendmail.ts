// sendmail(1), Postfix-compatible: submit a message from standard input, with or without a
// running daemon. The message goes atomically into $queue_directory/maildrop as a queue file
// (QueueStore.create(envelope, 'maildrop'), so mailq lists it); a running master is nudged to pick it up at once, otherwise
// pickup finds it on start. Also: -bs (SMTP on stdin/stdout), -bp (mailq), -bi/-I
// (newaliases), -q (flush). Exit codes follow Postfix 3.7's sendmail (checked): every fatal
// error exits EX_TEMPFAIL (75) - usage errors included - because many mail clients treat any
// other non-zero status as "message lost for good"; -q with the daemon down exits
// EX_UNAVAILABLE (69) like postqueue; -bv (not available yet) exits 69 too.
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import {
  ConfigError,
  loadDaemonConfig,
  resolveDaemonConfigDir,
  type DaemonConfig,
} from '../master/config-adapter.js';
import { parseHeaderBlock } from '../master/header-block.js';
import { sendTrigger, triggerSocketPath } from '../master/trigger.js';
import { mailLogFor } from '../master/logging.js';
import { runSmtpOnStreams } from '../master/smtpd-adapter.js';
import { flushMailLogs } from '../log/maillog.js';
import { prepareQueueDirectory } from '../master/queue-layout.js';
import { lookupUser } from '../master/privileges.js';
import { parseSendmailArgs, UsageError, type SendmailOptions } from '../sendmail/options.js';
import { readMessage, MessageTooBig } from '../sendmail/read-message.js';
import { recipientsFromHeaders } from '../sendmail/extract-recipients.js';
import { maildropSink, openMaildropStore } from '../sendmail/maildrop-sink.js';
import { postqueueMain } from './postqueue.js';
import type { MessageWriter } from '../queue/types.js';
import { rebuildAliases } from '../sendmail/newaliases.js';
import { EX_SOFTWARE, EX_TEMPFAIL, EX_UNAVAILABLE } from './sysexits.js';

export interface SendmailIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

class Fatal extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

async function configDirFor(option: string | undefined): Promise<string> {
  if (!option) return resolveDaemonConfigDir();
  // -C accepts a directory or the main.cf file in it (sendmail's -C names a config file).
  const st = await stat(option).catch(() => undefined);
  return st?.isFile() ? dirname(option) : option;
}

/** "user(uid)", the prefix Postfix's sendmail puts on submission errors. */
function whoAmI(): string {
  return `${loginName()}(${process.getuid?.() ?? 0})`;
}

function loginName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.LOGNAME ?? process.env.USER ?? String(process.getuid?.() ?? 'unknown');
  }
}

/** Outpost never started yet: create the queue tree (the master fixes ownership on start). */
async function ensureMaildrop(queueDirectory: string): Promise<void> {
  const st = await stat(join(queueDirectory, 'maildrop')).catch(() => undefined);
  if (!st) await prepareQueueDirectory(queueDirectory, undefined);
}

async function submit(o: SendmailOptions, config: DaemonConfig, io: SendmailIo): Promise<void> {
  if (o.recipients.length === 0 && !o.extractRecipients) {
    throw new Fatal(
      `${whoAmI()}: Recipient addresses must be specified on the command line or via the -t option`,
      EX_TEMPFAIL,
    );
  }
  const queueDirectory = config.get('queue_directory');
  const maildrop = join(queueDirectory, 'maildrop');
  const cannotCreate = (err: unknown): Fatal => {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES' ? `; only root and members of group ${config.get('setgid_group')} may submit` : '';
    return new Fatal(`cannot create file in ${maildrop}: ${(err as Error).message}${hint}`, EX_TEMPFAIL);
  };
  let store;
  try {
    await ensureMaildrop(queueDirectory);
    store = await openMaildropStore(queueDirectory, config.bool('enable_long_queue_ids'));
  } catch (err) {
    throw cannotCreate(err);
  }
  // Like postdrop: nudge pickup; if the daemon is down the file waits for the next start.
  const sink = maildropSink(store, () => undefined);
  // Full name for a From: header cleanup may add: -F, else $NAME, else the passwd GECOS field.
  const fullName =
    o.fullName ?? process.env.NAME ?? (await lookupUser(String(process.getuid?.() ?? '')))?.fullName;
  let writer: MessageWriter | undefined;
  // With -t the recipients are known only after the header block: content read before then
  // waits in memory (the header is small; header_size_limit bounds it in cleanup).
  const early: Buffer[] = [];
  const openFile = async (headerText: string): Promise<void> => {
    const recipients = [...o.recipients];
    if (o.extractRecipients) recipients.push(...recipientsFromHeaders(parseHeaderBlock(headerText).fields));
    if (recipients.length === 0)
      throw new Fatal(`${whoAmI()}: No recipient addresses found in message header`, EX_TEMPFAIL);
    try {
      writer = await sink.open(
        {
          sender: o.sender ?? loginName(),
          recipients: recipients.map((address) => ({ address, ...(o.notify ? { notify: o.notify } : {}) })),
          ...(o.ret ? { ret: o.ret } : {}),
          ...(o.envid ? { envid: o.envid } : {}),
          ...(o.body ? { body: o.body } : {}),
        },
        { service: 'sendmail', localRewriteContext: true, ...(fullName ? { senderFullName: fullName } : {}) },
      );
    } catch (err) {
      throw cannotCreate(err);
    }
    for (const c of early.splice(0)) await writer.write(c);
  };
  try {
    if (!o.extractRecipients) await openFile('');
    const { headerText } = await readMessage(
      io.stdin,
      o.ignoreDots,
      async (c) => {
        if (writer) await writer.write(c);
        else early.push(c);
      },
      config.int('message_size_limit'),
    );
    if (!writer) await openFile(headerText);
    await writer!.commit();
  } catch (err) {
    await writer?.abort();
    if (err instanceof Fatal) throw err;
    if (err instanceof MessageTooBig) throw new Fatal(`${whoAmI()}: ${err.message}`, EX_TEMPFAIL);
    throw new Fatal(`error writing message file: ${(err as Error).message}`, EX_TEMPFAIL);
  } finally {
    await store.close();
  }
  await sendTrigger(triggerSocketPath(queueDirectory), 'pickup', 2000);
}

export async function sendmailMain(argv: string[], invokedAs: string, io: SendmailIo): Promise<number> {
  const name = invokedAs === 'newaliases' || invokedAs === 'mailq' ? invokedAs : 'sendmail';
  const fatal = (text: string, code: number): number => {
    io.stderr.write(`${name}: fatal: ${text}\n`);
    return code;
  };
  let o: SendmailOptions;
  try {
    o = parseSendmailArgs(argv, invokedAs);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (!err.getopt) return fatal(err.message, EX_TEMPFAIL);
    // Postfix's sendmail scans its options twice (first for -C and -v), so getopt's complaint
    // appears twice before the usage line; reproduced for identical stderr.
    io.stderr.write(`${name}: ${err.message}\n${name}: ${err.message}\n`);
    return fatal(`usage: ${name} [options]`, EX_TEMPFAIL);
  }
  for (const w of o.warnings) io.stderr.write(`${name}: warning: ${w}\n`);
  let config: DaemonConfig;
  try {
    config = await loadDaemonConfig(await configDirFor(o.configDir), { mainCfOnly: true });
  } catch (err) {
    if (err instanceof ConfigError) return fatal(err.message, EX_TEMPFAIL);
    throw err;
  }
  try {
    switch (o.mode) {
      case 'newaliases':
        if (o.recipients.length > 0)
          return fatal('alias initialization mode requires no recipient', EX_TEMPFAIL);
        return await rebuildAliases(config);
      case 'mailq':
        // sendmail -bp = postqueue -p (the daemon's showq, or the queue directly when down).
        return await postqueueMain(['-c', config.dir, '-p'], { ...io, env: process.env }, 'postqueue');
      case 'flush': {
        const q = triggerSocketPath(config.get('queue_directory'));
        if (!(await sendTrigger(q, 'flush')))
          return fatal('Cannot flush mail queue - mail system is down', EX_UNAVAILABLE);
        await sendTrigger(q, 'pickup');
        return 0;
      }
      case 'verify':
        return fatal('-bv (recipient verification) is not available in this Outpost version', EX_UNAVAILABLE);
      case 'smtp': {
        const q = config.get('queue_directory');
        await ensureMaildrop(q);
        const store = await openMaildropStore(q, config.bool('enable_long_queue_ids'));
        const sink = maildropSink(store, () => void sendTrigger(triggerSocketPath(q), 'pickup', 2000));
        try {
          // stdout carries the SMTP dialogue: without maillog_file, log lines go to stderr.
          const logConfig = config.get('maillog_file')
            ? config
            : config.withOverrides({ maillog_file: '/dev/stderr' });
          await runSmtpOnStreams(io.stdin, io.stdout, config, sink, mailLogFor(logConfig));
        } finally {
          await store.close();
        }
        await flushMailLogs();
        return 0;
      }
      case 'deliver':
        await submit(o, config, io);
        return 0;
    }
  } catch (err) {
    if (err instanceof Fatal) return fatal(err.message, err.code);
    if (err instanceof ConfigError) return fatal(err.message, EX_TEMPFAIL);
    const code = (err as NodeJS.ErrnoException).code;
    return fatal((err as Error).message, code ? EX_TEMPFAIL : EX_SOFTWARE);
  }
  return EX_TEMPFAIL;
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  void sendmailMain(process.argv.slice(2), basename(process.argv[1]!), process).then((code) => {
    process.exitCode = code;
  });
}
