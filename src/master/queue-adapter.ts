// What the daemon needs from the queue: the cleanup entry point (a MessageSink) and the few
// state moves a queue manager makes. The queue helper's src/queue + src/cleanup provide the
// real implementation; until it lands, StandinQueue (standin-queue.ts) implements this.
//
// WIRING POINT (lead): createQueueAdapter() returns the stand-in. Switch it to a thin wrapper
// over src/queue (recover, scan incoming/deferred, move to active, read envelope + content,
// remove, defer with next-attempt time) and src/cleanup's MessageSink.
import type { Readable } from 'node:stream';
import type { MessageSink } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';
import { StandinQueue } from './standin-queue.js';

export interface QueuedRecipient {
  /** The envelope recipient as cleanup wrote it (fully qualified). */
  address: string;
  /** The recipient as originally received (Postfix "orig_to"), when it differs. */
  original?: string;
  orcpt?: string;
  notify?: string[];
}

/** A message the queue manager owns while it sits in the active queue. */
export interface ActiveMessage {
  id: string;
  sender: string;
  recipients: QueuedRecipient[];
  arrivalTime: Date;
  /** Time the message entered the active queue (for the delays= "a" component). */
  activeTime: Date;
  /** Content bytes (header + body). */
  size: number;
  /** A fresh stream of the content (header + body, "\n" line ends) each call. */
  openContent(): Readable;
}

export interface FinalOutcome {
  status: 'sent' | 'bounced' | 'expired';
  dsn: string;
  reason: string;
  relay: string;
}

export interface RecipientDeferral {
  recipient: QueuedRecipient;
  reason: string;
}

export interface QueueAdapter {
  /** cleanup: receivers (smtpd, pickup, sendmail -bs) hand messages in here. */
  readonly sink: MessageSink;
  /** Create or check the queue directories (permissions are set by the master). */
  prepare(): Promise<void>;
  /** After a crash or stop: everything in "active" goes back to "incoming" (Postfix qmgr start-up). */
  recoverActive(): Promise<number>;
  /** Queue IDs ready for delivery: all of incoming, plus deferred whose retry time has come. */
  ready(now: Date): Promise<{ queue: 'incoming' | 'deferred'; id: string }[]>;
  /**
   * Move to active, read the envelope and log qmgr's "ID: from=<...>, size=N, nrcpt=M (queue
   * active)"; undefined when the file vanished meanwhile. Recipients with a final status are
   * left out.
   */
  activate(ref: { queue: 'incoming' | 'deferred'; id: string }): Promise<ActiveMessage | undefined>;
  /**
   * Durably note one recipient's final outcome before the message is finished, so a crash
   * does not deliver it twice (src/queue: recordStatus). The stand-in keeps no such records.
   */
  recordFinal(message: ActiveMessage, recipient: QueuedRecipient, outcome: FinalOutcome): Promise<void>;
  /** All recipients done: delete the queue file and log "ID: removed". */
  remove(message: ActiveMessage): Promise<void>;
  /** Some recipients must be retried: keep only them, move to deferred until `retryAt`. */
  defer(message: ActiveMessage, deferrals: RecipientDeferral[], retryAt: Date): Promise<void>;
  /** Make every deferred message due now (postqueue -f, sendmail -q). */
  makeDeferredDue(): Promise<void>;
  /** Called after each committed message, so the queue manager can run at once. */
  onCommitted(listener: (id: string) => void): void;
}

export function createQueueAdapter(config: DaemonConfig, log: MailLog): QueueAdapter {
  return new StandinQueue(config, log);
}
