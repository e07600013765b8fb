// A test-only MessageSink (the consumer side of the hand-over, not a peer): each message
// goes to its own file in a directory, fsync'd before commit() resolves, like a queue would.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Envelope, MessageSink, MessageWriter, ReceiveContext } from '../../src/queue/types.js';

export interface StoredMessage {
  id: string;
  envelope: Envelope;
  context: ReceiveContext;
  path: string;
}

export class FileSink implements MessageSink {
  readonly messages: StoredMessage[] = [];
  private seq = 0;
  /** Set to make open() fail (tests of the 451 path). */
  failOpen = false;

  constructor(private readonly dir: string) {}

  async open(envelope: Envelope, context: ReceiveContext): Promise<MessageWriter> {
    if (this.failOpen) throw new Error('sink unavailable');
    const id = `T${(++this.seq).toString(16).toUpperCase().padStart(9, '0')}`;
    const tmp = join(this.dir, `${id}.tmp`);
    const fh: FileHandle = await open(tmp, 'w');
    let chain: Promise<unknown> = Promise.resolve();
    const messages = this.messages;
    const dir = this.dir;
    return {
      write(chunk: Buffer): Promise<void> {
        const p = chain.then(() => fh.write(chunk));
        chain = p;
        return p.then(() => undefined);
      },
      async commit(): Promise<string> {
        await chain;
        await fh.sync();
        await fh.close();
        const path = join(dir, `${id}.eml`);
        await rename(tmp, path);
        messages.push({ id, envelope: structuredClone(envelope), context, path });
        return id;
      },
      async abort(): Promise<void> {
        await chain.catch(() => undefined);
        await fh.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
      },
    };
  }
}
