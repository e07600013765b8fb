// Rejections a receiver turns into an SMTP reply (or a sendmail exit status).
export class MessageRejectedError extends Error {
  constructor(
    /** SMTP reply code, e.g. 552. */
    readonly code: number,
    /** RFC 3463 enhanced status code, e.g. "5.3.4". */
    readonly enhanced: string,
    readonly text: string,
  ) {
    super(`${code} ${enhanced} ${text}`);
    this.name = 'MessageRejectedError';
  }

  /** The reply line as smtpd sends it. */
  get reply(): string {
    return `${this.code} ${this.enhanced} ${this.text}`;
  }
}

/** message_size_limit exceeded (Postfix smtpd/cleanup wording). */
export const sizeExceeded = (): MessageRejectedError =>
  new MessageRejectedError(552, '5.3.4', 'Message size exceeds fixed limit');

/**
 * What a receiver should answer when commit() fails: the rejection itself, "452 4.3.1
 * Insufficient system storage" for a full disk, else Postfix's "451 4.3.0 Error: queue file
 * write error".
 */
export function replyForCommitError(err: unknown): MessageRejectedError {
  if (err instanceof MessageRejectedError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new MessageRejectedError(452, '4.3.1', 'Insufficient system storage');
  return new MessageRejectedError(451, '4.3.0', 'Error: queue file write error');
}
