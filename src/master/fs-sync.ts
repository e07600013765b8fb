// Durability helpers: a rename is only durable once the directory itself is fsync'd.
import { open } from 'node:fs/promises';

export async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
