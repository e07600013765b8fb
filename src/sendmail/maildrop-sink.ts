// A MessageSink that writes into maildrop instead of the queue: what `sendmail -bs` hands the
// SMTP session when it runs as an ordinary user (Postfix's smtpd uses postdrop then). The
// "queue ID" it reports is the maildrop file name; pickup assigns the real one.
import type { Envelope, MessageSink, MessageWriter } from '../queue/types.js';
import { MaildropWriter } from '../pickup/maildrop-file.js';

export function maildropSink(maildropDir: string, onCommitted: () => void): MessageSink {
  return {
    async open(envelope: Envelope): Promise<MessageWriter> {
      const file = await MaildropWriter.create(maildropDir);
      return {
        write: (chunk: Buffer) => file.write(chunk),
        async commit(): Promise<string> {
          const name = await file.commit({
            version: 1,
            sender: envelope.sender,
            recipients: envelope.recipients.map((r) => r.address),
            ...(envelope.ret ? { ret: envelope.ret } : {}),
            ...(envelope.envid ? { envid: envelope.envid } : {}),
            ...(envelope.body ? { body: envelope.body } : {}),
          });
          onCommitted();
          return name;
        },
        abort: () => file.abort(),
      };
    },
  };
}
