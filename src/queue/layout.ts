// The queue directory tree. A message's state is the directory its file is in (Postfix's
// design): maildrop -> incoming -> active -> deferred / hold, and corrupt for files that fail
// to parse. "tmp" holds files whose commit has not finished; nothing there is acknowledged,
// so recovery deletes it. "public" holds the flush socket that postqueue talks to.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export const QUEUE_NAMES = ['maildrop', 'incoming', 'active', 'deferred', 'hold', 'corrupt'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** postqueue -p scan order (showq: maildrop, incoming, active, deferred, hold). */
export const SHOWQ_ORDER: readonly QueueName[] = ['maildrop', 'incoming', 'active', 'deferred', 'hold'];
/** postsuper's default queues for -d/-r/-e/-f and -h (Postfix: hold, incoming, active, deferred). */
export const POSTSUPER_DEFAULT_QUEUES: readonly QueueName[] = ['hold', 'incoming', 'active', 'deferred'];

export const TMP_DIR = 'tmp';
/** Queue segments: many messages per file (segment-records.ts). */
export const SEGMENT_DIR = 'segment';
export const PUBLIC_DIR = 'public';

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

export function queuePath(queueDirectory: string, queue: QueueName | typeof TMP_DIR, id?: string): string {
  return id === undefined ? join(queueDirectory, queue) : join(queueDirectory, queue, id);
}

/** Create any missing directory (mode 0700; public 0711 so local users can reach the socket). */
export async function ensureQueueLayout(queueDirectory: string): Promise<void> {
  await mkdir(queueDirectory, { recursive: true, mode: 0o755 });
  for (const name of [...QUEUE_NAMES, TMP_DIR, SEGMENT_DIR]) {
    await mkdir(join(queueDirectory, name), { recursive: true, mode: 0o700 });
  }
  await mkdir(join(queueDirectory, PUBLIC_DIR), { recursive: true, mode: 0o711 });
}
