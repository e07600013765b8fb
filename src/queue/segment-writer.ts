// Group commit into queue segments (segment-records.ts). Many sessions commit at once; each
// waits for the batch its message is in: one write(2) of the whole batch and one
// fdatasync(2), then every message in it is acknowledged. While a batch is on its way to
// the disk the next one collects, so an idle queue adds no delay and a busy one pays one
// fsync per batch instead of one file creation, rename and fsync per message.
import {
  close,
  constants,
  fdatasync,
  fstat,
  ftruncate,
  open,
  openSync,
  closeSync,
  fsyncSync,
  write,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { QueueName } from './layout.js';
import { writeAll } from './queue-writer.js';
import { SEGMENT_ID_MIN } from './queue-id.js';
import { Segment, SegmentIndex } from './segment-index.js';
import {
  encodeMessageHeader,
  encodeStateRecords,
  segmentName,
  SEGMENT_MAGIC,
  type StateRecord,
} from './segment-records.js';

const writeP = promisify(write);
const fdatasyncP = promisify(fdatasync);
const fstatP = promisify(fstat);
const openP = promisify(open);
const closeP = promisify(close);
const ftruncateP = promisify(ftruncate);

/** A segment grows to about this size; then the next message starts a new one. */
export const SEGMENT_MAX_BYTES = 64 * 1024 * 1024;

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Runs batches one at a time; work queued while one runs goes into the next. */
class Batcher<T> {
  private queue: { item: T; waiter: Waiter }[] = [];
  private busy = false;

  constructor(private readonly run: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, waiter: { resolve, reject } });
      if (!this.busy) void this.next();
    });
  }

  private async next(): Promise<void> {
    this.busy = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.run(batch.map((b) => b.item));
        for (const b of batch) b.waiter.resolve();
      } catch (err) {
        for (const b of batch) b.waiter.reject(err as Error);
      }
    }
    this.busy = false;
  }
}

interface PendingMessage {
  id: string;
  queue: QueueName;
  image: Buffer[];
  length: number;
}

/** The daemon's side: appends new messages to its current segment. */
export class SegmentWriter {
  private current: { seg: Segment; fd: number; size: number; inode: bigint } | undefined;
  private opening: Promise<void> | undefined;
  private readonly batcher = new Batcher<PendingMessage>((items) => this.writeBatch(items));
  private sequence = 0;

  constructor(
    private readonly directory: string,
    private readonly index: SegmentIndex,
  ) {}

  /** The segment being appended to (created on first use). */
  async ready(): Promise<Segment> {
    if (!this.current) {
      this.opening ??= this.startSegment().finally(() => (this.opening = undefined));
      await this.opening;
    }
    return this.current!.seg;
  }

  /**
   * A number that stands in for the inode in a segment message's queue ID: the segment's
   * inode times 2^32 plus a counter. Real inode numbers (32 bits on ext4) stay below 2^32,
   * so these never equal a queue file's, and two live segments never share an inode.
   */
  async nextPseudoInode(): Promise<bigint> {
    await this.ready();
    this.sequence = (this.sequence + 1) % 0x1_0000_0000;
    return this.current!.inode * SEGMENT_ID_MIN + BigInt(this.sequence);
  }

  /** Resolves once the message is on disk and indexed. */
  append(id: string, queue: QueueName, image: Buffer[]): Promise<void> {
    const length = image.reduce((n, b) => n + b.length, 0);
    return this.batcher.add({ id, queue, image, length });
  }

