// WIRING ADAPTER (ready, not yet used): QueueAdapter on top of src/queue + src/cleanup as
// documented in docs/queue.md on main. It is written against structural types that mirror
// those modules, so it compiles on this branch; after the merge, createQueueAdapter() in
// queue-adapter.ts becomes:
//
//   const store = await QueueStore.open({ queueDirectory, enableLongQueueIds });
//   await recoverQueue(store, log);
//   return new QueueStoreAdapter(store, (onCommitted) =>
//     new CleanupSink(store, { myhostname, messageSizeLimit }, log, onCommitted), log);
//
// (createQueueAdapter must then become async and Master await it.) Like the stand-in, the
// adapter writes qmgr's "(queue active)" and "removed" lines itself.
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Envelope, MessageSink, ReceiveContext } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type {
  ActiveMessage,
  FinalOutcome,
  QueueAdapter,
  QueuedRecipient,
  RecipientDeferral,
} from './queue-adapter.js';

type QueueName = 'maildrop' | 'incoming' | 'active' | 'deferred' | 'hold' | 'corrupt';

/** The parts of src/queue's RecipientStatus the daemon writes. */
export interface RecipientStatusLike {
  rcpt: number;
  status: 'sent' | 'bounced' | 'deferred' | 'expired';
  dsn?: string;
  reason?: string;
  relay?: string;
  time: number;
}

/** The parts of src/queue's QueueFileSummary the daemon reads. */
export interface QueueFileSummaryLike {
  envelope: Envelope & { arrivalTime: number; context: ReceiveContext };
  size: number;
  statuses: RecipientStatusLike[];
}

/** The QueueStore methods the daemon uses (src/queue/queue-store.ts on main). */
export interface QueueStoreLike {
  readonly directory: string;
  path(queue: QueueName, id: string): string;
  list(queue: QueueName): Promise<string[]>;
  read(queue: QueueName, id: string): Promise<QueueFileSummaryLike>;
  move(id: string, from: QueueName, to: QueueName): Promise<boolean>;
  remove(queue: QueueName, id: string): Promise<boolean>;
  recordStatus(queue: QueueName, id: string, statuses: RecipientStatusLike[]): Promise<void>;
  openContent(queue: QueueName, id: string): Promise<Readable>;
  setRetryTime(queue: QueueName, id: string, when: Date): Promise<void>;
}

interface Tracked {
  message: ActiveMessage;
  index: Map<QueuedRecipient, number>;
}

export class QueueStoreAdapter implements QueueAdapter {
  readonly sink: MessageSink;
  private readonly listeners: ((id: string) => void)[] = [];
  private readonly active = new Map<string, Tracked>();

  constructor(
    private readonly store: QueueStoreLike,
    makeSink: (onCommitted: (id: string) => void) => MessageSink,
    private readonly log: MailLog,
  ) {
    this.sink = makeSink((id) => this.listeners.forEach((l) => l(id)));
  }

  async prepare(): Promise<void> {
    // QueueStore.open() created the tree; recoverQueue() ran before this adapter was built.
  }

  async recoverActive(): Promise<number> {
    return 0; // recoverQueue() already moved active/ back to incoming/
  }

  onCommitted(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }

  async ready(now: Date): Promise<{ queue: 'incoming' | 'deferred'; id: string }[]> {
    const out: { queue: 'incoming' | 'deferred'; id: string }[] = [];
    for (const id of await this.store.list('incoming')) out.push({ queue: 'incoming', id });
    for (const id of await this.store.list('deferred')) {
      const st = await stat(this.store.path('deferred', id)).catch(() => undefined);
      if (st && st.mtimeMs <= now.getTime()) out.push({ queue: 'deferred', id });
    }
    return out;
  }

  async activate(ref: { queue: 'incoming' | 'deferred'; id: string }): Promise<ActiveMessage | undefined> {
    if (!(await this.store.move(ref.id, ref.queue, 'active'))) return undefined;
    const summary = await this.store.read('active', ref.id);
    this.log.info(
      'qmgr',
      `${ref.id}: from=<${summary.envelope.sender}>, size=${summary.size}, nrcpt=${pendingCount(summary)} (queue active)`,
    );
    const latest = new Map(summary.statuses.map((s) => [s.rcpt, s]));
    const index = new Map<QueuedRecipient, number>();
    const recipients: QueuedRecipient[] = [];
    summary.envelope.recipients.forEach((r, i) => {
      const s = latest.get(i);
      if (s && s.status !== 'deferred') return; // already final
      const q: QueuedRecipient = {
        address: r.address,
        ...(r.orcpt ? { orcpt: r.orcpt } : {}),
        ...(r.notify ? { notify: r.notify } : {}),
      };
      index.set(q, i);
      recipients.push(q);
    });
    const store = this.store;
    const message: ActiveMessage = {
      id: ref.id,
      sender: summary.envelope.sender,
      recipients,
      arrivalTime: new Date(summary.envelope.arrivalTime),
      activeTime: new Date(),
      size: summary.size,
      openContent: () => lazyStream(() => store.openContent('active', ref.id)),
    };
    this.active.set(ref.id, { message, index });
    return message;
  }

  async recordFinal(
    message: ActiveMessage,
    recipient: QueuedRecipient,
    outcome: FinalOutcome,
  ): Promise<void> {
    const rcpt = this.active.get(message.id)?.index.get(recipient);
    if (rcpt === undefined) return;
    await this.store.recordStatus('active', message.id, [
      {
        rcpt,
        status: outcome.status,
        dsn: outcome.dsn,
        reason: outcome.reason,
        relay: outcome.relay,
        time: Date.now(),
      },
    ]);
  }

  async remove(message: ActiveMessage): Promise<void> {
    this.active.delete(message.id);
    if (await this.store.remove('active', message.id)) this.log.info('qmgr', `${message.id}: removed`);
  }

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
    await this.store.move(message.id, 'active', 'deferred');
    await this.store.setRetryTime('deferred', message.id, retryAt);
  }

  async makeDeferredDue(): Promise<void> {
    const now = new Date();
    for (const id of await this.store.list('deferred'))
      await this.store.setRetryTime('deferred', id, now).catch(() => undefined);
  }
}

function pendingCount(summary: QueueFileSummaryLike): number {
  const latest = new Map(summary.statuses.map((s) => [s.rcpt, s]));
  return summary.envelope.recipients.filter((_r, i) => {
    const s = latest.get(i);
    return !s || s.status === 'deferred';
  }).length;
}

/** A Readable that opens the queue file only when first read (openContent is async). */
function lazyStream(open: () => Promise<Readable>): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for await (const chunk of await open()) yield chunk as Buffer;
  }
  return Readable.from(gen());
}
