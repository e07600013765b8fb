// postsuper(1): queue maintenance by the administrator.
//   -d ID|ALL|-  delete           (default queues: hold incoming active deferred)
//   -h ID|ALL|-  put on hold      (default queues: incoming active deferred)
//   -H ID|ALL|-  release hold     (hold -> deferred)
//   -r ID|ALL|-  requeue          (-> maildrop: pickup/cleanup process it again)
//   -e ID|ALL|-  force expiry;  -f the same, and release from hold
//   -p purge stale temporary files;  -s structure check (also done when no option is given)
// Per-message lines ("postsuper: ID: removed") are printed only for explicitly named IDs and
// a summary per operation ("postsuper: Deleted: 1 message"), on stderr and in the mail log,
// with Postfix 3.7's wording. Fatal errors exit 1.
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { MailLog } from '../log/maillog.js';
import {
  isQueueName,
  POSTSUPER_DEFAULT_QUEUES,
  queuePath,
  TMP_DIR,
  type QueueName,
} from '../queue/layout.js';
import { isQueueId, isSegmentMadeId, queueIdForInode } from '../queue/queue-id.js';
import { QueueStore } from '../queue/queue-store.js';
import { sendTrigger, triggerSocketPath } from '../master/trigger.js';
import { getopt, UsageError } from './getopt.js';
import { ConfigFileError, readQueueToolSettings } from './queue-tool-config.js';
import { configDirectoryFrom, type ToolIO } from './tool-io.js';

const USAGE =
  'usage: postsuper [-c config_dir] [-d queue_id (delete)] [-e queue_id (expire)] [-f queue_id (expire and/or un-hold)] ' +
  '[-h queue_id (hold)] [-H queue_id (un-hold)] [-p (purge temporary files)] [-r queue_id (requeue)] ' +
  '[-s (structure fix)] [-S (redundant structure fix)][-v (verbose)] [queue...]';

/** Temporary files younger than this may belong to a commit in progress (postsuper -p). */
const STALE_TEMP_MS = 3600_000;

type Op = 'd' | 'h' | 'H' | 'r' | 'e' | 'f';

const DEFAULT_QUEUES: Record<Op, readonly QueueName[]> = {
  d: POSTSUPER_DEFAULT_QUEUES,
  r: POSTSUPER_DEFAULT_QUEUES,
  e: POSTSUPER_DEFAULT_QUEUES,
  f: POSTSUPER_DEFAULT_QUEUES,
  h: ['incoming', 'active', 'deferred'],
  H: ['hold'],
};

const plural = (n: number): string => `${n} message${n === 1 ? '' : 's'}`;

