// How the master runs SMTP services: src/smtpd's server, with the settings of main.cf plus the
// master.cf entry's -o overrides (Config.withOverrides -> settingsFromParams). The master binds
// the listening sockets itself (listeners.ts) before it drops privileges and hands accepted
// connections to handleConnection() once it is ready. `sendmail -bs` runs one session of the
// same server over stdin/stdout.
import { createServer, connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { MessageSink } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import { ConfigError, type DaemonConfig } from './config-adapter.js';
import {
  createSmtpServer,
  settingsFromParams,
  SmtpdConfigError,
  type SmtpServer,
  type SmtpdSettings,
} from '../smtpd/index.js';

export interface SmtpService {
  /** Serve one accepted connection (the master owns the listening sockets, see listeners.ts). */
  handleConnection(socket: Socket): void;
  /** New settings for sessions that start from now on; open sessions continue unchanged. */
  reload(config: DaemonConfig): void;
  /**
   * Let open sessions finish for up to `graceMs`, then end them. A message whose DATA was not
   * acknowledged is aborted (never half-queued).
   */
  close(graceMs: number): Promise<void>;
  /** Open sessions right now. */
  readonly sessionCount: number;
}

/**
 * smtpd settings for one service's configuration. A value set in main.cf or by -o counts even
 * when empty, as in Postfix ("smtpd_relay_restrictions =" means no relay list, not the
 * default); an unset parameter whose default is empty leaves smtpd's own default in place.
 */
export function smtpdSettingsFor(config: DaemonConfig): SmtpdSettings {
  try {
    return settingsFromParams((n) => {
      const v = config.get(n);
      return v !== '' || config.isSet(n) ? v : undefined;
    });
  } catch (err) {
    if (err instanceof SmtpdConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

class SmtpModuleService implements SmtpService {
  constructor(
    private readonly server: SmtpServer,
    private readonly log: MailLog,
  ) {}

  get sessionCount(): number {
    return this.server.sessionCount;
  }

  handleConnection(socket: Socket): void {
    this.server.handleConnection(socket);
  }

  reload(config: DaemonConfig): void {
    Promise.resolve()
      .then(() => this.server.reload(smtpdSettingsFor(config)))
      .catch((err: Error) => {
        this.log.log(
          'master',
          'error',
          `reload: smtpd settings rejected, keeping the old ones: ${err.message}`,
        );
      });
  }

  async close(graceMs: number): Promise<void> {
    // The master owns the listeners, so the server's own close(true) has nothing to wait
    // for: new connections are refused at once, open sessions get up to graceMs to finish.
    await this.server.close(true);
    const deadline = Date.now() + graceMs;
    while (this.server.sessionCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (this.server.sessionCount > 0) {
      await this.server.close(false); // 421 and cut off; an unfinished DATA is aborted
      // Give the 421 a moment to reach the client before the process may exit.
      const cutOff = Date.now() + 1000;
      while (this.server.sessionCount > 0 && Date.now() < cutOff) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

/** Build the server and validate its settings now, so bad smtpd settings fail at start-up. */
async function readyServer(config: DaemonConfig, sink: MessageSink, log: MailLog): Promise<SmtpServer> {
  const settings = smtpdSettingsFor(config);
  const server = createSmtpServer(settings, sink, log);
  try {
    await server.reload(settings);
  } catch (err) {
    if (err instanceof SmtpdConfigError) throw new ConfigError(err.message);
    throw err;
  }
  return server;
}

export async function createSmtpService(
  config: DaemonConfig,
  sink: MessageSink,
  log: MailLog,
): Promise<SmtpService> {
  return new SmtpModuleService(await readyServer(config, sink, log), log);
}

/**
 * One SMTP session over a pair of streams (sendmail -bs), through a private UNIX socket so the
 * session code sees an ordinary connection. Resolves when the session ends.
 */
export async function runSmtpOnStreams(
  input: Readable,
  output: Writable,
  config: DaemonConfig,
  sink: MessageSink,
  log: MailLog,
): Promise<void> {
  const server = await readyServer(config, sink, log);
  const dir = await mkdtemp(join(tmpdir(), 'outpost-bs-'));
  const path = join(dir, 'smtp');
  // allowHalfOpen: stdin may end right after QUIT; the replies must still go out.
  const listener = createServer({ allowHalfOpen: true }, (socket) => server.handleConnection(socket));
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
    await server.close(false);
    await rm(dir, { recursive: true, force: true });
  }
}
