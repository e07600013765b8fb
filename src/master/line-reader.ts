// Byte-exact line splitting for SMTP-style streams: yields each line without its "\n" (and
// without a preceding "\r"), as a Buffer so 8-bit content survives. Iterating the stream with
// for-await keeps backpressure: no more data is read while the consumer is busy.
import type { Readable } from 'node:stream';

export async function* readLines(input: Readable, maxLine = 1 << 20): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    let buf = Buffer.concat([rest, typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk]);
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      const end = nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      yield buf.subarray(0, end);
      buf = buf.subarray(nl + 1);
    }
    // An overlong line is handed over in pieces rather than buffered without bound.
    if (buf.length > maxLine) {
      yield buf;
      buf = Buffer.alloc(0);
    }
    rest = buf;
  }
  if (rest.length > 0) yield rest;
}
