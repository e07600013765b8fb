// The maildrop file: what `sendmail` leaves in $queue_directory/maildrop for pickup, whether
// or not the daemon runs (Postfix's postdrop does the same with its record format).
//
// Layout: the message content (header + body, "\n" line ends), then the submission as one
// JSON line, then the content length as 20 decimal digits and "\n". Putting the envelope last
// lets sendmail stream a message of any size straight to disk. The file is written under a
// dot name, fsync'd, renamed to its final name and the directory fsync'd: pickup never sees a
// partial file. The submitting user is the file's owner (pickup logs it as uid=N).
import { open, rename, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDirectory } from '../master/fs-sync.js';

export interface MaildropSubmission {
  version: 1;
  /** Envelope sender as given (-f/-r or the login name); "" is the null sender. */
  sender: string;
  recipients: string[];
  /** -F: full name for a From: header that cleanup adds when missing. */
  fullName?: string;
  /** RFC 3461: -N notify keywords, -R ret, -V envid. RFC 6152: -B body type. */
  notify?: string[];
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  body?: '7BIT' | '8BITMIME';
}

export const TRAILER_LENGTH = 21;

/** An open maildrop file being written; call commit() once the content is complete. */
export class MaildropWriter {
  private size = 0;
  private done = false;

  private constructor(
    private readonly fh: FileHandle,
    private readonly dir: string,
    private readonly tmpName: string,
    readonly name: string,
  ) {}

  static async create(maildropDir: string): Promise<MaildropWriter> {
    // "<ms>.<pid>.<random>": the dots keep the name from ever parsing as a queue ID, so the
    // queue tools (which also scan maildrop for postsuper -r files) never mistake it for one.
    const name = `${Date.now()}.${process.pid}.${randomBytes(4).toString('hex')}`;
    const tmpName = `.t${name}`;
    // 0644: pickup runs as mail_owner and must read files submitted by any user; the
    // maildrop directory (1730) keeps other users from listing or opening them.
    const fh = await open(join(maildropDir, tmpName), 'wx', 0o644);
    return new MaildropWriter(fh, maildropDir, tmpName, name);
  }

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    await this.fh.write(chunk);
  }

  /** Append the submission, fsync, make the file visible. Returns its name in maildrop/. */
  async commit(submission: MaildropSubmission): Promise<string> {
    await this.fh.write(JSON.stringify(submission) + '\n' + String(this.size).padStart(20, '0') + '\n');
    await this.fh.sync();
    await this.fh.close();
    this.done = true;
    await rename(join(this.dir, this.tmpName), join(this.dir, this.name));
    await fsyncDirectory(this.dir, true);
    return this.name;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => undefined);
    const { unlink } = await import('node:fs/promises');
    await unlink(join(this.dir, this.tmpName)).catch(() => undefined);
  }
}

export class CorruptMaildropFile extends Error {}

/** Parse a maildrop file: the submission and the content length (content is bytes 0..length-1). */
export async function readMaildropFile(
  path: string,
): Promise<{ submission: MaildropSubmission; contentLength: number }> {
  const data = await readFile(path);
  if (data.length < TRAILER_LENGTH) throw new CorruptMaildropFile('file too short');
  const trailer = data.subarray(data.length - TRAILER_LENGTH).toString('latin1');
  if (!/^\d{20}\n$/.test(trailer)) throw new CorruptMaildropFile('bad trailer');
  const contentLength = Number(trailer.slice(0, 20));
  if (contentLength > data.length - TRAILER_LENGTH) throw new CorruptMaildropFile('bad content length');
  let submission: MaildropSubmission;
  try {
    submission = JSON.parse(
      data.subarray(contentLength, data.length - TRAILER_LENGTH).toString('utf8'),
    ) as MaildropSubmission;
  } catch {
    throw new CorruptMaildropFile('bad envelope record');
  }
  if (
    submission.version !== 1 ||
    typeof submission.sender !== 'string' ||
    !Array.isArray(submission.recipients)
  ) {
    throw new CorruptMaildropFile('bad envelope record');
  }
  return { submission, contentLength };
}
