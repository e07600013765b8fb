// Streaming split of message content into logical header lines and the body (RFC 5322
// section 2.1-2.2). The header ends at the first empty line, or at the first line that is
// neither a header ("name:") nor a continuation (leading space/tab) - then that line is the
// first body line, as in Postfix's cleanup. Only one logical header is held in memory, capped
// at header_size_limit (the excess is discarded, as Postfix does); the body passes through.

export interface HeaderSplitterEvents {
  /** One logical header with its folding, every physical line ending in "\n". */
  header(raw: Buffer, lowerName: string): void;
  /**
   * The header section ended. `separator` is the empty line that ended it ("\n" or "\r\n"),
   * or null when a non-header line or the end of input ended it.
   */
  endOfHeaders(separator: Buffer | null, atEndOfInput: boolean): void;
  body(chunk: Buffer): void;
}

/**
 * Where the field name of a header line ends: /^([!-9;-~]+)[ \t]*:/ on the first 1000 bytes,
 * scanned on the bytes; -1 when the line does not start a header.
 */
function headerNameEnd(line: Buffer): number {
  const limit = Math.min(line.length, 1000);
  let i = 0;
  while (i < limit && line[i]! >= 0x21 && line[i]! <= 0x7e && line[i] !== 0x3a) i++;
  const nameEnd = i;
  if (nameEnd === 0) return -1;
  while (i < limit && (line[i] === 0x20 || line[i] === 0x09)) i++;
  return i < limit && line[i] === 0x3a ? nameEnd : -1;
}

export class HeaderSplitter {
  private inHeaders = true;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private current: Buffer[] = [];
  private currentBytes = 0;
  private currentName = '';
  private lastBodyByte = 10;

  constructor(
    private readonly events: HeaderSplitterEvents,
    private readonly headerSizeLimit = 102400,
  ) {}

  push(chunk: Buffer): void {
    if (!this.inHeaders) {
      this.emitBody(chunk);
      return;
    }
    let start = 0;
    while (this.inHeaders) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        const rest = chunk.subarray(start);
        if (rest.length > 0) {
          this.partial.push(rest);
          this.partialBytes += rest.length;
        }
        // A "line" longer than any header may be cannot be a header: treat it as body.
        if (this.partialBytes > this.headerSizeLimit) this.startBody(this.takePartial(), false);
        return;
      }
      let line = chunk.subarray(start, nl + 1);
      if (this.partialBytes > 0) {
        this.partial.push(line);
        line = this.takePartial();
      }
      start = nl + 1;
      this.headerLine(line);
    }
    if (start < chunk.length) this.emitBody(chunk.subarray(start));
  }

  end(): void {
    if (this.inHeaders) {
      if (this.partialBytes > 0) {
        this.partial.push(Buffer.from('\n'));
        this.headerLine(this.takePartial());
      }
      if (this.inHeaders) {
        this.flushHeader();
        this.inHeaders = false;
        this.events.endOfHeaders(null, true);
      }
    }
    // Queue files hold whole lines: terminate a last line that lacks its newline.
    if (this.lastBodyByte !== 10) this.emitBody(Buffer.from('\n'));
  }

  private takePartial(): Buffer {
    const b = Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    return b;
  }

  private headerLine(line: Buffer): void {
    const first = line[0];
    if ((first === 32 || first === 9) && this.current.length > 0) {
      // Continuation of the current header; text beyond header_size_limit is dropped.
      if (this.currentBytes + line.length <= this.headerSizeLimit) {
        this.current.push(line);
        this.currentBytes += line.length;
      }
      return;
    }
    this.flushHeader();
    if (line.length === 1 || (line.length === 2 && first === 13)) {
      this.inHeaders = false;
      this.events.endOfHeaders(line, false);
      return;
    }
    const nameEnd = headerNameEnd(line);
    if (nameEnd < 0) {
      this.startBody(line, false);
      return;
    }
    this.currentName = line.toString('latin1', 0, nameEnd).toLowerCase();
    if (line.length > this.headerSizeLimit)
      line = Buffer.concat([line.subarray(0, this.headerSizeLimit - 1), Buffer.from('\n')]);
    this.current = [line];
    this.currentBytes = line.length;
  }

  private flushHeader(): void {
    if (this.current.length === 0) return;
    const raw = this.current.length === 1 ? this.current[0]! : Buffer.concat(this.current);
    this.current = [];
    this.currentBytes = 0;
    this.events.header(raw, this.currentName);
  }

  private startBody(firstBodyBytes: Buffer, atEnd: boolean): void {
    this.flushHeader();
    this.inHeaders = false;
    this.events.endOfHeaders(null, atEnd);
    this.emitBody(firstBodyBytes);
  }

  private emitBody(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.lastBodyByte = chunk[chunk.length - 1]!;
    this.events.body(chunk);
  }
}
