// pickup(8): moves files from maildrop into the queue through cleanup, in the local
// rewriting context, logging "QUEUEID: uid=N from=<sender>" (src/queue's pickupMaildropFile).
// sendmail writes maildrop files with QueueStore.create(envelope, 'maildrop'), postsuper -r
// moves queue files there; both are the same queue file format. Runs at start, when triggered
// (sendmail nudges it), and every `wakeup` seconds of its master.cf entry (Postfix: 60).
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageSink } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { QueueStore } from '../queue/queue-store.js';
import { pickupMaildropFile, type PickupReceived } from '../queue/pickup.js';
import { CorruptQueueFileError } from '../queue/queue-file.js';

/** A submission's temporary dot file older than this was abandoned (sendmail killed). */
const STALE_TEMP_MS = 24 * 3600 * 1000;

export class Pickup {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: QueueStore,
    private readonly sink: MessageSink,
    private readonly log: MailLog,
    private wakeupSeconds: number,
    private readonly received?: PickupReceived,
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
    const dir = join(this.store.directory, 'maildrop');
    for (const name of (await readdir(dir)).sort()) {
      if (this.stopped) return;
      if (name.startsWith('.')) await this.removeStaleTemp(join(dir, name));
    }
    for (const id of await this.store.list('maildrop')) {
      if (this.stopped) return;
      await this.pickOne(id);
    }
  }

  private async removeStaleTemp(path: string): Promise<void> {
    const st = await stat(path).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
  }

  private async pickOne(id: string): Promise<void> {
    try {
      await pickupMaildropFile(this.store, id, this.sink, this.log, this.received);
    } catch (err) {
      if (!(err instanceof CorruptQueueFileError)) throw err;
      this.log.warn('pickup', `maildrop/${id}: ${err.message}; moved to corrupt`);
      await rename(this.store.path('maildrop', id), this.store.path('corrupt', id)).catch(() =>
        unlink(this.store.path('maildrop', id)),
      );
    }
  }
}
