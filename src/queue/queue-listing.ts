// What postqueue -p / -j show, read straight from the queue directories (Outpost has no
// separate showq daemon). Order as Postfix's showq: maildrop, incoming, active, deferred,
// hold; within a queue, directory order. Recipients: those with a delay reason first (in the
// order they were deferred, like showq reading the defer log), then the other undelivered ones.
import { SHOWQ_ORDER, type QueueName } from './layout.js';
import { CorruptQueueFileError, latestStatuses, pendingRecipients } from './queue-file.js';
import type { QueueStore } from './queue-store.js';

export interface QueueListingEntry {
  queueName: QueueName;
  queueId: string;
  /** Seconds since the epoch. */
  arrivalTime: number;
  messageSize: number;
  forcedExpire: boolean;
  /** Envelope sender; "" for the null sender (formatters show empty_address_recipient). */
  sender: string;
  recipients: { address: string; reason: string }[];
}

export async function* listQueue(
  store: QueueStore,
  queues: readonly QueueName[] = SHOWQ_ORDER,
): AsyncGenerator<QueueListingEntry> {
  for (const queueName of queues) {
    for (const queueId of await store.list(queueName)) {
      let summary;
      try {
        summary = await store.read(queueName, queueId);
      } catch (err) {
        // Gone meanwhile (delivered, deleted) or not ours to show: skip it as showq does.
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || err instanceof CorruptQueueFileError) continue;
        throw err;
      }
      const latest = latestStatuses(summary.statuses);
      const pending = pendingRecipients(summary);
      const withReason = pending
        .filter((i) => latest.get(i)?.reason)
        .sort((a, b) => latest.get(a)!.time - latest.get(b)!.time);
      const without = pending.filter((i) => !latest.get(i)?.reason);
      yield {
        queueName,
        queueId,
        arrivalTime: Math.floor(summary.envelope.arrivalTime / 1000),
        messageSize: summary.size,
        forcedExpire: summary.forcedExpire,
        sender: summary.envelope.sender,
        recipients: [...withReason, ...without].map((i) => ({
          address: summary.envelope.recipients[i]!.address,
          reason: latest.get(i)?.reason ?? '',
        })),
      };
    }
  }
}
