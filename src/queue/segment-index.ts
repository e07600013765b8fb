// What one process knows of the queue segments (segment-records.ts): which messages each
// holds, where their bytes are, and which queue each is in now. Built by reading the
// segment files and replaying their state logs; refresh() reads only what was appended
// since the last call, so the daemon can call it on every queue scan.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { QueueName } from './layout.js';
import type { RecipientStatus } from './queue-file.js';
import {
  isSegmentName,
  parseMessageHeader,
  parseStateLine,
  SEGMENT_MAGIC,
  STATE_SUFFIX,
  type MessageHeader,
  type StateRecord,
} from './segment-records.js';

export interface SegmentMessage {
  id: string;
  segment: Segment;
  /** Where the message's queue-file image starts in the segment file, and its length. */
  offset: number;
  length: number;
  /** Its queue now; undefined once it left the segment. */
  queue: QueueName | undefined;
  statuses: RecipientStatus[];
  expired: boolean;
}

export class Segment {
  readonly messages = new Map<string, SegmentMessage>();
  /** Data records are indexed up to here. */
  dataScanned = 0;
  /** State log lines are applied up to here (always just after a "\n"). */
  stateScanned = 0;
  /** Messages still in the segment. */
  alive = 0;
  /** Set by the process appending messages: it indexes them itself, after they are durable. */
  ownWriter = false;
  /** First byte of data that could not be parsed (a damaged segment), for recovery's warning. */
  damagedAt: number | undefined;

  constructor(
    readonly name: string,
    readonly path: string,
  ) {}

  get statePath(): string {
    return this.path + STATE_SUFFIX;
  }
}

const CHUNK = 1 << 20;
// pid plus a random part: an old log may hold tags of an earlier process with the same pid.
const TAG_PREFIX = `${process.pid}-${randomBytes(4).toString('hex')}.`;
let tagCounter = 0;

/** A fresh tag for one move record of this process. */
export function newMoveTag(): string {
  return TAG_PREFIX + (++tagCounter).toString(36);
}
const MAX_HEADER = 512;

export class SegmentIndex {
  private readonly segments = new Map<string, Segment>();
  private readonly byId = new Map<string, SegmentMessage>();
  private readonly byQueue = new Map<QueueName, Set<SegmentMessage>>();
  /** Tags of moves that took effect; a writer takes its own tag out to learn the outcome. */
  readonly appliedTags = new Set<string>();

  constructor(readonly directory: string) {}

