// cleanup(8)'s part of Outpost: the MessageSink that receivers (smtpd, pickup) stream into.
// It writes through to a new queue file while it
//  - enforces message_size_limit on the bytes received (commit then rejects 552 5.3.4),
//  - drops message_drop_headers (default Bcc, Content-Length, Resent-Bcc, Return-Path),
//  - adds a missing Message-Id:, Date: and From: in the local rewriting context (or always,
//    with always_add_missing_headers), after the existing headers, in that order, using the
//    Resent- forms when the message carries Resent- headers,
//  - logs "ID: message-id=<...>" like Postfix's cleanup,
//  - removes duplicate envelope recipients.
// Address rewriting (canonical, masquerade, virtual) belongs to a later stage of cleanup.
import type { MailLog } from '../log/maillog.js';
import type {
  Envelope,
  EnvelopeRecipient,
  MessageSink,
  MessageWriter,
  OpenOptions,
  ReceiveContext,
} from '../queue/types.js';
import type { QueueStore } from '../queue/queue-store.js';
import type { QueueMessageWriter } from '../queue/segment-message-writer.js';
import { messageIdFor } from '../queue/queue-id.js';
import { HeaderSplitter } from './header-splitter.js';
import { mailDate } from './mail-date.js';
import { sizeExceeded } from './errors.js';

export interface CleanupSettings {
  /** myhostname: the Message-Id domain. */
  myhostname: string;
  /** message_size_limit in bytes; 0 means no limit. */
  messageSizeLimit: number;
  /** message_drop_headers (lower-case names). */
  messageDropHeaders?: string[];
  /** header_size_limit. */
  headerSizeLimit?: number;
  /** always_add_missing_headers: also complete headers of remote-context mail. */
  alwaysAddMissingHeaders?: boolean;
  /**
   * append_at_myorigin: the domain ($myorigin) that cleanup appends to envelope addresses
   * without "@" (Postfix's trivial-rewrite, canonical form); undefined = leave them.
   */
  qualifyDomain?: string;
  /** empty_address_recipient... the From: text for the null sender (Postfix: MAILER-DAEMON). */
  emptyAddress?: string;
}

export const DEFAULT_DROP_HEADERS = ['bcc', 'content-length', 'resent-bcc', 'return-path'];

export class CleanupSink implements MessageSink {
  constructor(
    private readonly store: QueueStore,
    private readonly settings: CleanupSettings,
    private readonly log?: MailLog,
    /** Called after each successful commit: the daemon's nudge to its queue manager. */
    private readonly onCommitted?: (queueId: string) => void,
  ) {}

  async open(envelope: Envelope, context: ReceiveContext, options: OpenOptions = {}): Promise<CleanupWriter> {
    const { senderFullName, ...ctx } = context;
    envelope = qualifyEnvelope(envelope, this.settings.qualifyDomain);
    // A held message is committed straight into hold/ (the same fsync'd rename as incoming/),
    // so the queue manager never sees it until postsuper -H releases it.
    const file = await this.store.create(
      {
        ...envelope,
        recipients: withoutDuplicates(envelope.recipients),
        context: ctx,
        ...(senderFullName !== undefined ? { senderFullName } : {}),
      },
      options.hold ? 'hold' : 'incoming',
    );
    const onCommitted = options.hold ? undefined : this.onCommitted;
    return new CleanupWriter(file, envelope, context, this.settings, this.log, onCommitted);
  }
}

const isQualified = (a: string): boolean => a === '' || a.includes('@');

/** Unqualified envelope addresses get "@domain"; the recipient remembers its original form. */
export function qualifyEnvelope(envelope: Envelope, domain: string | undefined): Envelope {
  if (!domain) return envelope;
  if (isQualified(envelope.sender) && envelope.recipients.every((r) => isQualified(r.address)))
    return envelope;
  const qualify = (a: string): string => (isQualified(a) ? a : `${a}@${domain}`);
  let changed = false;
  const recipients = envelope.recipients.map((r) => {
    const address = qualify(r.address);
    if (address === r.address) return r;
    changed = true;
    return { ...r, address, original: r.original ?? r.address };
  });
  const sender = qualify(envelope.sender);
  if (!changed && sender === envelope.sender) return envelope;
  return { ...envelope, sender, recipients };
}

/**
 * cleanup drops a recipient that repeats an earlier one with the same ORCPT and NOTIFY (the
 * same key Postfix's duplicate filter uses); the first occurrence keeps its place.
 */
