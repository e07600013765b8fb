// postqueue(1): list the queue (-p mailq format, -j JSON lines) and ask the running daemon
// to flush it (-f all deferred mail, -i one message, -s one site). Messages and exit codes
// follow Postfix 3.7: every fatal error exits 69 (EX_UNAVAILABLE), as Postfix's postqueue does.
import { QueueStore } from '../queue/queue-store.js';
import { listQueue } from '../queue/queue-listing.js';
import {
  FlushRefusedError,
  MailSystemDownError,
  requestFlush,
  type FlushRequest,
} from '../queue/flush-trigger.js';
import { formatJsonEntry, formatMailqEntry, mailqHeading, mailqTrailer } from './mailq-format.js';
import { getopt, UsageError } from './getopt.js';
import { ConfigFileError, readQueueToolSettings } from './queue-tool-config.js';
import { configDirectoryFrom, type ToolIO } from './tool-io.js';

const EX_UNAVAILABLE = 69;
const USAGE = 'usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site';

type Mode = { kind: 'p' } | { kind: 'j' } | FlushRequest;

export async function postqueueMain(argv: string[], io: ToolIO, program = 'postqueue'): Promise<number> {
  const fatal = (text: string): number => {
    io.stderr.write(`${program}: fatal: ${text}\n`);
    return EX_UNAVAILABLE;
  };
  let parsed;
  try {
    parsed = getopt(argv, 'c:fi:jps:v');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`${program}: ${err.message}\n`);
    return fatal(USAGE);
  }
  let configOption: string | undefined;
  const modes: Mode[] = [];
  for (const o of parsed.options) {
    if (o.flag === 'c') configOption = o.value;
    else if (o.flag === 'p') modes.push({ kind: 'p' });
    else if (o.flag === 'j') modes.push({ kind: 'j' });
    else if (o.flag === 'f') modes.push({ kind: 'all' });
    else if (o.flag === 'i') modes.push({ kind: 'id', id: o.value! });
    else if (o.flag === 's') modes.push({ kind: 'site', site: o.value! });
  }
  if (modes.length !== 1 || parsed.operands.length > 0) return fatal(USAGE);
  const mode = modes[0]!;

  let settings;
  try {
    settings = await readQueueToolSettings(configDirectoryFrom(configOption, io.env));
  } catch (err) {
    if (err instanceof ConfigFileError) return fatal(err.message);
    throw err;
  }

  if (mode.kind === 'p' || mode.kind === 'j') {
    const store = await QueueStore.open(settings, { create: false });
    try {
      let count = 0;
      let total = 0;
      for await (const entry of listQueue(store)) {
        if (mode.kind === 'j') {
          io.stdout.write(formatJsonEntry(entry));
          continue;
        }
        io.stdout.write(count === 0 ? mailqHeading(settings.enableLongQueueIds) : '\n');
        io.stdout.write(formatMailqEntry(entry, settings.enableLongQueueIds));
        count++;
        total += entry.messageSize;
      }
      if (mode.kind === 'p') io.stdout.write(mailqTrailer(total, count));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' || e.code === 'EACCES')
        return fatal(`scan ${settings.queueDirectory}: ${e.message}`);
      throw err;
    } finally {
      await store.close();
    }
    return 0;
  }

  try {
    await requestFlush(settings.queueDirectory, mode);
    return 0;
  } catch (err) {
    if (err instanceof MailSystemDownError) {
      // Postfix warns about the flush socket for -i/-s (they use the flush service) only.
      if (mode.kind !== 'all') io.stderr.write(`${program}: warning: ${err.detail}\n`);
      return fatal('Cannot flush mail queue - mail system is down');
    }
    if (err instanceof FlushRefusedError) return fatal(err.message);
    throw err;
  }
}