  /** Pick up new segments, new messages and new state records; forget deleted segments. */
  async refresh(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.directory)).filter(isSegmentName).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw err;
    }
    const present = new Set(names);
    for (const seg of [...this.segments.values()]) if (!present.has(seg.name)) this.forget(seg);
    for (const name of names) {
      let seg = this.segments.get(name);
      if (!seg) {
        seg = new Segment(name, join(this.directory, name));
        this.segments.set(name, seg);
      }
      await this.scanState(seg);
    }
  }

  /** Register a segment this process just created (so refresh does not scan its data). */
  adopt(seg: Segment): void {
    seg.ownWriter = true;
    this.segments.set(seg.name, seg);
  }

  all(): Segment[] {
    return [...this.segments.values()];
  }

  get(id: string): SegmentMessage | undefined {
    return this.byId.get(id);
  }

  /** The IDs in one queue, oldest first. */
  list(queue: QueueName): string[] {
    return [...(this.byQueue.get(queue) ?? [])].map((m) => m.id);
  }

  /** Index a message appended by this process (ownWriter segments). */
  addMessage(seg: Segment, header: MessageHeader, offset: number): SegmentMessage {
    const m: SegmentMessage = {
      id: header.id,
      segment: seg,
      offset,
      length: header.length,
      queue: undefined,
      statuses: [],
      expired: false,
    };
    seg.messages.set(m.id, m);
    this.byId.set(m.id, m);
    this.setQueue(m, header.queue);
    return m;
  }

  private setQueue(m: SegmentMessage, queue: QueueName | undefined): void {
    if (m.queue) {
      this.byQueue.get(m.queue)?.delete(m);
      m.segment.alive--;
    }
    m.queue = queue;
    if (queue) {
      let set = this.byQueue.get(queue);
      if (!set) this.byQueue.set(queue, (set = new Set()));
      set.add(m);
      m.segment.alive++;
    }
  }

  forget(seg: Segment): void {
    for (const m of seg.messages.values()) {
      if (m.queue) this.byQueue.get(m.queue)?.delete(m);
      this.byId.delete(m.id);
    }
    this.segments.delete(seg.name);
  }

  /** Index the message records appended since the last scan (other processes' segments). */
  async scanData(seg: Segment): Promise<void> {
    if (seg.ownWriter || seg.damagedAt !== undefined) return;
    const fh = await open(seg.path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!fh) return;
    try {
      const size = (await fh.stat()).size;
      if (seg.dataScanned === 0) {
        if (size < SEGMENT_MAGIC.length) return;
        const magic = Buffer.alloc(SEGMENT_MAGIC.length);
        await fh.read(magic, 0, magic.length, 0);
        if (magic.toString('latin1') !== SEGMENT_MAGIC) {
          seg.damagedAt = 0;
          return;
        }
        seg.dataScanned = SEGMENT_MAGIC.length;
      }
      let buf = Buffer.alloc(0);
      let bufStart = seg.dataScanned;
      while (seg.dataScanned < size) {
        const pos = seg.dataScanned;
        if (pos + MAX_HEADER > bufStart + buf.length && bufStart + buf.length < size) {
          buf = Buffer.alloc(Math.min(CHUNK, size - pos));
          bufStart = pos;
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          buf = buf.subarray(0, bytesRead);
        }
        const nl = buf.indexOf(10, pos - bufStart);
        if (nl < 0 || nl - (pos - bufStart) > MAX_HEADER) {
          // A header still being written, or not a header at all.
          if (size - pos > MAX_HEADER) seg.damagedAt = pos;
          return;
        }
        const header = parseMessageHeader(buf.toString('latin1', pos - bufStart, nl));
        if (!header || this.byId.has(header.id)) {
          seg.damagedAt = pos;
          return;
        }
        const imageStart = bufStart + nl + 1;
        if (imageStart + header.length > size) return; // cut short: never acknowledged
        this.addMessage(seg, header, imageStart);
        seg.dataScanned = imageStart + header.length;
      }
    } finally {
      await fh.close();
    }
  }

  /**
   * Apply the state records appended since the last scan. The new state bytes are read
   * before the data: a message is durable in its segment before any record can name it, so
   * the data read after the state covers every message those records name.
   */
  async scanState(seg: Segment): Promise<void> {
    const fh = await open(seg.statePath, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    let text = '';
    if (fh) {
      try {
        const size = (await fh.stat()).size;
        if (size > seg.stateScanned) {
          const buf = Buffer.alloc(size - seg.stateScanned);
          const { bytesRead } = await fh.read(buf, 0, buf.length, seg.stateScanned);
          const end = buf.lastIndexOf(10, bytesRead - 1);
          // Only whole lines: a record still being written is read next time.
          if (end >= 0) text = buf.toString('utf8', 0, end + 1);
        }
      } finally {
        await fh.close();
      }
    }
    await this.scanData(seg);
    if (!text) return;
    seg.stateScanned += Buffer.byteLength(text);
    for (const line of text.split('\n')) {
      const rec = parseStateLine(line);
      if (rec) this.apply(seg, rec);
    }
  }

  private apply(seg: Segment, rec: StateRecord): void {
    const m = seg.messages.get(rec.id);
    if (!m) return;
    if (rec.kind === 'move') {
      if (m.queue !== rec.from) return;
      this.setQueue(m, rec.to === '-' ? undefined : rec.to);
      // Only this process waits for its tags (tagFor); others' would only pile up.
      if (rec.tag.startsWith(TAG_PREFIX)) this.appliedTags.add(rec.tag);
    } else if (rec.kind === 'status') m.statuses.push(rec.status);
    else m.expired = true;
  }
}
