// The queue as a state machine on disk: a message's state is the directory its file is in.
// Moving a message is a rename (atomic) followed by a group-committed directory fsync.
// Messages may also live in queue segments (segment-records.ts): many messages per file,
// their queue kept in the segment's state log. Every method here takes either kind; callers
// see queue IDs and queues only. A segment message that must go where segments do not
// (deferred, maildrop, corrupt) is copied out into a queue file of its own first.
import { open, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { close, constants, createReadStream, fstatSync, open as openCallback } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { DirectorySyncer } from './group-commit.js';
import { ensureQueueLayout, queuePath, QUEUE_NAMES, SEGMENT_DIR, TMP_DIR, type QueueName } from './layout.js';
import { isQueueId, isSegmentMadeId, makeQueueId } from './queue-id.js';
import {
  encodeExpireRecord,
  encodeStatusRecord,
  readQueueFile,
  readQueueImage,
  type QueueEnvelope,
  type QueueFileSummary,
  type RecipientStatus,
} from './queue-file.js';
import { QueueFileWriter } from './queue-writer.js';
import type { QueueSettings } from './settings.js';
import { SegmentIndex, newMoveTag, type Segment, type SegmentMessage } from './segment-index.js';
import { isSegmentQueue } from './segment-records.js';
import { SegmentWriter, StateAppender } from './segment-writer.js';
import { SegmentMessageWriter, type QueueMessageWriter } from './segment-message-writer.js';

let tempCounter = 0;
/** Compact a segment once its remaining messages fill less than 1/COMPACT_RATIO of it. */
const COMPACT_RATIO = 4;
const startTag = Date.now().toString(36);

export class QueueStore {
  private readonly syncers = new Map<string, DirectorySyncer>();

  /** See queue-writer.ts: on Linux the file fsync after the rename makes the rename durable. */
  private readonly renameNeedsDirectoryFsync: boolean;
  private readonly segments: SegmentIndex;
  private readonly stateLog: StateAppender;
  private readonly segmentWriter: SegmentWriter | undefined;
  /** The last refresh of the segment index, for refreshSegments()'s rate limit. */
  private refreshed: Promise<void> | undefined;

  private get maintainsSegments(): boolean {
    return this.settings.maintainSegments ?? this.settings.segmentCommit ?? false;
  }

  private constructor(readonly settings: QueueSettings) {
    this.renameNeedsDirectoryFsync = settings.directoryFsyncOnCommit ?? process.platform !== 'linux';
    const dir = join(settings.queueDirectory, SEGMENT_DIR);
    this.segments = new SegmentIndex(dir);
    this.stateLog = new StateAppender(this.segments);
    this.segmentWriter = settings.segmentCommit ? new SegmentWriter(dir, this.segments) : undefined;
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
  ): Promise<QueueMessageWriter> {
    if (this.segmentWriter && isSegmentQueue(queue)) {
      const pseudo = await this.segmentWriter.nextPseudoInode();
      const created = new Date();
      const id = makeQueueId(pseudo, this.settings.enableLongQueueIds);
      const full: QueueEnvelope = { ...envelope, arrivalTime: envelope.arrivalTime ?? created.getTime() };
      const writer = this.segmentWriter;
      return new SegmentMessageWriter(id, created, full, queue, writer, () =>
        this.createFile(full, queue, id, created),
      );
    }
    return this.createFile(envelope, queue);
  }

  /** A new queue file; `id` and `created` are given when a segment message spills over. */
  private async createFile(
    envelope: Omit<QueueEnvelope, 'arrivalTime'> & { arrivalTime?: number },
    queue: QueueName,
    givenId?: string,
    givenCreated?: Date,
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
      const created = givenCreated ?? new Date();
      const id = givenId ?? makeQueueId(st.ino, this.settings.enableLongQueueIds);
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
    const names = (await readdir(queuePath(this.directory, queue))).filter(isQueueId);
    if (!isSegmentQueue(queue)) return names;
    await this.refreshSegments();
    const inSegments = this.segments.list(queue);
    return inSegments.length ? [...names, ...inSegments] : names;
  }

  /**
   * Catch up with segment changes other processes made. Calls that arrive while one runs
   * share it; the daemon's own changes are in the index already.
   */
  private refreshSegments(): Promise<void> {
    if (!this.refreshed) {
      this.refreshed = this.segments.refresh().finally(() => (this.refreshed = undefined));
    }
    return this.refreshed;
  }

  /** The segment message `id` if it is in a segment and in `queue` now. */
  private async inSegment(queue: QueueName, id: string): Promise<SegmentMessage | undefined> {
    if (!isSegmentQueue(queue)) return undefined;
    let m = this.segments.get(id);
    // Not known yet: look again only for IDs made for segments (queue files made as files
    // carry a real, 32-bit inode number), so file operations cost no extra system calls.
    if (!m && isSegmentMadeId(id)) {
      await this.refreshSegments();
      m = this.segments.get(id);
    }
    return m && m.queue === queue ? m : undefined;
  }

  async read(queue: QueueName, id: string): Promise<QueueFileSummary> {
    const m = await this.inSegment(queue, id);
    if (m) return this.readSegmentMessage(m);
    return readQueueFile(this.path(queue, id));
  }

  private async readSegmentMessage(m: SegmentMessage): Promise<QueueFileSummary> {
    const fh = await open(m.segment.path, 'r');
    try {
      const s = await readQueueImage(fh, `${m.segment.path} (${m.id})`, m.offset, m.length);
      return { ...s, statuses: [...m.statuses], forcedExpire: m.expired };
    } finally {
      await fh.close();
    }
  }

  /** Which of `queues` holds the message, if any. */
  async locate(id: string, queues: readonly QueueName[] = QUEUE_NAMES): Promise<QueueName | undefined> {
    if (!isQueueId(id)) return undefined;
    await this.refreshSegments();
    const m = this.segments.get(id);
    if (m?.queue && queues.includes(m.queue)) return m.queue;
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
    const m = await this.inSegment(from, id);
    if (m) return isSegmentQueue(to) ? this.segmentMove(m, from, to) : this.copyOut(m, from, to);
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
    const m = await this.inSegment(queue, id);
    if (m) return this.segmentMove(m, queue, '-');
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
    const m = await this.inSegment(queue, id);
    if (m) {
      await this.stateLog.append(
        m.segment,
        statuses.map((status) => ({ kind: 'status', id, status })),
      );
      return;
    }
    await this.appendDurably(queue, id, statuses.map(encodeStatusRecord).join(''));
  }

  /** Mark a message force-expired (postsuper -e/-f): the scheduler bounces it on its next run. */
  async markExpired(queue: QueueName, id: string): Promise<void> {
    const m = await this.inSegment(queue, id);
    if (m) return this.stateLog.append(m.segment, [{ kind: 'expire', id }]);
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
    const m = await this.inSegment(queue, id);
    const s = m ? await this.readSegmentMessage(m) : await readQueueFile(this.path(queue, id));
    if (s.size === 0) return Readable.from([]);
    const base = m ? m.offset : 0;
    return createReadStream(m ? m.segment.path : this.path(queue, id), {
      start: base + s.contentOffset,
      end: base + s.contentOffset + s.size - 1,
    });
  }

  /** Deferred files carry their next retry time as mtime (as Postfix does). */
  async setRetryTime(queue: QueueName, id: string, when: Date): Promise<void> {
    await utimes(this.path(queue, id), new Date(), when);
  }

  /** A compare-and-set move in the segment's state log; false when another move won. */
  private async segmentMove(m: SegmentMessage, from: QueueName, to: QueueName | '-'): Promise<boolean> {
    const tag = newMoveTag();
    await this.stateLog.append(m.segment, [{ kind: 'move', id: m.id, from, to, tag }]);
    const won = this.segments.appliedTags.delete(tag);
    if (won && to === '-') await this.dropIfEmpty(m.segment);
    return won;
  }

  /**
   * Move a segment message where segments do not go: write it as a queue file of its own
   * (its image, then its status records), durable in `to`, and only then mark it gone from
   * the segment. If another process moved it first, the copy is deleted again. A crash in
   * between leaves both; recovery keeps the file (recoverSegments).
   */
  private async copyOut(m: SegmentMessage, from: QueueName, to: QueueName): Promise<boolean> {
    const image = Buffer.alloc(m.length);
    const src = await open(m.segment.path, 'r');
    let owner: { uid: number; gid: number };
    try {
      await src.read(image, 0, m.length, m.offset);
      owner = await src.stat();
    } finally {
      await src.close();
    }
    const trailer =
      m.statuses.map((st) => encodeStatusRecord(st)).join('') + (m.expired ? encodeExpireRecord() : '');
    const tmpPath = queuePath(this.directory, TMP_DIR, `${process.pid}.${++tempCounter}.${startTag}`);
    const fh = await open(tmpPath, 'wx', 0o600);
    try {
      await fh.writeFile(trailer ? Buffer.concat([image, Buffer.from(trailer)]) : image);
      // postsuper runs as root; the daemon (mail_owner) must still be able to read the file.
      if (process.getuid?.() === 0) await fh.chown(owner.uid, owner.gid);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const dest = this.path(to, m.id);
    await rename(tmpPath, dest);
    await this.syncer(to).sync();
    const statuses = m.statuses.length;
    const expired = m.expired;
    if (!(await this.segmentMove(m, from, '-'))) {
      await unlink(dest).catch(() => undefined);
      await this.syncer(to).sync();
      return false;
    }
    // Records another process appended while the copy was made came before our "gone" record,
    // so the index has them now: the copy gets them too.
    const late =
      m.statuses
        .slice(statuses)
        .map((st) => encodeStatusRecord(st))
        .join('') + (m.expired && !expired ? encodeExpireRecord() : '');
    if (late) await this.appendDurably(to, m.id, late);
    return true;
  }

  /**
   * The daemon, now and then: copy the messages left in a mostly emptied old segment out into
   * queue files of their own, so that a few held messages do not keep a 64 MiB segment.
   * Segments with a message being delivered are left for later.
   */
  async compactSegments(): Promise<number> {
    if (!this.maintainsSegments) return 0;
    await this.refreshSegments();
    let moved = 0;
    for (const seg of this.segments.all()) {
      if (seg === this.segmentWriter?.currentSegment || seg.damagedAt !== undefined) continue;
      const live = [...seg.messages.values()].filter((m) => m.queue === 'incoming' || m.queue === 'hold');
      if (live.length !== seg.alive) continue;
      const liveBytes = live.reduce((sum, m) => sum + m.length, 0);
      if (liveBytes * COMPACT_RATIO > seg.dataScanned) continue;
      for (const m of live) if (m.queue && (await this.copyOut(m, m.queue, m.queue))) moved++;
    }
    return moved;
  }

  /**
   * The daemon deletes a segment it no longer appends to once no message is left in it. A
   * damaged one is kept: its unreadable part may hold messages (recovery reports it).
   */
  private async dropIfEmpty(seg: Segment): Promise<boolean> {
    if (!this.maintainsSegments || seg.alive > 0 || seg.damagedAt !== undefined) return false;
    if (seg === this.segmentWriter?.currentSegment) return false;
    this.segments.forget(seg);
    this.stateLog.drop(seg);
    await unlink(seg.path).catch(() => undefined);
    await unlink(seg.statePath).catch(() => undefined);
    return true;
  }

  /**
   * Start-up work on segments (the daemon, before it accepts or delivers): delete segments
   * with no message left; where a message is both in a segment and in a queue file (a crash
   * during copyOut), keep the file; report segments with unreadable data.
   */
  async recoverSegments(): Promise<{ removed: number; duplicates: string[]; damaged: string[] }> {
    await this.refreshSegments();
    const files = new Set<string>();
    for (const q of QUEUE_NAMES) {
      for (const name of await readdir(queuePath(this.directory, q)).catch(() => [] as string[]))
        files.add(name);
    }
    const report = { removed: 0, duplicates: [] as string[], damaged: [] as string[] };
    for (const seg of this.segments.all()) {
      if (seg.damagedAt !== undefined) report.damaged.push(`${seg.path} at byte ${seg.damagedAt}`);
      for (const m of [...seg.messages.values()]) {
        if (m.queue && files.has(m.id) && (await this.segmentMove(m, m.queue, '-')))
          report.duplicates.push(m.id);
      }
      if (await this.dropIfEmpty(seg)) report.removed++;
    }
    return report;
  }

  async close(): Promise<void> {
    await this.segmentWriter?.seal();
    for (const s of this.syncers.values()) await s.close();
    this.syncers.clear();
  }
}

function openFile(path: string, mode: number): Promise<number> {
  return new Promise((resolve, reject) =>
    openCallback(path, 'wx', mode, (err, fd) => (err ? reject(err) : resolve(fd))),
  );
}
