// pickup(8): moves files from maildrop into the queue through cleanup, in the local
// rewriting context, logging "QUEUEID: uid=N from=<sender>". Runs at start, when triggered
// (sendmail nudges it), and every `wakeup` seconds of its master.cf entry (Postfix: 60).
import { createReadStream } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageSink } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { LocalReceiveContext } from '../master/standin-queue.js';
import { CorruptMaildropFile, readMaildropFile } from './maildrop-file.js';

const STALE_TEMP_MS = 24 * 3600 * 1000;
/** First line of a src/queue queue file (docs/queue.md). */
const QUEUE_FILE_MAGIC = 'OUTPOST-QUEUE 1\n';

async function startsWith(path: string, magic: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return false;
  try {
    const buf = Buffer.alloc(magic.length);
    const { bytesRead } = await fh.read(buf, 0, magic.length, 0);
    return bytesRead === magic.length && buf.toString('latin1') === magic;
  } finally {
    await fh.close();
  }
}

export class Pickup {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * Files in maildrop that are queue files rather than sendmail submissions (postsuper -r
   * moves queue files there). WIRING POINT: set to
   * (name) => pickupMaildropFile(store, name, sink, log) from src/queue/pickup.ts.
   */
  requeued: ((name: string) => Promise<unknown>) | undefined;

  constructor(
    private readonly queueDirectory: string,
    private sink: MessageSink,
    private readonly log: MailLog,
    private wakeupSeconds: number,
  ) {}

  start(): void {
    this.trigger();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.wakeupSeconds > 0) {
      this.timer = setInterval(() => this.trigger(), this.wakeupSeconds * 1000);
      this.timer.unref();
    }
  }

  reconfigure(wakeupSeconds: number): void {
    this.wakeupSeconds = wakeupSeconds;
    this.schedule();
  }

  /** Scan maildrop now (coalesces with a scan in progress). */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.scanLoop().finally(() => (this.running = undefined));
  }

  /** Resolves when the current scan (if any) has finished. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }

  private async scanLoop(): Promise<void> {
    do {
      this.again = false;
      await this.scanOnce().catch((err: Error) => this.log.warn('pickup', `maildrop scan: ${err.message}`));
    } while (this.again && !this.stopped);
  }

  private async scanOnce(): Promise<void> {
    const dir = join(this.queueDirectory, 'maildrop');
    for (const name of (await readdir(dir)).sort()) {
      if (this.stopped) return;
      const path = join(dir, name);
      if (name.startsWith('.')) {
        await this.removeStaleTemp(path);
        continue;
      }
      await this.pickOne(path, name);
    }
  }

  private async removeStaleTemp(path: string): Promise<void> {
    const st = await stat(path).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
  }

  private async pickOne(path: string, name: string): Promise<void> {
    let st;
    try {
      st = await stat(path);
    } catch {
      return; // picked up meanwhile
    }
    if (!st.isFile()) return;
    if (this.requeued && (await startsWith(path, QUEUE_FILE_MAGIC))) {
      await this.requeued(name);
      return;
    }
    let parsed;
    try {
      parsed = await readMaildropFile(path);
    } catch (err) {
      if (!(err instanceof CorruptMaildropFile)) throw err;
      this.log.warn('pickup', `maildrop/${name}: ${err.message}; moved to corrupt`);
      await rename(path, join(this.queueDirectory, 'corrupt', name)).catch(() => unlink(path));
      return;
    }
    const { submission, contentLength } = parsed;
    const context: LocalReceiveContext = { service: 'pickup', localRewriteContext: true, uid: st.uid };
    if (submission.fullName) context.senderFullName = submission.fullName;
    const writer = await this.sink.open(
      {
        sender: submission.sender,
        recipients: submission.recipients.map((address) => ({
          address,
          ...(submission.notify ? { notify: submission.notify } : {}),
        })),
        ...(submission.ret ? { ret: submission.ret } : {}),
        ...(submission.envid ? { envid: submission.envid } : {}),
        ...(submission.body ? { body: submission.body } : {}),
      },
      context,
    );
    try {
      if (contentLength > 0) {
        for await (const chunk of createReadStream(path, { start: 0, end: contentLength - 1 })) {
          await writer.write(chunk as Buffer);
        }
      }
      const id = await writer.commit();
      this.log.info('pickup', `${id}: uid=${st.uid} from=<${submission.sender}>`);
    } catch (err) {
      await writer.abort();
      throw err;
    }
    // Only after the queue file is safely committed does the maildrop copy go away.
    await unlink(path);
  }

  setSink(sink: MessageSink): void {
    this.sink = sink;
  }
}
