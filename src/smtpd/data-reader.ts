// DATA content: from the client's byte stream to message content (lines ending in "\n",
// dot-unstuffed), following Postfix 3.7.11 smtpd's receive loop:
// - end of data is a line holding just "."; with smtpd_forbid_bare_newline on (normalize or
//   reject) that line only counts when it and the line before it ended in CRLF - a "." line
//   touched by a bare LF is dropped instead, which defeats "<LF>.<CR><LF>" smuggling;
// - in reject mode any bare-LF line marks the message; the reply after the dot is the 550;
// - message_size_limit counts each record as its length + 2; once exceeded, content is no
//   longer stored but still read up to the dot (then "552 5.3.4 Error: message file too big");
// - a line longer than line_length_limit is passed on in pieces, and only the first piece
//   of a line is looked at for a leading dot.
import { scanLine } from './line-scanner.js';

const LF = 0x0a;
const DOT = 0x2e;

const X_MAILBOX_LINE = 'X-Mailbox-Line: ';
const FROM_ = Buffer.from('From ');

/** ">*From " at the start of a line (Postfix: strspn(">") then "From "). */
function isFromLine(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && buf[i] === 0x3e) i++;
  return end - i >= 5 && buf.compare(FROM_, 0, 5, i, i + 5) === 0;
}

export interface DataReaderOptions {
  lineLengthLimit: number;
  /** smtpd_forbid_bare_newline (normalize or reject) applies to this client. */
  detectBareLf: boolean;
  rejectBareLf: boolean;
  /** message_size_limit; 0 = unlimited. */
  messageSizeLimit: number;
}

export interface DataChunk {
  /** Offset after the consumed input. */
  next: number;
  /** The terminating "." line was seen. */
  done: boolean;
  /** Content to store (may be empty); a fresh buffer the receiver may keep. */
  content: Buffer;
}

export class DataReader {
  /** Bytes accounted against message_size_limit (Postfix act_size). */
  size = 0;
  sizeExceeded = false;
  bareLfSeen = false;
  /** Raw bytes consumed, for "lost connection after DATA (N bytes)". */
  rawBytes = 0;
  private prevComplete = true;
  private prevBareLf = false;
  private first = true;

  constructor(private readonly options: DataReaderOptions) {}

  consume(buf: Buffer, pos: number): DataChunk {
    const { lineLengthLimit, detectBareLf, rejectBareLf, messageSizeLimit } = this.options;
    // Output never exceeds the input, except for one added LF and X-Mailbox-Line: prefixes
    // (the buffer grows for those).
    let out = Buffer.allocUnsafe(buf.length - pos + 1);
    let o = 0;
    let p = pos;
    let done = false;
    for (;;) {
      const line = scanLine(buf, p, lineLengthLimit, detectBareLf);
      if (!line) break;
      p = line.next;
      let start = line.start;
      const end = line.end;
      const prevComplete = this.prevComplete;
      const prevBareLf = this.prevBareLf;
      this.prevComplete = line.complete;
      this.prevBareLf = line.bareLf;
      if (line.bareLf && rejectBareLf) this.bareLfSeen = true;
      if (this.first) {
        // Leading UNIX "From " lines (as sendmail allows) become headers, like Postfix does.
        if (isFromLine(buf, start, end)) {
          const need = o + X_MAILBOX_LINE.length + (buf.length - start) + 1;
          if (need > out.length) {
            const bigger = Buffer.allocUnsafe(need * 2);
            out.copy(bigger, 0, 0, o);
            out = bigger;
          }
          o += out.write(X_MAILBOX_LINE, o, 'latin1');
          buf.copy(out, o, start, end);
          o += end - start;
          if (line.complete) out[o++] = LF;
          continue;
        }
        this.first = false;
        // Content that starts with white space would continue our Received: header.
        if (end > start && (buf[start] === 0x20 || buf[start] === 0x09)) out[o++] = LF;
      }
      if (prevComplete && end > start && buf[start] === DOT) {
        if (end - start === 1 && detectBareLf && (line.bareLf || prevBareLf)) continue;
        start++;
        if (start === end && line.complete) {
          done = true;
          break;
        }
      }
      const len = end - start;
      if (!this.sizeExceeded) {
        if (messageSizeLimit > 0 && messageSizeLimit - this.size < len + 2) {
          this.sizeExceeded = true;
        } else {
          this.size += len + 2;
          buf.copy(out, o, start, end);
          o += len;
          if (line.complete) out[o++] = LF;
        }
      }
    }
    this.rawBytes += p - pos;
    return { next: p, done, content: out.subarray(0, o) };
  }
}
