// WIRING ADAPTER (ready, not yet used): SmtpService on top of src/smtpd's
// createSmtpServer(settings, sink, log) (smtpd branch, docs/smtpd.md). Structural types, so it
// compiles here. After the merge, createSmtpService() in smtpd-adapter.ts becomes:
//
//   const toSettings = (c: DaemonConfig) => settingsFromParams((n) => c.get(n) || undefined);
//   return new SmtpModuleService(createSmtpServer(toSettings(config), sink, log), toSettings, log);
//
// and runSmtpOnStreams() becomes runOnStreams(createSmtpServer(toSettings(config), sink, log), input, output).
// The master owns the listening sockets (listeners.ts) and passes accepted connections to
// handleConnection(). src/smtpd validates settings on first use; to fail at start-up on bad
// smtpd settings, await server.reload(settings) once right after creating it.
import { createServer, connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';
import type { SmtpService } from './smtpd-adapter.js';

/** The SmtpServer methods the master uses (src/smtpd/server.ts). */
export interface SmtpServerLike<S> {
  handleConnection(socket: Socket): void;
  close(graceful: boolean): Promise<void>;
  reload(settings: S): Promise<void>;
  readonly sessionCount: number;
}

export class SmtpModuleService<S> implements SmtpService {
  constructor(
    private readonly server: SmtpServerLike<S>,
    private readonly toSettings: (config: DaemonConfig) => S,
    private readonly log: MailLog,
  ) {}

  get sessionCount(): number {
    return this.server.sessionCount;
  }

  handleConnection(socket: Socket): void {
    this.server.handleConnection(socket);
  }

  reload(config: DaemonConfig): void {
    this.server.reload(this.toSettings(config)).catch((err: Error) => {
      this.log.log(
        'master',
        'error',
        `reload: smtpd settings rejected, keeping the old ones: ${err.message}`,
      );
    });
  }

  async close(graceMs: number): Promise<void> {
    const graceful = this.server.close(true).then(() => 'done' as const);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)),
    );
    const outcome = await Promise.race([graceful, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.server.close(false); // 421 and cut off; DATA aborted
  }
}

/** sendmail -bs: one session of `server` over stdin/stdout, through a private UNIX socket. */
export async function runOnStreams<S>(
  server: SmtpServerLike<S>,
  input: Readable,
  output: Writable,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-bs-'));
  const path = join(dir, 'smtp');
  const listener = createServer((socket) => server.handleConnection(socket));
  try {
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(path, () => resolve());
    });
    const client = connect(path);
    input.pipe(client);
    client.pipe(output, { end: false });
    await new Promise<void>((resolve) => client.on('close', () => resolve()));
    input.unpipe(client);
  } finally {
    listener.close();
    await rm(dir, { recursive: true, force: true });
  }
}
