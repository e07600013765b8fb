// The SMTP reply for a failed hand-over to the queue (open, write or commit). A sink may
// reject with an error that carries its own reply (cleanup's MessageRejectedError has a
// `reply` such as "552 5.3.4 Message size exceeds fixed limit"); a full disk is Postfix's
// "452 4.3.1 Insufficient system storage"; anything else "451 4.3.0 Error: queue file write error".

const SMTP_REPLY = /^[45]\d\d [45]\.\d{1,3}\.\d{1,3} /;

export function replyForSinkError(err: unknown): string {
  const reply = (err as { reply?: unknown } | undefined)?.reply;
  if (typeof reply === 'string' && SMTP_REPLY.test(reply)) return reply;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return '452 4.3.1 Insufficient system storage';
  return '451 4.3.0 Error: queue file write error';
}
