// Reads a message from sendmail's standard input: until end of input, or a line with a
// single "." unless -i/-oi was given. CRLF becomes LF (Postfix sendmail_fix_line_endings =
// always). Content streams to `write`; the header block is kept for -t.
import type { Readable } from 'node:stream';
import { readLines } from '../master/line-reader.js';

export interface ReadResult {
  /** The header block text (up to the first empty line), for recipient extraction. */
  headerText: string;
  size: number;
}

const NL = Buffer.from('\n');

export async function readMessage(
  input: Readable,
  ignoreDots: boolean,
  write: (chunk: Buffer) => Promise<void>,
  sizeLimit = 0,
): Promise<ReadResult> {
  let headerText = '';
  let inHeader = true;
  let size = 0;
  let batch: Buffer[] = [];
  let batchSize = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const chunk = Buffer.concat(batch);
    batch = [];
    batchSize = 0;
    await write(chunk);
  };
  for await (const line of readLines(input)) {
    if (!ignoreDots && line.length === 1 && line[0] === 0x2e) break;
    if (inHeader) {
      if (line.length === 0) inHeader = false;
      else headerText += line.toString('latin1') + '\n';
    }
    size += line.length + 1;
    if (sizeLimit > 0 && size > sizeLimit) throw new MessageTooBig();
    batch.push(line, NL);
    batchSize += line.length + 1;
    if (batchSize >= 65536) await flush();
  }
  await flush();
  return { headerText, size };
}

export class MessageTooBig extends Error {
  constructor() {
    super('message file too big');
  }
}
