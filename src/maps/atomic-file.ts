// Writing a table file so that readers see either the old or the new table, never half of one:
// write a temporary file in the same directory, fsync it, rename it over the target, fsync the
// directory (the "safeio" pattern). A reader holding the old file keeps its old snapshot.
//
// The formats stream their bytes through a FileSink (a 1 MiB buffer, written out as it fills)
// instead of building the whole file in memory: for million-entry tables, touching fresh memory
// for a second copy of the file costs more than the writes. These are synchronous writes: they
// run in postmap (or an explicit rebuild), never on a lookup path.
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class FileSink {
  /** Bytes buffered for the file position `base`. */
  buf: Buffer = Buffer.allocUnsafe(1 << 20);
  used = 0;
  private base = 0;

  constructor(private readonly fd: number) {}

  /** The file position the next appended byte goes to. */
  get position(): number {
    return this.base + this.used;
  }

  /** Makes room for n bytes at buf[used..]; the caller fills them and calls commit(n). */
  reserve(n: number): number {
    if (this.used + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
    return this.used;
  }

  commit(n: number): void {
    this.used += n;
  }

  append(bytes: Uint8Array): void {
    if (bytes.length > this.buf.length) {
      this.flush();
      this.writeFully(bytes, this.base);
      this.base += bytes.length;
      return;
    }
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
    this.used += bytes.length;
  }

  /** Zero bytes (for a header written later with writeAt). */
  appendZeros(n: number): void {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
    this.used += n;
  }

  /** Writes bytes at an absolute position; later appends continue after them. */
  writeAt(bytes: Uint8Array, position: number): void {
    if (position !== this.position) {
      this.flush();
      this.base = position;
    }
    this.append(bytes);
  }

  flush(): void {
    if (this.used === 0) return;
    this.writeFully(this.buf.subarray(0, this.used), this.base);
    this.base += this.used;
    this.used = 0;
  }

  private writeFully(bytes: Uint8Array, position: number): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
  }
}

export interface AtomicWriteOptions {
  /** File mode of the new file (set explicitly, umask does not apply). */
  mode: number;
  /** Owner to give the new file (postmap running as root builds as the source owner). */
  owner?: { uid: number; gid: number };
}

/** Replaces `path` with what `write` streams into the sink, atomically. */
export function writeFileAtomic(
  path: string,
  options: AtomicWriteOptions,
  write: (sink: FileSink) => void,
): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', options.mode);
  try {
    try {
      const sink = new FileSink(fd);
      write(sink);
      sink.flush();
      fchmodSync(fd, options.mode);
      if (options.owner !== undefined) fchownSync(fd, options.owner.uid, options.owner.gid);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
  // Make the rename itself durable.
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}
