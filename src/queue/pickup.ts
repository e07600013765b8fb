// pickup(8)'s job for files in maildrop: run each through cleanup again into a new incoming
// queue file, then remove the maildrop file. Used for postsuper -r (requeue: rewriting is
// redone) and for local submissions that sendmail wrote with QueueStore.create(env, 'maildrop').
// Only recipients without a final status are carried over, so a requeued message never goes
// to a recipient that already has it. Postfix's log line: "NEWID: uid=N from=<sender>", where
// N is the maildrop file's OWNER (the kernel says who submitted it; a uid recorded inside the
// file could be forged), plus " orig_id=OLDID" for a requeued file: one owned by mail_owner
// and not world-readable (sendmail's files are 0644).
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { MailLog } from '../log/maillog.js';
import type { MessageSink } from './types.js';
import { pendingRecipients } from './queue-file.js';
import type { QueueStore } from './queue-store.js';
import { mailDate } from '../cleanup/mail-date.js';

/** What pickup(8) needs for the Received: header it puts on local submissions. */
export interface PickupReceived {
  myhostname: string;
  /** mail_name (Postfix). */
  mailName: string;
}

export async function pickupMaildropFile(
  store: QueueStore,
  id: string,
  sink: MessageSink,
  log?: MailLog,
  received?: PickupReceived,
): Promise<string | undefined> {
  let summary;
  let owner: { uid: number; requeued: boolean };
  try {
    const st = await stat(store.path('maildrop', id));
    // pickup runs as mail_owner (or as the one user an unprivileged Outpost runs as).
    owner = { uid: st.uid, requeued: st.uid === process.getuid?.() && (st.mode & 0o004) === 0 };
    summary = await store.read('maildrop', id);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // raced with postsuper -d
    throw err;
  }
  const env = summary.envelope;
  const recipients = pendingRecipients(summary).map((i) => env.recipients[i]!);
  const { arrivalTime: _a, context, senderFullName, recipients: _r, ...rest } = env;
  const writer = await sink.open(
    { ...rest, recipients },
    { ...context, service: 'pickup', ...(senderFullName !== undefined ? { senderFullName } : {}) },
  );
  try {
    // Like Postfix's pickup: a sendmail submission gets "Received: by host (Postfix, from
    // userid N)" first; a requeued queue file (postsuper -r) already has its headers.
    if (received && context.service === 'sendmail' && writer.queueId) {
      const header =
        `Received: by ${received.myhostname} (${received.mailName}, from userid ${owner.uid})\n` +
        `\tid ${writer.queueId}; ${mailDate(new Date(env.arrivalTime))}\n`;
      const r = writer.write(Buffer.from(header, 'latin1'));
      if (r !== true && r !== false) await r;
    }
    const content = await store.openContent('maildrop', id);
    await pipeline(
      content,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          const r = writer.write(chunk);
          if (r === true || r === false) done();
          else r.then(() => done(), done);
        },
      }),
    );
    const newId = await writer.commit();
    const origId = owner.requeued ? ` orig_id=${id}` : '';
    log?.info('pickup', `${newId}: uid=${owner.uid} from=<${env.sender}>${origId}`);
    await store.remove('maildrop', id);
    return newId;
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
