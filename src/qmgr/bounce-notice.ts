// A minimal non-delivery notification (RFC 3464 multipart/report) from MAILER-DAEMON with the
// null sender, submitted through cleanup like Postfix's bounce(8) does. The full bounce
// service (templates, delay warnings, DSN options) is a later issue.
import type { MessageSink } from '../queue/types.js';
import type { ActiveMessage } from '../master/queue-adapter.js';
import { mailDate } from '../cleanup/mail-date.js';

export interface BouncedRecipient {
  address: string;
  original: string;
  dsn: string;
  text: string;
}

export async function sendBounceNotice(
  sink: MessageSink,
  message: ActiveMessage,
  bounced: BouncedRecipient[],
  myhostname: string,
): Promise<string> {
  const boundary = `${message.id}.${Date.now()}/${myhostname}`;
  const now = new Date();
  const lines = [
    `From: MAILER-DAEMON@${myhostname} (Mail Delivery System)`,
    'Subject: Undelivered Mail Returned to Sender',
    `To: ${message.sender}`,
    `Date: ${mailDate(now)}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is the mail system at host ${myhostname}.`,
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    ...bounced.map((b) => `<${b.address}>: ${b.text}`),
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${myhostname}`,
    `X-Postfix-Queue-ID: ${message.id}`,
    `Arrival-Date: ${mailDate(message.arrivalTime)}`,
    ...bounced.flatMap((b) => [
      '',
      `Final-Recipient: rfc822; ${b.address}`,
      ...(b.original !== b.address ? [`Original-Recipient: rfc822;${b.original}`] : []),
      'Action: failed',
      `Status: ${b.dsn}`,
      `Diagnostic-Code: X-Postfix; ${b.text}`,
    ]),
    '',
    `--${boundary}`,
    'Content-Description: Undelivered Message',
    'Content-Type: message/rfc822',
    '',
  ];
  const writer = await sink.open(
    { sender: '', recipients: [{ address: message.sender }] },
    { service: 'bounce', localRewriteContext: false },
  );
  try {
    await writer.write(Buffer.from(lines.join('\n') + '\n', 'latin1'));
    for await (const chunk of message.openContent()) await writer.write(chunk as Buffer);
    await writer.write(Buffer.from(`\n--${boundary}--\n`, 'latin1'));
    return await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
