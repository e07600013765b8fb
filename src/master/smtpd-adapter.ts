// How the master runs SMTP services. The smtpd helper's src/smtpd provides
// createSmtpServer(settings, sink, log) with handleConnection/close/reload; until it lands the
// stand-in in standin-smtpd.ts is used. The master binds the listening sockets itself
// (listeners.ts) before it drops privileges and hands over connections once it is ready.
//
// WIRING POINT (lead): make createSmtpService() wrap src/smtpd's createSmtpServer (settings =
// plan.config, i.e. main.cf + this service's -o overrides), and runSmtpOnStreams() its
// stdin/stdout mode for `sendmail -bs`. The contract the master relies on is this interface.
import type { Readable, Writable } from 'node:stream';
import type { MessageSink } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';
import type { Socket } from 'node:net';
import { StandinSmtpService, runStandinSession } from './standin-smtpd.js';

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

export function createSmtpService(config: DaemonConfig, sink: MessageSink, log: MailLog): SmtpService {
  return new StandinSmtpService(config, sink, log);
}

/** One SMTP session over a pair of streams (sendmail -bs). Resolves when the session ends. */
export function runSmtpOnStreams(
  input: Readable,
  output: Writable,
  config: DaemonConfig,
  sink: MessageSink,
  log: MailLog,
): Promise<void> {
  return runStandinSession(
    input,
    output,
    config,
    sink,
    log,
    { name: 'localhost', address: '127.0.0.1' },
    true,
  );
}
