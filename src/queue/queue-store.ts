// The queue as a state machine on disk: a message's state is the directory its file is in.
// Moving a message is a rename (atomic) followed by a group-committed directory fsync.
import { open, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { close, constants, createReadStream, fstatSync, open as openCallback } from 'node:fs';
import { Readable } from 'node:stream';
import { DirectorySyncer } from './group-commit.js';
import { ensureQueueLayout, queuePath, QUEUE_NAMES, TMP_DIR, type QueueName } from './layout.js';
import { isQueueId, makeQueueId } from './queue-id.js';
import {
  encodeExpireRecord,
  encodeStatusRecord,
  readQueueFile,
  type QueueEnvelope,
  type QueueFileSummary,
  type RecipientStatus,
} from './queue-file.js';
import { QueueFileWriter } from './queue-writer.js';
import type { QueueSettings } from './settings.js';

let tempCounter = 0;
const startTag = Date.now().toString(36);

export class QueueStore {
  private readonly syncers = new Map<string, DirectorySyncer>();

  /** See queue-writer.ts: on Linux the file fsync after the rename makes the rename durable. */
  private readonly renameNeedsDirectoryFsync: boolean;

  private constructor(readonly settings: QueueSettings) {
    this.renameNeedsDirectoryFsync = settings.directoryFsyncOnCommit ?? process.platform !== 'linux';
  }

  /** Open the queue directory tree; creates missing directories unless create is false. */
  static async open(settings: QueueSettings, options: { create?: boolean } = {}): Promise<QueueStore> {
    if (options.create !== false) await ensureQueueLayout(settings.queueDirectory);
    return new QueueStore(settings);
  }

  get directory(): string {
    return this.settings.queueDirectory;
  }

  path(queue: QueueName, id: string): string {
    return queuePath(this.directory, queue, id);
  }

  /** The group-commit fsync helper for one directory (shared by all writers and moves). */
  syncer(queue: QueueName): DirectorySyncer {
    let s = this.syncers.get(queue);
    if (!s) {
      // maildrop is 1730: a postdrop member may add files but not open the directory to
      // fsync it; the file itself was fsync'd (Postfix's postdrop has the same limit).
      s = new DirectorySyncer(queuePath(this.directory, queue), queue === 'maildrop');
      this.syncers.set(queue, s);
    }
    return s;
  }

  /**
   * Start a new message that lands in `queue` (normally incoming; maildrop for postsuper -r).
   * The queue ID exists from here on, so receivers can log "ID: client=..." before the data.
   */
  async create(
    envelope: Omit<QueueEnvelope, 'arrivalTime'> & { arrivalTime?: number },
    queue: QueueName = 'incoming',
  ): Promise<QueueFileWriter> {
    // pid + counter is unique within this run; the time part keeps a later process with the
    // same pid from colliding with an abandoned file (recovery empties tmp/ anyway).
    const tmpName = `${process.pid}.${++tempCounter}.${startTag}`;
    // Local submissions (sendmail, as any user in setgid_group) may write only into maildrop
    // (1730), so their temporary file is a dot name there, which pickup and list() skip.
    // 0644: pickup runs as mail_owner and must read files owned by the submitting user; the
    // 1730 directory keeps other users from listing or opening them.
    const submission = queue === 'maildrop';
    const tmpPath = submission
      ? queuePath(this.directory, 'maildrop', `.t${tmpName}`)
      : queuePath(this.directory, TMP_DIR, tmpName);
    // The create goes to the thread pool (it takes the directory lock, which a concurrent
    // commit may hold); the fstat only reads the open inode (no I/O), so it is made directly.
    const fd = await openFile(tmpPath, submission ? 0o644 : 0o600);
    try {
      const st = fstatSync(fd, { bigint: true });
      const created = new Date();
      const id = makeQueueId(st.ino, this.settings.enableLongQueueIds);
      const full: QueueEnvelope = { ...envelope, arrivalTime: envelope.arrivalTime ?? created.getTime() };
      const syncer = this.renameNeedsDirectoryFsync ? this.syncer(queue) : undefined;
      return new QueueFileWriter(id, created, fd, tmpPath, this.path(queue, id), full, syncer);
    } catch (err) {
      await new Promise((resolve) => close(fd, resolve));
      await unlink(tmpPath).catch(() => undefined);
      throw err;
    }
  }

  /** Queue IDs in one queue, in directory order (like Postfix's scan). Other names are skipped. */
  async list(queue: QueueName): Promise<string[]> {
    const names = await readdir(queuePath(this.directory, queue));
    return names.filter(isQueueId);
  }

  read(queue: QueueName, id: string): Promise<QueueFileSummary> {
    return readQueueFile(this.path(queue, id));
  }

  /** Which of `queues` holds the message, if any. */
  async locate(id: string, queues: readonly QueueName[] = QUEUE_NAMES): Promise<QueueName | undefined> {
    if (!isQueueId(id)) return undefined;
    for (const q of queues) {
      try {
        await stat(this.path(q, id));
        return q;
      } catch {
        // not in this queue
      }
    }
    return undefined;
  }

  /** Move a message between states; durable when the promise resolves. False if it was gone. */
  async move(id: string, from: QueueName, to: QueueName): Promise<boolean> {
    try {
      await rename(this.path(from, id), this.path(to, id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await this.syncer(to).sync();
    return true;
  }

  /** Delete a message; durable when the promise resolves. False if it was gone. */
  async remove(queue: QueueName, id: string): Promise<boolean> {
    try {
      await unlink(this.path(queue, id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await this.syncer(queue).sync();
    return true;
  }

  /** Append recipient status records (delivery results) and make them durable. */
  async recordStatus(queue: QueueName, id: string, statuses: RecipientStatus[]): Promise<void> {
    await this.appendDurably(queue, id, statuses.map(encodeStatusRecord).join(''));
  }

  /** Mark a message force-expired (postsuper -e/-f): the scheduler bounces it on its next run. */
  async markExpired(queue: QueueName, id: string): Promise<void> {
    await this.appendDurably(queue, id, encodeExpireRecord());
  }

  private async appendDurably(queue: QueueName, id: string, text: string): Promise<void> {
    // O_APPEND without O_CREAT: if postsuper -d removed the message meanwhile, fail with
    // ENOENT instead of creating a file that holds only status records.
    const fh = await open(this.path(queue, id), constants.O_WRONLY | constants.O_APPEND);
    try {
      await fh.write(text);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** The message content (header + body) as a stream, for delivery agents. */
  async openContent(queue: QueueName, id: string): Promise<Readable> {
    const s = await this.read(queue, id);
    if (s.size === 0) return Readable.from([]);
    return createReadStream(this.path(queue, id), {
      start: s.contentOffset,
      end: s.contentOffset + s.size - 1,
    });
  }

  /** Deferred files carry their next retry time as mtime (as Postfix does). */
  async setRetryTime(queue: QueueName, id: string, when: Date): Promise<void> {
    await utimes(this.path(queue, id), new Date(), when);
  }

  async close(): Promise<void> {
    for (const s of this.syncers.values()) await s.close();
    this.syncers.clear();
  }
}

function openFile(path: string, mode: number): Promise<number> {
  return new Promise((resolve, reject) =>
    openCallback(path, 'wx', mode, (err, fd) => (err ? reject(err) : resolve(fd))),
  );
}
