// A new message bound for a queue segment. Its bytes stay in memory until commit, when the
// whole queue-file image goes into the segment in one piece (segment-writer.ts). A message
// that grows past SPILL_BYTES is moved to a queue file of its own instead (the classic
// path in queue-writer.ts), so a large message never sits in memory; it keeps its ID.
import { encodePreamble, END_MARKER, type QueueEnvelope } from './queue-file.js';
import type { QueueName } from './layout.js';
import type { QueueFileWriter } from './queue-writer.js';
import type { SegmentWriter } from './segment-writer.js';

export const SPILL_BYTES = 1024 * 1024;

/** What cleanup writes through: a queue file or a segment message. */
export interface QueueMessageWriter {
  readonly queueId: string;
  readonly created: Date;
  readonly size: number;
  write(chunk: Buffer): true | Promise<void>;
  commit(): Promise<string>;
  abort(): Promise<void>;
}

export class SegmentMessageWriter implements QueueMessageWriter {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private spilled: QueueFileWriter | undefined;
  private spilling: Promise<void> | undefined;
  private state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly queueId: string,
    readonly created: Date,
    private readonly envelope: QueueEnvelope,
    private readonly queue: QueueName,
    private readonly segments: SegmentWriter,
    /** Opens a queue file with this message's ID, for a message too large to keep in memory. */
    private readonly openFile: () => Promise<QueueFileWriter>,
  ) {}

  get size(): number {
    return this.spilled ? this.spilled.size : this.bytes;
  }

  write(chunk: Buffer): true | Promise<void> {
    if (this.state !== 'open') throw new Error(`queue file ${this.queueId}: write after ${this.state}`);
    if (this.spilled) return this.spilled.write(chunk);
    if (this.spilling) return this.spilling.then(() => void this.spilled!.write(chunk));
    if (chunk.length === 0) return true;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes <= SPILL_BYTES) return true;
    this.spilling = this.spill();
    return this.spilling;
  }

  private async spill(): Promise<void> {
    const file = await this.openFile();
    const chunks = this.chunks;
    this.chunks = [];
    for (const c of chunks) await file.write(c);
    this.spilled = file;
  }

  async commit(): Promise<string> {
    if (this.state !== 'open') throw new Error(`queue file ${this.queueId}: commit after ${this.state}`);
    this.state = 'committing';
    try {
      if (this.spilling) await this.spilling;
      if (this.spilled) {
        await this.spilled.commit();
        this.state = 'committed';
        return this.queueId;
      }
      const image = [encodePreamble(this.envelope, this.bytes), ...this.chunks, Buffer.from(END_MARKER)];
      this.chunks = [];
      await this.segments.append(this.queueId, this.queue, image);
      this.state = 'committed';
      return this.queueId;
    } catch (err) {
      this.state = 'aborted';
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.chunks = [];
    if (this.spilling) await this.spilling.catch(() => undefined);
    await this.spilled?.abort();
  }
}
