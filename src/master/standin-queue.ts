// STAND-IN for src/queue + src/cleanup (owned by the queue helper): a small durable file
// queue with Postfix's directory state machine (incoming -> active -> deferred / removed) and
// a minimal cleanup (address qualification, From:/Date:/Message-Id: for local submissions,
// Bcc:/Return-Path:/Content-Length: removal). Replace it through createQueueAdapter().
//
// Queue file layout (stand-in only): content bytes, then the envelope as one JSON line, then
// a 20-digit decimal content length and "\n". A file becomes visible under its queue ID in
// incoming/ only after it and the directory are fsync'd (write temp file, fsync, rename,
// fsync directory), so a message is never half-queued.
import { createReadStream } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Envelope, MessageSink, MessageWriter, ReceiveContext } from '../queue/types.js';
import type { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';
import type { ActiveMessage, QueueAdapter, QueuedRecipient, RecipientDeferral } from './queue-adapter.js';
import { parseHeaderBlock, hasHeader } from './header-block.js';
import { compactTimestamp, rfc5322Date } from './mail-date.js';
import { fsyncDirectory } from './fs-sync.js';

export const QUEUE_NAMES = ['incoming', 'active', 'deferred', 'hold', 'corrupt'] as const;

interface StoredEnvelope {
  sender: string;
  recipients: QueuedRecipient[];
  arrival: number;
  ret?: string;
  envid?: string;
}

const TRAILER = 21;
/** Headers cleanup always removes (message_drop_headers default). */
const DROP_HEADERS = new Set(['bcc', 'resent-bcc', 'return-path', 'content-length']);
/**
 * Context extension: sendmail -F passes the full name for a From: header cleanup adds. Same
 * field name as src/queue/types.ts on main (senderFullName), so the real cleanup reads it.
 */
export type LocalReceiveContext = ReceiveContext & { senderFullName?: string };

function shortQueueId(inode: number, when: Date): string {
  const usec = (when.getTime() % 1000) * 1000 + Math.floor(Math.random() * 1000);
  return usec.toString(16).toUpperCase().padStart(5, '0') + inode.toString(16).toUpperCase();
}

export class StandinQueue implements QueueAdapter {
  readonly sink: MessageSink;
  private readonly root: string;
  private readonly listeners: ((id: string) => void)[] = [];

  constructor(
    private readonly config: DaemonConfig,
    private readonly log: MailLog,
  ) {
    this.root = config.get('queue_directory');
    this.sink = { open: (env, ctx) => this.openMessage(env, ctx) };
  }

  async prepare(): Promise<void> {
    for (const q of QUEUE_NAMES) await mkdir(join(this.root, q), { recursive: true, mode: 0o700 });
  }

  onCommitted(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }

  private qualify(address: string): string {
    if (address === '' || address.includes('@')) return address;
    return this.config.bool('append_at_myorigin') ? `${address}@${this.config.get('myorigin')}` : address;
  }

  private async openMessage(envelope: Envelope, context: LocalReceiveContext): Promise<MessageWriter> {
    const arrival = new Date();
    const tmpPath = join(this.root, 'incoming', `.tmp-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmpPath, 'wx', 0o600);
    const id = shortQueueId((await fh.stat()).ino, arrival);
    const sender = this.qualify(envelope.sender);
    const recipients: QueuedRecipient[] = envelope.recipients.map((r) => {
      const address = this.qualify(r.address);
      return {
        address,
        ...(address !== r.address ? { original: r.address } : {}),
        orcpt: r.orcpt,
        notify: r.notify,
      };
    });
    const root = this.root;
    const log = this.log;
    const listeners = this.listeners;
    let headerText: string | undefined = '';
    let size = 0;
    let done = false;
    const myhostname = this.config.get('myhostname');

    const emit = async (text: string | Buffer): Promise<void> => {
      const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
      size += buf.length;
      await fh.write(buf);
    };
    // Header rewriting needs the whole header block; the body streams straight to disk.
    const finishHeaders = async (): Promise<void> => {
      if (headerText === undefined) return;
      const text = headerText;
      headerText = undefined;
      const { fields, bodyStart } = parseHeaderBlock(text);
      let out = '';
      if (context.service === 'pickup' && context.uid !== undefined) {
        out += `Received: by ${myhostname} (Postfix, from userid ${context.uid})\n\tid ${id}; ${rfc5322Date(arrival)}\n`;
      }
      for (const f of fields) if (!DROP_HEADERS.has(f.name.toLowerCase())) out += f.raw;
      let messageId: string | undefined;
      if (context.localRewriteContext) {
        // Order as Postfix cleanup adds them: Message-Id, Date, From.
        if (!hasHeader(fields, 'Message-ID')) {
          messageId = `<${compactTimestamp(arrival)}.${id}@${myhostname}>`;
          out += `Message-Id: ${messageId}\n`;
        }
        if (!hasHeader(fields, 'Date')) out += `Date: ${rfc5322Date(arrival)}\n`;
        if (!hasHeader(fields, 'From')) {
          const from = sender || 'MAILER-DAEMON';
          out += context.senderFullName ? `From: ${context.senderFullName} <${from}>\n` : `From: ${from}\n`;
        }
      }
      const idField = fields.find((f) => f.name.toLowerCase() === 'message-id');
      messageId ??= idField ? idField.raw.slice(idField.name.length + 1).trim() : undefined;
      if (messageId) log.info('cleanup', `${id}: message-id=${messageId}`);
      let body = text.slice(bodyStart);
      // A first body line that is not empty needs the empty separator line.
      if (body !== '' && !body.startsWith('\n') && !body.startsWith('\r\n')) body = '\n' + body;
      else if (body === '') body = '\n';
      await emit(out + body);
    };

    return {
      async write(chunk: Buffer): Promise<void> {
        if (headerText === undefined) return emit(chunk);
        headerText += chunk.toString('latin1');
        const end = headerText.search(/\r?\n\r?\n/);
        // Also stop buffering when no header block could be that long (message is all body).
        if (end >= 0 || headerText.length > 1 << 20) await finishHeaders();
      },
      async commit(): Promise<string> {
        if (done) throw new Error('message already finished');
        await finishHeaders();
        const env: StoredEnvelope = { sender, recipients, arrival: arrival.getTime() };
        if (envelope.ret) env.ret = envelope.ret;
        if (envelope.envid) env.envid = envelope.envid;
        await fh.write(JSON.stringify(env) + '\n' + String(size).padStart(20, '0') + '\n');
        await fh.sync();
        await fh.close();
        done = true;
        const dir = join(root, 'incoming');
        await rename(tmpPath, join(dir, id));
        await fsyncDirectory(dir);
        for (const l of listeners) l(id);
        return id;
      },
      async abort(): Promise<void> {
        if (done) return;
        done = true;
        await fh.close().catch(() => undefined);
        await unlink(tmpPath).catch(() => undefined);
      },
    };
  }

  async recoverActive(): Promise<number> {
    const names = await this.list('active');
    for (const id of names) await rename(join(this.root, 'active', id), join(this.root, 'incoming', id));
    return names.length;
  }

  private async list(queue: string): Promise<string[]> {
    try {
      return (await readdir(join(this.root, queue))).filter((n) => !n.startsWith('.'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async ready(now: Date): Promise<{ queue: 'incoming' | 'deferred'; id: string }[]> {
    const out: { queue: 'incoming' | 'deferred'; id: string }[] = [];
    for (const id of await this.list('incoming')) out.push({ queue: 'incoming', id });
    for (const id of await this.list('deferred')) {
      // Like Postfix, a deferred file's modification time is its next attempt time.
      const st = await stat(join(this.root, 'deferred', id)).catch(() => undefined);
      if (st && st.mtimeMs <= now.getTime()) out.push({ queue: 'deferred', id });
    }
    return out;
  }

  async activate(ref: { queue: 'incoming' | 'deferred'; id: string }): Promise<ActiveMessage | undefined> {
    const path = join(this.root, 'active', ref.id);
    try {
      await rename(join(this.root, ref.queue, ref.id), path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const { env, contentLength } = await readStored(path);
    this.log.info(
      'qmgr',
      `${ref.id}: from=<${env.sender}>, size=${contentLength}, nrcpt=${env.recipients.length} (queue active)`,
    );
    return {
      id: ref.id,
      sender: env.sender,
      recipients: env.recipients,
      arrivalTime: new Date(env.arrival),
      activeTime: new Date(),
      size: contentLength,
      openContent: (): Readable =>
        contentLength === 0
          ? createReadStream(path, { start: 1, end: 0 })
          : createReadStream(path, { start: 0, end: contentLength - 1 }),
    };
  }

  async recordFinal(): Promise<void> {
    // The stand-in rewrites the envelope only when deferring (see defer()).
  }

  async remove(message: ActiveMessage): Promise<void> {
    await unlink(join(this.root, 'active', message.id));
    this.log.info('qmgr', `${message.id}: removed`);
  }

  async defer(message: ActiveMessage, deferrals: RecipientDeferral[], retryAt: Date): Promise<void> {
    const path = join(this.root, 'active', message.id);
    const { env, contentLength } = await readStored(path);
    env.recipients = deferrals.map((d) => d.recipient);
    // Rewrite only the envelope part: the content bytes stay where they are.
    const fh: FileHandle = await open(path, 'r+');
    try {
      await fh.truncate(contentLength);
      await fh.write(
        JSON.stringify(env) + '\n' + String(contentLength).padStart(20, '0') + '\n',
        contentLength,
      );
      await fh.sync();
    } finally {
      await fh.close();
    }
    const target = join(this.root, 'deferred', message.id);
    await rename(path, target);
    await utimes(target, retryAt, retryAt);
    await fsyncDirectory(join(this.root, 'deferred'));
  }

  async makeDeferredDue(): Promise<void> {
    const now = new Date();
    for (const id of await this.list('deferred')) {
      await utimes(join(this.root, 'deferred', id), now, now).catch(() => undefined);
    }
  }
}

async function readStored(path: string): Promise<{ env: StoredEnvelope; contentLength: number }> {
  const data = await readFile(path);
  const contentLength = Number(data.subarray(data.length - TRAILER, data.length - 1).toString('latin1'));
  const env = JSON.parse(
    data.subarray(contentLength, data.length - TRAILER).toString('utf8'),
  ) as StoredEnvelope;
  return { env, contentLength };
}
