// Positional access to a compiled table file. Tables up to MEMORY_LIMIT bytes are read into
// memory once (asynchronously, when the table is opened or reopened after a rebuild), so a
// lookup is pure computation; larger files are read with positional reads on an open
// descriptor, a few hundred bytes per lookup. No mmap: Node has none, and a rebuilt table is a
// new file (rename), so the old descriptor keeps reading a consistent old snapshot.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

export const MEMORY_LIMIT = 256 * 1024 * 1024;

export interface ByteSource {
  readonly size: number;
  /** Bytes [pos, pos+len); fewer only at end of file. */
  read(pos: number, len: number): Buffer;
  close(): void;
}

export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(readonly buffer: Buffer) {
    this.size = buffer.length;
  }
  read(pos: number, len: number): Buffer {
    return this.buffer.subarray(pos, Math.min(pos + len, this.size));
  }
  close(): void {}
}

export class FdSource implements ByteSource {
  readonly size: number;
  constructor(private fd: number) {
    this.size = fstatSync(fd).size;
  }
  read(pos: number, len: number): Buffer {
    const n = Math.max(0, Math.min(len, this.size - pos));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const r = readSync(this.fd, buf, done, n - done, pos + done);
      if (r === 0) break;
      done += r;
    }
    return done === n ? buf : buf.subarray(0, done);
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Opens a file as a ByteSource: in memory when small enough. Errors are the fs errors. */
export async function openByteSource(path: string): Promise<ByteSource> {
  const st = await stat(path);
  if (st.size <= MEMORY_LIMIT) return new MemorySource(await readFile(path));
  return new FdSource(openSync(path, 'r'));
}
