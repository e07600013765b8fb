// Maildir delivery (qmail's maildir(5), as Postfix local(8) and virtual(8) write it): the
// message is written to tmp/, fsync'd, then hard-linked into new/ under a unique name and
// removed from tmp/, so a reader never sees a partial message. Unique name, Postfix style:
// "<seconds>.V<dev hex>I<inode hex>M<microseconds>.<hostname>", where hostname is the
// system's host name (gethostname), not myhostname - checked against Postfix 3.7.
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory } from '../../master/fs-sync.js';

let sequence = 0;

/** Write `chunks` as one message into the maildir at `dir`; returns the path in new/. */
export async function deliverToMaildir(
  dir: string,
  hostname: string,
  chunks: AsyncIterable<Buffer>,
): Promise<string> {
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  const now = Date.now();
  const seconds = Math.floor(now / 1000);
  // Microseconds within the second: milliseconds from the clock plus the sub-millisecond part.
  const usec = (now % 1000) * 1000 + (Number(process.hrtime.bigint() / 1000n) % 1000);
  // hostname must not contain "/" or ":" (maildir(5)); Postfix replaces them.
  const host = hostname.replace(/\//g, '\\057').replace(/:/g, '\\072');
  const tmpPath = join(dir, 'tmp', `${seconds}.P${process.pid}Q${++sequence}.${host}`);
  const fh = await open(tmpPath, 'wx', 0o600);
  let newPath: string;
  try {
    for await (const chunk of chunks) await fh.write(chunk);
    await fh.sync();
    const st = await fh.stat();
    newPath = join(dir, 'new', `${seconds}.V${st.dev.toString(16)}I${st.ino.toString(16)}M${usec}.${host}`);
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw err;
  }
  try {
    await link(tmpPath, newPath);
  } finally {
    await unlink(tmpPath).catch(() => undefined);
  }
  await fsyncDirectory(join(dir, 'new'));
  return newPath;
}
