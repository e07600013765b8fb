// Replaces a table file so that readers see either the old or the new table, never half of one:
// write a temporary file in the same directory, fsync it, rename it over the target, fsync the
// directory (the "safeio" pattern). A reader holding the old file keeps its old snapshot.
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (before umask is NOT applied: it is set explicitly). */
  mode: number;
  /** Owner to give the new file (postmap running as root builds as the source owner). */
  owner?: { uid: number; gid: number };
}

export async function writeFileAtomic(
  path: string,
  data: Buffer,
  options: AtomicWriteOptions,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', options.mode);
  try {
    try {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await fh.write(data, off, data.length - off, off);
        off += bytesWritten;
      }
      await fh.chmod(options.mode);
      if (options.owner !== undefined) await fh.chown(options.owner.uid, options.owner.gid);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // Make the rename itself durable.
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  if (dir !== undefined) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}
