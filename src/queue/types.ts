// The hand-over contract between receivers (smtpd, pickup) and cleanup/queue.
// Data flows one way: a receiver opens a message with its envelope, streams the content
// (header + body, lines ending in "\n", no SMTP dot-stuffing), then commits. commit()
// resolves with the queue ID only after the queue file and its directory entry are fsync'd:
// a receiver must not answer 250 before that promise resolves.

export interface EnvelopeRecipient {
  /** Recipient address as received (after RFC 5321 unquoting of the path, no angle brackets). */
  address: string;
  /**
   * The address before cleanup qualified it (Postfix's original recipient, logged as orig_to
   * and shown in X-Original-To:); absent when cleanup did not change it. Optional, so
   * receivers never set it.
   */
  original?: string;
  /** RFC 3461 ORCPT, when the client sent one. */
  orcpt?: string;
  /** RFC 3461 NOTIFY keywords (e.g. ["SUCCESS", "FAILURE"]), when given. */
  notify?: string[];
}

export interface Envelope {
  /** Envelope sender; "" is the null sender (<>). */
  sender: string;
  recipients: EnvelopeRecipient[];
  /** RFC 3461 RET and ENVID, RFC 6152 BODY, RFC 6531 SMTPUTF8. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  body?: '7BIT' | '8BITMIME';
  smtputf8?: boolean;
}

/** Who handed the message in; used for rewriting context and for log lines. */
export interface ReceiveContext {
  /** "smtpd", "pickup", "sendmail", ... (the log tag after "postfix/"). */
  service: string;
  /** For SMTP: client name and address, as in "client=name[addr]". */
  clientName?: string;
  clientAddress?: string;
  /** SASL login, for the "sasl_method=..., sasl_username=..." log fields. */
  saslMethod?: string;
  saslUsername?: string;
  /** Local submission (sendmail/pickup) or a client trusted for header rewriting. */
  localRewriteContext: boolean;
  /** pickup: the submitting user's uid, for "uid=N from=<...>". */
  uid?: number;
  /** Local submission: the sender's full name (sendmail -F, $NAME or the passwd GECOS field),
   *  used when cleanup adds a missing From: header ("From: Full Name <addr>"). */
  senderFullName?: string;
}

export interface MessageWriter {
  /** The queue ID, known from open() on (Postfix logs "ID: client=..." before the data). */
  readonly queueId?: string;
  /** Content bytes; may be called many times. Returns false when the caller should wait for 'drain'. */
  write(chunk: Buffer): boolean | Promise<void>;
  /** Finish: cleanup work, write, fsync file and directory. Resolves with the queue ID. */
  commit(): Promise<string>;
  /** Discard everything written so far (client went away, size exceeded, ...). */
  abort(): Promise<void>;
}

/** How the message is to be stored. */
export interface OpenOptions {
  /** Put the message into the hold queue (an smtpd access table said HOLD); postsuper -H releases it. */
  hold?: boolean;
}

export interface MessageSink {
  open(envelope: Envelope, context: ReceiveContext, options?: OpenOptions): Promise<MessageWriter>;
}
