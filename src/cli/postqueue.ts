// postqueue(1): list the queue (-p mailq format, -j JSON lines) and ask the running daemon
// to flush it (-f all deferred mail, -i one message, -s one site). Messages and exit codes
// follow Postfix 3.7: every fatal error exits 69 (EX_UNAVAILABLE), as Postfix's postqueue does.
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { QueueStore } from '../queue/queue-store.js';
import { listQueue, type QueueListingEntry } from '../queue/queue-listing.js';
import {
  FlushRefusedError,
  MailSystemDownError,
  requestFlush,
  requestQueueListing,
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
    const entries = await queueEntries(settings, io, program);
    if (typeof entries === 'string') return fatal(entries);
    let count = 0;
    let total = 0;
    for await (const entry of entries) {
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

/**
 * Postfix's order: ask the daemon (showq) first; when it is down, the superuser (or anyone
 * who can read the queue) reads the directories directly after a warning, others get the
 * "Queue report unavailable" fatal error. Returns the error text for fatal().
 */
async function queueEntries(
  settings: { queueDirectory: string; enableLongQueueIds: boolean },
  io: ToolIO,
  program: string,
): Promise<Iterable<QueueListingEntry> | AsyncIterable<QueueListingEntry> | string> {
  let down: MailSystemDownError;
  try {
    return await requestQueueListing(settings.queueDirectory);
  } catch (err) {
    if (!(err instanceof MailSystemDownError)) throw err;
    down = err;
  }
  const why = `Connect to the Postfix showq service: ${down.reason}`;
  try {
    await access(join(settings.queueDirectory, 'incoming'), constants.R_OK | constants.X_OK);
  } catch {
    return `Queue report unavailable - mail system is down (${why})`;
  }
  io.stderr.write(`${program}: warning: Mail system is down -- accessing queue directly (${why})\n`);
  return directListing(settings);
}

async function* directListing(settings: {
  queueDirectory: string;
  enableLongQueueIds: boolean;
}): AsyncGenerator<QueueListingEntry> {
  const store = await QueueStore.open(settings, { create: false });
  try {
    yield* listQueue(store);
  } finally {
    await store.close();
  }
}
