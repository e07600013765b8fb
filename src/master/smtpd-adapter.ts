// How the master runs SMTP services. The smtpd helper's src/smtpd provides
// createSmtpServer(settings, sink, log) with listen/close/reload; until it lands the stand-in
// in standin-smtpd.ts is used. The master binds every listener before it drops privileges,
// then only accepts connections.
//
// WIRING POINT (lead): make createSmtpService() wrap src/smtpd's createSmtpServer (settings =
// plan.config, i.e. main.cf + this service's -o overrides), and runSmtpOnStreams() its
// stdin/stdout mode for `sendmail -bs`. The contract the master relies on is this interface.
import type { Readable, Writable } from 'node:stream';
import type { MessageSink } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';
import type { ListenEndpoint } from './services.js';
import { StandinSmtpService, runStandinSession } from './standin-smtpd.js';

export interface SmtpService {
  /** Bind all endpoints; rejects with a BindError naming the endpoint that failed. */
  listen(endpoints: ListenEndpoint[]): Promise<void>;
  /** New settings for sessions that start from now on; open sessions continue unchanged. */
  reload(config: DaemonConfig): void;
  /**
   * Stop accepting, let open sessions finish for up to `graceMs`, then end them. A message
   * whose DATA was not acknowledged is aborted (never half-queued).
   */
  close(graceMs: number): Promise<void>;
  /** Open sessions right now. */
  readonly sessionCount: number;
}

export class BindError extends Error {
  constructor(
    readonly endpoint: ListenEndpoint,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BindError';
  }
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