export function withoutDuplicates(recipients: EnvelopeRecipient[]): EnvelopeRecipient[] {
  if (recipients.length < 2) return recipients.slice();
  const seen = new Set<string>();
  return recipients.filter((r) => {
    const key = `${r.orcpt ?? ''}\n${(r.notify ?? []).join(',')}\n${r.address}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Quote a display name when it contains RFC 5322 specials (Postfix hfrom_format=standard). */
export function quotePhrase(name: string): string {
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ \x80-\uffff]+$/.test(name)) return name;
  return `"${name.replace(/(["\\])/g, '\\$1')}"`;
}

export class CleanupWriter implements MessageWriter {
  private received = 0;
  private exceeded = false;
  private aborted = false;
  private readonly splitter: HeaderSplitter;
  private readonly drop: Set<string>;
  private readonly seen = new Set<string>();
  private resent = false;
  private lastWrite: true | Promise<void> = true;
  private discarding: Promise<void> | undefined;

  constructor(
    private readonly file: QueueMessageWriter,
    private readonly envelope: Envelope,
    private readonly context: ReceiveContext,
    private readonly settings: CleanupSettings,
    private readonly log: MailLog | undefined,
    private readonly onCommitted: ((queueId: string) => void) | undefined,
  ) {
    this.drop = new Set((settings.messageDropHeaders ?? DEFAULT_DROP_HEADERS).map((h) => h.toLowerCase()));
    this.splitter = new HeaderSplitter(
      {
        header: (raw, name) => this.onHeader(raw, name),
        endOfHeaders: (sep, atEnd) => this.onEndOfHeaders(sep, atEnd),
        body: (chunk) => this.out(chunk),
      },
      settings.headerSizeLimit ?? 102400,
    );
  }

  get queueId(): string {
    return this.file.queueId;
  }

  write(chunk: Buffer): boolean | Promise<void> {
    if (this.exceeded || this.aborted) return true;
    this.received += chunk.length;
    const limit = this.settings.messageSizeLimit;
    if (limit > 0 && this.received > limit) {
      // Keep accepting (the client is still sending DATA) but stop storing; commit rejects.
      this.exceeded = true;
      this.discarding = this.file.abort();
      return true;
    }
    this.lastWrite = true;
    this.splitter.push(chunk);
    return this.lastWrite;
  }

  async commit(): Promise<string> {
    if (this.aborted) throw new Error(`${this.queueId}: commit after abort`);
    if (this.exceeded) {
      await this.discarding;
      throw sizeExceeded();
    }
    this.splitter.end();
    const id = await this.file.commit();
    this.onCommitted?.(id);
    return id;
  }

  async abort(): Promise<void> {
    this.aborted = true;
    await this.discarding;
    await this.file.abort();
  }

  private out(chunk: Buffer): void {
    const r = this.file.write(chunk);
    if (r !== true) this.lastWrite = r;
  }

  private onHeader(raw: Buffer, name: string): void {
    this.seen.add(name);
    if (name.startsWith('resent-')) this.resent = true;
    if (name === 'message-id' || name === 'resent-message-id') {
      const value = raw
        .toString('utf8')
        .slice(raw.indexOf(58) + 1)
        .replace(/\r?\n[ \t]*/g, ' ')
        .trim();
      this.log?.info(
        'cleanup',
        `${this.queueId}: ${name === 'resent-message-id' ? 'resent-' : ''}message-id=${value}`,
      );
    }
    if (this.drop.has(name)) return;
    this.out(raw);
  }

  private onEndOfHeaders(separator: Buffer | null, atEndOfInput: boolean): void {
    const complete = this.context.localRewriteContext || this.settings.alwaysAddMissingHeaders === true;
    const prefix = this.resent ? 'Resent-' : '';
    const lp = prefix.toLowerCase();
    const added: string[] = [];
    if (complete && !this.seen.has(`${lp}message-id`)) {
      const mid = messageIdFor(this.queueId, this.settings.myhostname, this.file.created);
      added.push(`${prefix}Message-Id: ${mid}\n`);
      this.seen.add(`${lp}message-id`);
      this.log?.info('cleanup', `${this.queueId}: ${lp}message-id=${mid}`);
    }
    if (!this.seen.has('message-id')) this.log?.info('cleanup', `${this.queueId}: message-id=<>`);
    if (complete && !this.seen.has(`${lp}date`))
      added.push(`${prefix}Date: ${mailDate(this.file.created)}\n`);
    if (complete && !this.seen.has(`${lp}from`)) added.push(`${prefix}From: ${this.fromValue()}\n`);
    if (added.length > 0) this.out(Buffer.from(added.join(''), 'utf8'));
    if (separator) this.out(separator);
    else if (!atEndOfInput) this.out(Buffer.from('\n'));
  }

  private fromValue(): string {
    const sender = this.envelope.sender;
    if (sender === '') return this.settings.emptyAddress ?? 'MAILER-DAEMON';
    const name = this.context.senderFullName;
    return name ? `${quotePhrase(name)} <${sender}>` : sender;
  }
}