  private async writeBatch(items: PendingMessage[]): Promise<void> {
    await this.ready();
    const bytes = items.reduce((n, m) => n + m.length, 0);
    if (this.current!.size > SEGMENT_MAX_BYTES - bytes && this.current!.size > SEGMENT_MAGIC.length) {
      await this.seal();
      await this.ready();
    }
    const cur = this.current!;
    const parts: Buffer[] = [];
    const offsets: number[] = [];
    let pos = cur.size;
    for (const m of items) {
      const header = Buffer.from(encodeMessageHeader(m.id, m.queue, m.length), 'latin1');
      parts.push(header, ...m.image);
      pos += header.length;
      offsets.push(pos);
      pos += m.length;
    }
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    try {
      await writeAll(cur.fd, data, cur.size);
      await fdatasyncP(cur.fd);
    } catch (err) {
      // Disk full or an I/O error: every message of the batch gets a temporary error reply.
      // Their bytes must not come back at the next start as messages nobody acknowledged, so
      // they are cut off (best effort), and the segment is given up.
      await ftruncateP(cur.fd, cur.size).catch(() => undefined);
      await fdatasyncP(cur.fd).catch(() => undefined);
      await this.seal();
      throw err;
    }
    cur.size += data.length;
    cur.seg.dataScanned = cur.size;
    items.forEach((m, i) =>
      this.index.addMessage(cur.seg, { id: m.id, queue: m.queue, length: m.length }, offsets[i]!),
    );
  }

  private async startSegment(): Promise<void> {
    let name = segmentName();
    // Two segments of one process in the same millisecond (tests): the next free name.
    for (let t = Date.now() + 1; this.index.all().some((s) => s.name === name); t++) name = segmentName(t);
    const path = join(this.directory, name);
    const real = new Segment(name, path);
    // Both files exist and are durable before the first message goes in: the state log
    // first, so a segment with messages always has one.
    createDurably(real.statePath, '');
    createDurably(path, SEGMENT_MAGIC);
    syncDirectory(this.directory);
    const fd = await openP(path, 'r+');
    const st = await fstatP(fd, { bigint: true });
    real.dataScanned = SEGMENT_MAGIC.length;
    this.index.adopt(real);
    this.current = { seg: real, fd, size: SEGMENT_MAGIC.length, inode: st.ino };
  }

  /** Stop appending to the current segment; the next message starts a new one. */
  async seal(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    if (!cur) return;
    cur.seg.ownWriter = false;
    await closeP(cur.fd);
  }

  /** The segment now being appended to (never deleted while it is). */
  get currentSegment(): Segment | undefined {
    return this.current?.seg;
  }
}

function createDurably(path: string, text: string): void {
  // Synchronous: once per segment (every 64 MiB), and the directory fsync must follow.
  const fd = openSync(path, 'wx', 0o600);
  try {
    if (text) writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Any process's side: appends state records to segments' logs, one batch per log. */
export class StateAppender {
  private readonly batchers = new Map<Segment, Batcher<StateRecord[]>>();

  constructor(private readonly index: SegmentIndex) {}

  /** Durable, and replayed into the index (so move outcomes are known), when it resolves. */
  append(seg: Segment, records: StateRecord[]): Promise<void> {
    let b = this.batchers.get(seg);
    if (!b) {
      b = new Batcher<StateRecord[]>((items) => this.writeBatch(seg, items.flat()));
      this.batchers.set(seg, b);
    }
    return b.add(records);
  }

  private async writeBatch(seg: Segment, records: StateRecord[]): Promise<void> {
    // O_APPEND: the daemon and queue tools may append at the same time; each write(2) lands
    // whole at the end of the file.
    // No O_CREAT: a log whose segment was deleted meanwhile must not come back on its own.
    const fd = await openP(seg.statePath, constants.O_WRONLY | constants.O_APPEND);
    try {
      const data = encodeStateRecords(records);
      const { bytesWritten } = await writeP(fd, data, 0, data.length, null);
      if (bytesWritten !== data.length) throw new Error(`${seg.statePath}: short write`);
      await fdatasyncP(fd);
    } finally {
      await closeP(fd);
    }
    await this.index.scanState(seg);
  }

  /** Forget a deleted segment's batcher. */
  drop(seg: Segment): void {
    this.batchers.delete(seg);
  }
}
