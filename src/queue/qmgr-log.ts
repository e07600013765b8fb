// qmgr's hand-over to the active queue, with its Postfix log line:
//   "3F2A1B2C3D: from=<alice@example.com>, size=1234, nrcpt=1 (queue active)"
// size is the message content size; nrcpt counts the recipients still to be delivered.
import type { MailLog } from '../log/maillog.js';
import type { QueueName } from './layout.js';
import { pendingRecipients, type QueueFileSummary } from './queue-file.js';
import type { QueueStore } from './queue-store.js';

export function queueActiveLogText(id: string, summary: QueueFileSummary): string {
  return `${id}: from=<${summary.envelope.sender}>, size=${summary.size}, nrcpt=${pendingRecipients(summary).length} (queue active)`;
}

export function logQueueActive(log: MailLog, id: string, summary: QueueFileSummary, service = 'qmgr'): void {
  log.info(service, queueActiveLogText(id, summary));
}

/**
 * Move a message from incoming (or deferred) to active, log the qmgr line, and return what
 * the scheduler needs. Undefined when the file vanished (postsuper -d raced us).
 */
export async function activateMessage(
  store: QueueStore,
  id: string,
  from: QueueName = 'incoming',
  log?: MailLog,
): Promise<QueueFileSummary | undefined> {
  if (!(await store.move(id, from, 'active'))) return undefined;
  const summary = await store.read('active', id);
  if (log) logQueueActive(log, id, summary);
  return summary;
}

/** A message is done (every recipient final): delete it and log qmgr's "ID: removed". */
export async function removeFinishedMessage(
  store: QueueStore,
  queue: QueueName,
  id: string,
  log?: MailLog,
): Promise<boolean> {
  const removed = await store.remove(queue, id);
  if (removed) log?.info('qmgr', `${id}: removed`);
  return removed;
}
