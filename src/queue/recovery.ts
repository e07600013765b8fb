// Start-up recovery: "look at the directories" (Postfix's design).
//  - tmp/: files of commits that never finished. Nothing there was acknowledged (commit()
//    resolves only after the rename into incoming is fsync'd), so they are deleted.
//  - active/: messages the previous run was delivering. Postfix's qmgr moves them back to
//    incoming at start-up; so do we. Recipients already marked sent are not sent again
//    because their status records are in the file.
//  - queue segments: empty ones are deleted, and a message found both in a segment and in a
//    queue file (a move interrupted by a crash) keeps only the file (QueueStore.recoverSegments);
//  - every message in incoming/deferred/hold is parsed; one that does not parse (truncated,
//    garbage, foreign) is moved to corrupt/ with a warning, never delivered or deleted.
import { readdir, rm } from 'node:fs/promises';
import type { MailLog } from '../log/maillog.js';
import { queuePath, TMP_DIR, type QueueName } from './layout.js';
import { CorruptQueueFileError } from './queue-file.js';
import { QueueStore } from './queue-store.js';
import { isQueueId } from './queue-id.js';

export interface RecoveryReport {
  removedTemp: number;
  /** Queue segments deleted because no message was left in them. */
  removedSegments: number;
  reactivated: string[];
  corrupt: { id: string; queue: QueueName; detail: string }[];
}

const CHECKED_QUEUES: QueueName[] = ['incoming', 'deferred', 'hold'];

/** Run once before the daemon starts accepting or delivering mail. */
export async function recoverQueue(
  store: QueueStore,
  log?: MailLog,
  service = 'qmgr',
): Promise<RecoveryReport> {
  const report: RecoveryReport = { removedTemp: 0, removedSegments: 0, reactivated: [], corrupt: [] };
  const tmp = queuePath(store.directory, TMP_DIR);
  for (const name of await readdir(tmp)) {
    await rm(`${tmp}/${name}`, { force: true, recursive: true });
    report.removedTemp++;
  }
  if (report.removedTemp > 0) {
    log?.warn(
      service,
      `removed ${report.removedTemp} incomplete queue file(s) left by an interrupted commit`,
    );
  }
  const segments = await store.recoverSegments();
  report.removedSegments = segments.removed;
  for (const d of segments.damaged) {
    log?.warn(service, `queue segment ${d} is damaged; the messages after that point are not read`);
  }
  for (const id of segments.duplicates) {
    log?.warn(
      service,
      `${id}: kept the queue file and dropped its copy in a queue segment (interrupted move)`,
    );
  }
  for (const id of await store.list('active')) {
    if (await store.move(id, 'active', 'incoming')) report.reactivated.push(id);
  }
  // Old segments with only a few messages left: those go into queue files of their own.
  await store.compactSegments();
  for (const queue of CHECKED_QUEUES) {
    // Queue files (any name) and the messages in segments.
    const names = await readdir(queuePath(store.directory, queue));
    const seen = new Set(names);
    for (const id of await store.list(queue)) if (!seen.has(id)) names.push(id);
    for (const name of names) {
      let detail: string | undefined;
      if (!isQueueId(name)) detail = 'file name is not a queue ID';
      else {
        try {
          await store.read(queue, name);
        } catch (err) {
          if (!(err instanceof CorruptQueueFileError)) throw err;
          detail = err.detail;
        }
      }
      if (detail === undefined) continue;
      // Same wording as Postfix's qmgr when it gives up on a file.
      log?.warn(
        service,
        `saving corrupt file "${name}" from queue "${queue}" to queue "corrupt" (${detail})`,
      );
      await store.move(name, queue, 'corrupt');
      report.corrupt.push({ id: name, queue, detail });
    }
  }
  return report;
}
