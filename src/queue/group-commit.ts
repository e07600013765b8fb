// Group commit for directory entries. After a queue file is renamed into a directory, the
// rename is durable only once the directory itself is fsync'd. One fsync covers every rename
// made before it started, so concurrent commits share it: while an fsync is running, later
// callers wait for the next one, which starts as soon as the running one ends. An idle queue
// pays no added latency (no timer); a busy one pays one directory fsync per batch.
import { open, type FileHandle } from 'node:fs/promises';

export class DirectorySyncer {
  private handle: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** Number of fsync(2) calls made; the benchmark reports it. */
  syncCount = 0;

  constructor(
    readonly directory: string,
    /** A directory we may write but not read (EACCES on open) is not fsync'd at all. */
    private readonly bestEffort = false,
  ) {}

  /** Resolves once every rename into the directory made before this call is on disk. */
  sync(): Promise<void> {
    if (!this.running) return this.start();
    // A sync is in flight but may have started before our rename: join the next batch.
    this.next ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.next;
  }

  private startQueued(): Promise<void> {
    this.next = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const run = (async () => {
      this.handle ??= open(this.directory, 'r');
      let fh: FileHandle;
      try {
        fh = await this.handle;
      } catch (err) {
        this.handle = undefined;
        if (this.bestEffort && (err as NodeJS.ErrnoException).code === 'EACCES') return;
        throw err;
      }
      this.syncCount++;
      await fh.sync();
    })();
    this.running = run;
    const clear = (): void => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h)
      await h.then(
        (fh) => fh.close(),
        () => undefined,
      );
  }
}
