// Writes one new queue file. Content is buffered in memory only up to FLUSH_BYTES, then
// written out, so a large message never sits in memory. commit() makes it durable:
//   1. write the rest and the end marker, patch the size record (pwrite) when needed,
//   2. rename tmp/<name> -> incoming/<queue id> (atomic: readers see all or nothing),
//   3. fsync the file. On Linux (ext4, XFS, btrfs) this also commits the rename, because the
//      rename changed the file's inode (its ctime) and fsync commits the journal up to the
//      inode's last change; Postfix relies on the same and never fsyncs queue directories.
//   4. elsewhere, fsync the incoming directory through the shared DirectorySyncer (group
//      commit), since only that makes a rename durable by POSIX alone;
// and only then resolves with the queue ID. Before step 2 the file lives in tmp/, which
// recovery empties. A crash between 2 and 3 can leave an unacknowledged file in incoming/:
// complete (delivered once; the client, which saw no 250, may send it again, as with
// Postfix) or cut short (recovery moves it to corrupt/, never delivers half a message).
import { close, fsync, rename, unlink, write } from 'node:fs';
import { promisify } from 'node:util';
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
  private fdClosed = false;
  private state: 'open' | 'committing' | 'committed' | 'aborted' = 'open';

  constructor(
    /** The queue ID, fixed at creation (from the inode and the time), so it can be logged early. */
    readonly queueId: string,
    /** Creation time: the arrival time and the Message-Id time stamp. */
    readonly created: Date,
    /** Open file descriptor (the store opened it with O_EXCL in tmp/). */
    private readonly fd: number,
    private readonly tmpPath: string,
    private readonly finalPath: string,
    private readonly envelope: QueueEnvelope,
    /** Directory fsync after the rename; undefined where the file fsync covers it (Linux). */
    private readonly syncer: DirectorySyncer | undefined,
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
      await writeAll(this.fd, data, this.position);
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
        await writeAll(this.fd, Buffer.from(sizeField(this.contentBytes)), SIZE_OFFSET);
      }
      await renameFile(this.tmpPath, this.finalPath);
      this.renamed = true;
      await fsyncFd(this.fd);
      await this.closeFd();
      if (this.syncer) await this.syncer.sync();
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
    await this.closeFd().catch(() => undefined);
    // A failed commit must not leave a message the client was told we did not take.
    await unlinkFile(this.renamed ? this.finalPath : this.tmpPath).catch(() => undefined);
  }

  private async closeFd(): Promise<void> {
    if (this.fdClosed) return;
    this.fdClosed = true;
    await closeFile(this.fd);
  }
}

// Plain descriptors and callback calls (not FileHandle): the same thread-pool work with less
// per-call overhead, which shows at a thousand commits a second (bench/smtp-accept.mjs).
const writeFile = promisify(write);
const closeFile = promisify(close);
const unlinkFile = promisify(unlink);

/** Write all of `data` at `position` (a write may be short). */
export async function writeAll(fd: number, data: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await writeFile(fd, data, off, data.length - off, position + off);
    off += bytesWritten;
  }
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function renameFile(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => rename(from, to, (err) => (err ? reject(err) : resolve())));
}