export async function postsuperMain(argv: string[], io: ToolIO): Promise<number> {
  const fatal = (text: string): number => {
    io.stderr.write(`postsuper: fatal: ${text}\n`);
    return 1;
  };
  let parsed;
  try {
    parsed = getopt(argv, 'c:d:e:f:h:H:pr:sSv');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`postsuper: ${err.message}\n`);
    return fatal(USAGE);
  }
  let configOption: string | undefined;
  const requests: { op: Op; id: string }[] = [];
  let purge = false;
  let structure = false;
  for (const o of parsed.options) {
    if (o.flag === 'c') {
      if (!o.value!.startsWith('/')) return fatal('-c requires absolute pathname');
      configOption = o.value;
    } else if (o.flag === 'p') purge = true;
    else if (o.flag === 's' || o.flag === 'S') structure = true;
    else if (o.flag !== 'v') requests.push({ op: o.flag as Op, id: o.value! });
  }
  for (const q of parsed.operands) if (!isQueueName(q)) return fatal(`invalid directory name: ${q}`);
  const namedQueues = parsed.operands as QueueName[];
  if (requests.length === 0 && !purge) structure = true;

  let settings;
  try {
    settings = await readQueueToolSettings(configDirectoryFrom(configOption, io.env));
  } catch (err) {
    if (err instanceof ConfigFileError) return fatal(err.message);
    throw err;
  }
  const log = new MailLog({
    ...(settings.maillogFile ? { file: settings.maillogFile } : { file: '/dev/null' }),
    syslogName: settings.syslogName,
  });
  const say = (text: string): void => {
    io.stderr.write(`postsuper: ${text}\n`);
    log.info('postsuper', text);
  };

  // "-" reads queue IDs from standard input, one per line (e.g. from mailq | awk ...).
  let stdinIds: string[] | undefined;
  const expand = async (id: string): Promise<string[] | 'ALL'> => {
    if (id === 'ALL') return 'ALL';
    if (id !== '-') return [id];
    if (!stdinIds) {
      let text = '';
      for await (const chunk of io.stdin) text += String(chunk);
      stdinIds = text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    }
    return stdinIds;
  };

  const store = await QueueStore.open(settings);
  try {
    if (structure) await structureCheck(store, settings.enableLongQueueIds, say);
    if (purge) await purgeTemp(store);

    const counts = { d: 0, e: 0, h: 0, H: 0, r: 0 };
    const asked = new Set<Op>();
    // Postfix's order: delete, then expire, hold, release, requeue.
    const order: Op[] = ['d', 'e', 'f', 'h', 'H', 'r'];
    for (const op of order) {
      for (const req of requests.filter((r) => r.op === op)) {
        asked.add(op);
        const queues = namedQueues.length > 0 ? namedQueues : DEFAULT_QUEUES[op];
        const ids = await expand(req.id);
        const targets: { id: string; queue: QueueName; explicit: boolean }[] = [];
        if (ids === 'ALL') {
          for (const q of queues)
            for (const id of await store.list(q)) targets.push({ id, queue: q, explicit: false });
        } else {
          for (const id of ids) {
            const q = await store.locate(id, queues);
            if (q) targets.push({ id, queue: q, explicit: true });
          }
        }
        for (const t of targets) {
          const note = (text: string): void => {
            if (t.explicit) say(`${t.id}: ${text}`);
          };
          switch (op) {
            case 'd':
              if (await store.remove(t.queue, t.id)) {
                counts.d++;
                note('removed');
              }
              break;
            case 'e':
            case 'f':
              await store.markExpired(t.queue, t.id);
              counts.e++;
              note('expired');
              if (op === 'f' && t.queue === 'hold' && (await store.move(t.id, 'hold', 'deferred'))) {
                counts.H++;
                note('released from hold');
              }
              break;
            case 'h':
              if (t.queue !== 'hold' && (await store.move(t.id, t.queue, 'hold'))) {
                counts.h++;
                note('placed on hold');
              }
              break;
            case 'H':
              if (t.queue === 'hold' && (await store.move(t.id, 'hold', 'deferred'))) {
                counts.H++;
                note('released from hold');
              }
              break;
            case 'r':
              if (t.queue !== 'maildrop' && (await store.move(t.id, t.queue, 'maildrop'))) {
                counts.r++;
                note('requeued');
              }
              break;
          }
        }
      }
    }
    if (asked.has('d')) say(`Deleted: ${plural(counts.d)}`);
    if (asked.has('e') || asked.has('f')) say(`Force-expired: ${plural(counts.e)}`);
    if (asked.has('h')) say(`Placed on hold: ${plural(counts.h)}`);
    if (asked.has('H') || (asked.has('f') && counts.H > 0)) say(`Released from hold: ${plural(counts.H)}`);
    if (asked.has('r')) say(`Requeued: ${plural(counts.r)}`);
    // Postfix leaves requeued mail for pickup's next wake-up (up to 60 s); a running Outpost
    // is told at once. Nobody listening (the daemon is down) is fine: pickup runs at start.
    if (counts.r > 0) await sendTrigger(triggerSocketPath(settings.queueDirectory), 'pickup', 2000);
    return 0;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code) return fatal(e.message);
    throw err;
  } finally {
    await store.close();
  }
}

/** postsuper -p: remove temporary files an interrupted commit left behind (older than an hour). */
async function purgeTemp(store: QueueStore): Promise<number> {
  const dir = queuePath(store.directory, TMP_DIR);
  let n = 0;
  for (const name of await readdir(dir)) {
    const st = await stat(`${dir}/${name}`).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) {
      await rm(`${dir}/${name}`, { force: true });
      n++;
    }
  }
  return n;
}

/**
 * postsuper -s: make every queue file name match its inode number (after a restore from
 * backup the inodes differ, and IDs would no longer be unique), and recreate missing
 * directories (QueueStore.open did that).
 */
async function structureCheck(store: QueueStore, longIds: boolean, say: (t: string) => void): Promise<void> {
  let renamed = 0;
  for (const q of ['incoming', 'active', 'deferred', 'hold'] as QueueName[]) {
    for (const id of await store.list(q)) {
      // IDs made for segment messages (queue-store.ts) are unique without an inode behind them.
      if (isSegmentMadeId(id)) continue;
      const st = await stat(store.path(q, id), { bigint: true }).catch(() => undefined);
      if (!st) continue;
      const want = queueIdForInode(id, st.ino, longIds);
      if (!want || want === id || isQueueId(want) === false) continue;
      await rename(store.path(q, id), store.path(q, want));
      await store.syncer(q).sync();
      renamed++;
    }
  }
  if (renamed > 0) say(`Renamed to match inode number: ${plural(renamed)}`);
}
