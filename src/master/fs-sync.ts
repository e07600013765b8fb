// Durability helpers: a rename is only durable once the directory itself is fsync'd.
import { open } from 'node:fs/promises';

/**
 * fsync a directory. `bestEffort`: a directory we may write but not read (maildrop is 1730, so
 * postdrop members have no read permission) cannot be opened; the file itself was fsync'd.
 */
export async function fsyncDirectory(dir: string, bestEffort = false): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch (err) {
    if (bestEffort && (err as NodeJS.ErrnoException).code === 'EACCES') return;
    throw err;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
