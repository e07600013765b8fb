// A small queue manager (Postfix qmgr(8), simplified): messages move incoming/deferred ->
// active -> removed or deferred. Recipients in $mydestination go to local delivery; anything
// else is deferred with "mail transport unavailable" until the SMTP client exists. A message
// with deferred recipients waits clamp(age, minimal_backoff_time, maximal_backoff_time);
// after maximal_queue_lifetime (bounce_queue_lifetime for the null sender) they bounce.
// One message at a time: a small office's volume does not need more, and it keeps the order
// of events in the log easy to follow.
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from '../master/config-adapter.js';
import type { ActiveMessage, QueueAdapter, RecipientDeferral } from '../master/queue-adapter.js';
import type { LocalDeliveryAgent } from '../delivery/local/agent.js';
import { delayFields } from './delay-format.js';
import { sendBounceNotice, type BouncedRecipient } from './bounce-notice.js';

export class QueueManager {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private config: DaemonConfig,
    private readonly queue: QueueAdapter,
    private readonly local: LocalDeliveryAgent,
    private readonly log: MailLog,
    private wakeupSeconds: number,
  ) {}

  /** Start scanning (openQueue already moved a crashed run's active/ back to incoming/). */
  async start(): Promise<void> {
    this.schedule();
    this.trigger();
  }

  reload(config: DaemonConfig, wakeupSeconds: number): void {
    this.config = config;
    this.wakeupSeconds = wakeupSeconds;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    // The deferred queue is scanned every queue_run_delay; the master.cf wakeup also nudges.
    const every = Math.min(this.config.time('queue_run_delay'), this.wakeupSeconds || Infinity);
    this.timer = setInterval(() => this.trigger(), Math.max(1, every) * 1000);
    this.timer.unref();
  }

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runLoop().finally(() => (this.running = undefined));
  }

  /** postqueue -f / sendmail -q: make deferred mail due and run. */
  async flush(): Promise<void> {
    await this.queue.makeDeferredDue();
    this.trigger();
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Finish the message in progress, then stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.idle();
  }

  private async runLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        for (const ref of await this.queue.ready(new Date())) {
          if (this.stopped) return;
          const message = await this.queue.activate(ref);
          if (message) await this.process(message);
        }
      } catch (err) {
        this.log.warn('qmgr', `queue run: ${(err as Error).message}`);
      }
    } while (this.again && !this.stopped);
  }

  private async process(message: ActiveMessage): Promise<void> {
    const limit = this.config.int('delay_logging_resolution_limit');
    const deferrals: RecipientDeferral[] = [];
    const bounced: BouncedRecipient[] = [];
    for (const recipient of message.recipients) {
      const original = recipient.original ?? recipient.address;
      const origField = recipient.original ? `, orig_to=<${recipient.original}>` : '';
      const start = new Date();
      if (!this.local.isLocal(recipient.address)) {
        const reason = 'mail transport unavailable';
        const delays = delayFields(
          {
            arrival: message.arrivalTime,
            active: message.activeTime,
            start,
            connected: start,
            done: new Date(),
          },
          limit,
        );
        this.log.info(
          'qmgr',
          `${message.id}: to=<${recipient.address}>${origField}, relay=none, ${delays}, dsn=4.3.0, status=deferred (${reason})`,
        );
        deferrals.push({ recipient, reason });
        continue;
      }
      const results = await this.local.deliver(message, recipient);
      const done = new Date();
      const delays = delayFields(
        { arrival: message.arrivalTime, active: message.activeTime, start, connected: start, done },
        limit,
      );
      for (const r of results) {
        const orig = r.to !== recipient.address ? `, orig_to=<${original}>` : origField;
        this.log.info(
          'local',
          `${message.id}: to=<${r.to}>${orig}, relay=local, ${delays}, dsn=${r.dsn}, status=${r.status} (${r.text})`,
        );
        if (r.status === 'bounced') bounced.push({ address: r.to, original, dsn: r.dsn, text: r.text });
      }
      const deferred = results.find((r) => r.status === 'deferred');
      if (deferred) deferrals.push({ recipient, reason: deferred.text });
      else {
        const bounce = results.find((r) => r.status === 'bounced');
        await this.queue.recordFinal(message, recipient, {
          status: bounce ? 'bounced' : 'sent',
          dsn: (bounce ?? results[0])?.dsn ?? '2.0.0',
          reason: (bounce ?? results[0])?.text ?? '',
          relay: 'local',
        });
      }
    }
    const ageSeconds = (Date.now() - message.arrivalTime.getTime()) / 1000;
    const lifetime = this.config.time(
      message.sender === '' ? 'bounce_queue_lifetime' : 'maximal_queue_lifetime',
    );
    if (deferrals.length > 0 && ageSeconds >= lifetime) {
      this.log.info('qmgr', `${message.id}: from=<${message.sender}>, status=expired, returned to sender`);
      for (const d of deferrals) {
        bounced.push({
          address: d.recipient.address,
          original: d.recipient.original ?? d.recipient.address,
          dsn: '4.4.7',
          text: d.reason,
        });
      }
      deferrals.length = 0;
    }
    if (bounced.length > 0) await this.notifySender(message, bounced);
    if (deferrals.length > 0) {
      const backoff = Math.min(
        Math.max(ageSeconds, this.config.time('minimal_backoff_time')),
        this.config.time('maximal_backoff_time'),
      );
      await this.queue.defer(message, deferrals, new Date(Date.now() + backoff * 1000));
    } else {
      await this.queue.remove(message);
    }
  }

  private async notifySender(message: ActiveMessage, bounced: BouncedRecipient[]): Promise<void> {
    // Never bounce a bounce (RFC 5321 section 6.1: mail from the null sender).
    if (message.sender === '') return;
    try {
      const id = await sendBounceNotice(this.queue.sink, message, bounced, this.config.get('myhostname'));
      this.log.info('bounce', `${message.id}: sender non-delivery notification: ${id}`);
    } catch (err) {
      this.log.warn(
        'bounce',
        `${message.id}: cannot send non-delivery notification: ${(err as Error).message}`,
      );
    }
  }
}
