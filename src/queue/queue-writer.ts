// Writes one new queue file. Content is buffered in memory only up to FLUSH_BYTES, then
// written out, so a large message never sits in memory. commit() makes it durable:
//   1. write the rest and the end marker, patch the size record (pwrite) when needed,
//   2. fdatasync the file (its data and size, which is all a reader needs),
//   3. rename tmp/<name> -> incoming/<queue id> (atomic: readers see all or nothing),
//   4. fsync the incoming directory through the shared DirectorySyncer (group commit),
// and only then resolves with the queue ID. Before step 3 the file lives in tmp/, which
// recovery empties, so an interrupted commit is never delivered.
import { rename, unlink, type FileHandle } from 'node:fs/promises';
import { encodePreamble, END_MARKER, SIZE_OFFSET, sizeField, type QueueEnvelope } from './queue-file.js';
import type { DirectorySyncer } from './group-commit.js';

const FLUSH_BYTES = 64 * 1024;

export class QueueFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private contentBytes = 0;
  private preambleWritten = false;
  private position = 0;
  private chain: Promise<void> = Promise.resolve();
  private renamed = false;
  private state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';

  constructor(
    /** The queue ID, fixed at creation (from the inode and the time), so it can be logged early. */
    readonly queueId: string,
    /** Creation time: the arrival time and the Message-Id time stamp. */
    readonly created: Date,
    private readonly fh: FileHandle,
    private readonly tmpPath: string,
    private readonly finalPath: string,
    private readonly envelope: QueueEnvelope,
    private readonly syncer: DirectorySyncer,
  ) {}

  /** Bytes of content written so far. */
  get size(): number {
    return this.contentBytes;
  }

  /** Append content. Returns true when buffered, or a promise when the buffer was flushed. */
  write(chunk: Buffer): true | Promise<void> {
    if (this.state !== 'open') throw new Error(`queue file ${this.queueId}: write after ${this.state}`);
    if (chunk.length === 0) return true;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.contentBytes += chunk.length;
    if (this.pendingBytes < FLUSH_BYTES) return true;
    return this.flush();
  }

  private flush(): Promise<void> {
    const parts = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.preambleWritten) {
      // Size unknown yet: a placeholder that commit() patches in place.
      parts.unshift(encodePreamble(this.envelope, 0));
      this.preambleWritten = true;
    }
    const data = Buffer.concat(parts);
    this.chain = this.chain.then(async () => {
      await writeAll(this.fh, data, this.position);
      this.position += data.length;
    });
    // Callers may drop the promise (the error resurfaces at commit): never an unhandled rejection.
    this.chain.catch(() => undefined);
    return this.chain;
  }

  async commit(): Promise<string> {
    if (this.state !== 'open') throw new Error(`queue file ${this.queueId}: commit after ${this.state}`);
    this.state = 'committing';
    try {
      if (!this.preambleWritten) {
        // Small message: everything is still in memory, so one write with the true size.
        this.pending.unshift(encodePreamble(this.envelope, this.contentBytes));
        this.preambleWritten = true;
        this.pending.push(Buffer.from(END_MARKER));
        await this.flush();
      } else {
        this.pending.push(Buffer.from(END_MARKER));
        await this.flush();
        await writeAll(this.fh, Buffer.from(sizeField(this.contentBytes)), SIZE_OFFSET);
      }
      await this.fh.datasync();
      await this.fh.close();
      await rename(this.tmpPath, this.finalPath);
      this.renamed = true;
      await this.syncer.sync();
      this.state = 'committed';
      return this.queueId;
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Throw away the partial file. Safe to call more than once and after a failed commit. */
  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    await this.discard();
  }

  private async discard(): Promise<void> {
    this.state = 'aborted';
    this.pending = [];
    await this.chain.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    // A failed commit must not leave a message the client was told we did not take.
    await unlink(this.renamed ? this.finalPath : this.tmpPath).catch(() => undefined);
  }
}

async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, position + off);
    off += bytesWritten;
  }
}
