// A MessageSink that writes into maildrop instead of the queue: what `sendmail` (and the SMTP
// session of `sendmail -bs`) uses, as Postfix's sendmail uses postdrop. The files are ordinary
// queue files made with QueueStore.create(envelope, 'maildrop'), so mailq lists them and
// pickup runs them through cleanup. The "queue ID" reported is the maildrop file's; pickup
// assigns the incoming one.
import type { Envelope, MessageSink, MessageWriter, ReceiveContext } from '../queue/types.js';
import { QueueStore } from '../queue/queue-store.js';

export async function openMaildropStore(
  queueDirectory: string,
  enableLongQueueIds: boolean,
): Promise<QueueStore> {
  // The master creates the tree (with its permissions); a submitter must not try to.
  return QueueStore.open({ queueDirectory, enableLongQueueIds }, { create: false });
}

export function maildropSink(store: QueueStore, onCommitted: (id: string) => void): MessageSink {
  return {
    async open(envelope: Envelope, context: ReceiveContext): Promise<MessageWriter> {
      const { senderFullName, ...ctx } = context;
      const file = await store.create(
        {
          ...envelope,
          // pickup logs "uid=N" for the submitting user (the file's owner).
          context: { ...ctx, uid: process.getuid?.() ?? 0, localRewriteContext: true },
          ...(senderFullName !== undefined ? { senderFullName } : {}),
        },
        'maildrop',
      );
      return {
        queueId: file.queueId,
        write: (chunk: Buffer) => file.write(chunk),
        async commit(): Promise<string> {
          const id = await file.commit();
          onCommitted(id);
          return id;
        },
        abort: () => file.abort(),
      };
    },
  };
}
