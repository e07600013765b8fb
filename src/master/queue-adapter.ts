// What the daemon's queue manager needs from the queue, on top of src/queue's QueueStore and
// src/cleanup's CleanupSink (docs/queue.md, "API for receivers and the daemon"):
// start-up recovery (recoverQueue), the cleanup entry point receivers hand messages to, the
// state moves qmgr makes (activateMessage, recordStatus, move + setRetryTime,
// removeFinishedMessage), each durable before the promise resolves.
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { MessageSink } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';
import { QueueStore } from '../queue/queue-store.js';
import { recoverQueue } from '../queue/recovery.js';
import { activateMessage, removeFinishedMessage } from '../queue/qmgr-log.js';
import { latestStatuses, type QueueFileSummary } from '../queue/queue-file.js';
import { CleanupSink } from '../cleanup/cleanup-sink.js';

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

/** How often the queue manager's scan also compacts old queue segments. */
const COMPACTION_INTERVAL_MS = 5 * 60_000;

type ReadyRef = { queue: 'incoming' | 'deferred'; id: string };

interface Tracked {
  message: ActiveMessage;
  /** Recipient object -> index in the queue file's envelope (for status records). */
  index: Map<QueuedRecipient, number>;
}

/** The cleanup settings main.cf gives (myhostname, message_size_limit, ...). */
export function cleanupSettingsFor(config: DaemonConfig): ConstructorParameters<typeof CleanupSink>[1] {
  return {
    myhostname: config.get('myhostname'),
    messageSizeLimit: config.size('message_size_limit'),
    messageDropHeaders: config.list('message_drop_headers').map((h) => h.toLowerCase()),
    headerSizeLimit: config.int('header_size_limit'),
    alwaysAddMissingHeaders: config.bool('always_add_missing_headers'),
    ...(config.bool('append_at_myorigin') ? { qualifyDomain: config.get('myorigin') } : {}),
  };
}

export class QueueAdapter {
  /** cleanup: receivers (smtpd, pickup, sendmail -bs) hand messages in here. */
  readonly sink: MessageSink;
  private readonly listeners: ((id: string) => void)[] = [];
  private readonly active = new Map<string, Tracked>();
  /** When compactSegments last ran (start-up recovery runs it first). */
  private lastCompaction = Date.now();

  constructor(
    readonly store: QueueStore,
    config: DaemonConfig,
    private readonly log: MailLog,
  ) {
    this.sink = new CleanupSink(store, cleanupSettingsFor(config), log, (id) =>
      this.listeners.forEach((l) => l(id)),
    );
  }

  /** Called after each committed message, so the queue manager can run at once. */
  onCommitted(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }

  /** Queue IDs ready for delivery: all of incoming, plus deferred whose retry time has come. */
  async ready(now: Date): Promise<ReadyRef[]> {
    if (now.getTime() - this.lastCompaction >= COMPACTION_INTERVAL_MS) {
      this.lastCompaction = now.getTime();
      await this.store.compactSegments();
    }
    const out: ReadyRef[] = [];
    for (const id of await this.store.list('incoming')) out.push({ queue: 'incoming', id });
    for (const id of await this.store.list('deferred')) {
      const st = await stat(this.store.path('deferred', id)).catch(() => undefined);
      if (st && st.mtimeMs <= now.getTime()) out.push({ queue: 'deferred', id });
    }
    return out;
  }

  /**
   * Move to active and log qmgr's "ID: from=<...>, size=N, nrcpt=M (queue active)"; undefined
   * when the file vanished meanwhile. Recipients with a final status are left out.
   */
  async activate(ref: ReadyRef): Promise<ActiveMessage | undefined> {
    const summary = await activateMessage(this.store, ref.id, ref.queue, this.log);
    if (!summary) return undefined;
    const { message, index } = activeMessage(this.store, ref.id, summary);
    this.active.set(ref.id, { message, index });
    return message;
  }

  /** Durably note one recipient's final outcome before the message is finished (no double delivery after a crash). */
  async recordFinal(
    message: ActiveMessage,
    recipient: QueuedRecipient,
    outcome: FinalOutcome,
  ): Promise<void> {
    const rcpt = this.active.get(message.id)?.index.get(recipient);
    if (rcpt === undefined) return;
    await this.store.recordStatus('active', message.id, [{ rcpt, ...outcome, time: Date.now() }]);
  }

  /** All recipients done: delete the queue file and log "ID: removed". */
  async remove(message: ActiveMessage): Promise<void> {
    this.active.delete(message.id);
    await removeFinishedMessage(this.store, 'active', message.id, this.log);
  }

  /** Some recipients must be retried: note why, move to deferred until `retryAt`. */
  async defer(message: ActiveMessage, deferrals: RecipientDeferral[], retryAt: Date): Promise<void> {
    const tracked = this.active.get(message.id);
    this.active.delete(message.id);
    const statuses = deferrals.flatMap((d) => {
      const rcpt = tracked?.index.get(d.recipient);
      return rcpt === undefined
        ? []
        : [{ rcpt, status: 'deferred' as const, dsn: '4.3.0', reason: d.reason, time: Date.now() }];
    });
    if (statuses.length) await this.store.recordStatus('active', message.id, statuses);
    if (await this.store.move(message.id, 'active', 'deferred'))
      await this.store.setRetryTime('deferred', message.id, retryAt);
  }

  /** Make every deferred message due now (postqueue -f, sendmail -q). */
  async makeDeferredDue(): Promise<void> {
    const now = new Date();
    for (const id of await this.store.list('deferred'))
      await this.store.setRetryTime('deferred', id, now).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

function activeMessage(store: QueueStore, id: string, summary: QueueFileSummary): Tracked {
  const latest = latestStatuses(summary.statuses);
  const index = new Map<QueuedRecipient, number>();
  const recipients: QueuedRecipient[] = [];
  summary.envelope.recipients.forEach((r, i) => {
    const s = latest.get(i);
    if (s && s.status !== 'deferred') return; // already final
    const q: QueuedRecipient = {
      address: r.address,
      ...(r.original ? { original: r.original } : {}),
      ...(r.orcpt ? { orcpt: r.orcpt } : {}),
      ...(r.notify ? { notify: r.notify } : {}),
    };
    index.set(q, i);
    recipients.push(q);
  });
  const message: ActiveMessage = {
    id,
    sender: summary.envelope.sender,
    recipients,
    arrivalTime: new Date(summary.envelope.arrivalTime),
    activeTime: new Date(),
    size: summary.size,
    openContent: () => lazyStream(() => store.openContent('active', id)),
  };
  return { message, index };
}

/** A Readable that opens the queue file only when first read (openContent is async). */
function lazyStream(open: () => Promise<Readable>): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for await (const chunk of await open()) yield chunk as Buffer;
  }
  return Readable.from(gen());
}

/** Open the queue, run start-up recovery (tmp/ emptied, active/ back to incoming/). */
export async function openQueue(config: DaemonConfig, log: MailLog): Promise<QueueAdapter> {
  const store = await QueueStore.open({
    queueDirectory: config.get('queue_directory'),
    enableLongQueueIds: config.bool('enable_long_queue_ids'),
    segmentCommit: config.bool('outpost_queue_segments'),
    // With segments off, messages left in segments by an earlier run still drain away.
    maintainSegments: true,
  });
  await recoverQueue(store, log);
  return new QueueAdapter(store, config, log);
}
