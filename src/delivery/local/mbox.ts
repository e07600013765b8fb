// mbox delivery (Postfix local(8) with mailbox_delivery_lock = dotlock): take
// "<mailbox>.lock" with O_EXCL, append "From " line + message with body lines that start
// with "From " quoted as ">From ", make sure the message ends in a newline, append one empty
// line, fsync. On any error the mailbox is truncated back to its old size, so a failed
// delivery never leaves half a message behind. (Node has no fcntl locks; dotlock is what
// Postfix uses too when fcntl is unavailable and what mail readers honour.)
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export class MailboxLockedError extends Error {}

const LOCK_STALE_MS = 500_000; // Postfix stale_lock_time default: 500s

async function acquireDotlock(lockPath: string, attempts = 20): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await stat(lockPath).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) await unlink(lockPath).catch(() => undefined);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new MailboxLockedError(`cannot lock ${lockPath}: mailbox is locked by another process`);
}

/** Quote "From " at the start of every line of `chunks` and guarantee a final newline. */
export async function* quoteFromLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let atLineStart = true;
  let carry: Buffer = Buffer.alloc(0);
  let last = 0x0a;
  for await (const chunk of chunks) {
    let buf: Buffer = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    carry = Buffer.alloc(0);
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < buf.length) {
      if (atLineStart) {
        // Need 5 bytes to decide; keep a short line start for the next chunk.
        if (buf.length - pos < 5 && buf.indexOf(0x0a, pos) < 0) {
          carry = buf.subarray(pos);
          buf = buf.subarray(0, pos);
          break;
        }
        if (buf.subarray(pos, pos + 5).toString('latin1') === 'From ') out.push(Buffer.from('>'));
      }
      const nl = buf.indexOf(0x0a, pos);
      const end = nl < 0 ? buf.length : nl + 1;
      out.push(buf.subarray(pos, end));
      atLineStart = nl >= 0;
      pos = end;
    }
    if (buf.length > 0) last = buf[buf.length - 1]!;
    if (out.length) yield Buffer.concat(out);
  }
  if (carry.length) {
    yield carry;
    last = carry[carry.length - 1]!;
  }
  if (last !== 0x0a) yield Buffer.from('\n');
}

/** Append one message to the mbox file at `path`. `fromLine` ends in "\n"; `headers` too. */
export async function deliverToMbox(
  path: string,
  fromLine: string,
  headers: string,
  content: AsyncIterable<Buffer>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const lockPath = `${path}.lock`;
  await acquireDotlock(lockPath);
  try {
    const fh = await open(path, 'a', 0o600);
    const before = (await fh.stat()).size;
    try {
      await fh.write(Buffer.from(fromLine + headers, 'latin1'));
      for await (const chunk of quoteFromLines(content)) await fh.write(chunk);
      await fh.write(Buffer.from('\n'));
      await fh.sync();
    } catch (err) {
      await fh.truncate(before).catch(() => undefined);
      throw err;
    } finally {
      await fh.close();
    }
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
