// The on-disk queue file format (documented in docs/queue.md):
//
//   OUTPOST-QUEUE 1\n
//   size=000000000001234\n          content size in bytes, fixed width (rewritten in place)
//   envelope={...json...}\n          sender, recipients, DSN, arrival time, client info
//   content\n
//   <exactly `size` bytes of message content: header, empty line, body>
//   end\n                            a file without this marker is incomplete or corrupt
//   status={...json...}\n            zero or more appended per-recipient status records
//   expire\n                         postsuper -e/-f: bounce at the next delivery attempt
//
// The envelope comes first so mailq reads a few kilobytes per message; status records are
// appended after the content so delivery agents never rewrite the file.
import { open, type FileHandle } from 'node:fs/promises';
import type { Envelope, ReceiveContext } from './types.js';

export const MAGIC = 'OUTPOST-QUEUE 1\n';
const SIZE_PREFIX = 'size=';
export const SIZE_DIGITS = 15;
/** Byte offset of the size digits: they are rewritten once the content size is known. */
export const SIZE_OFFSET = MAGIC.length + SIZE_PREFIX.length;
const ENVELOPE_PREFIX = 'envelope=';
const CONTENT_MARKER = 'content\n';
export const END_MARKER = 'end\n';
const STATUS_PREFIX = 'status=';
const EXPIRE_RECORD = 'expire';

/** What the queue keeps about a message besides its content. */
export interface QueueEnvelope extends Envelope {
  /** Arrival time, milliseconds since the epoch (mailq shows it; bounces use it for age). */
  arrivalTime: number;
  /** Who handed it in, for log lines and for pickup/requeue decisions. */
  context: ReceiveContext;
  /** Full name for a From: header cleanup may add (sendmail -F). */
  senderFullName?: string;
}

/** One delivery outcome for one recipient; the latest record per recipient wins. */
export interface RecipientStatus {
  /** Index into envelope.recipients. */
  rcpt: number;
  /** sent, bounced and expired are final; deferred means try again later. */
  status: 'sent' | 'bounced' | 'deferred' | 'expired';
  /** Enhanced status code, e.g. "4.3.2". */
  dsn?: string;
  /** Text shown by mailq in parentheses and used in bounce reports. */
  reason?: string;
  /** "relay=" value for the log, e.g. "mail.isp.example[192.0.2.1]:587". */
  relay?: string;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface QueueFileSummary {
  envelope: QueueEnvelope;
  /** Content size in bytes (header + body as stored): Postfix's message_size. */
  size: number;
  /** Byte offset where the content starts. */
  contentOffset: number;
  statuses: RecipientStatus[];
  forcedExpire: boolean;
}

export class CorruptQueueFileError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: corrupt queue file: ${detail}`);
    this.name = 'CorruptQueueFileError';
  }
}

export function sizeField(size: number): string {
  return String(size).padStart(SIZE_DIGITS, '0');
}

/** Everything before the content. The size may be a placeholder, patched at commit. */
export function encodePreamble(envelope: QueueEnvelope, size: number): Buffer {
  return Buffer.from(
    `${MAGIC}${SIZE_PREFIX}${sizeField(size)}\n${ENVELOPE_PREFIX}${JSON.stringify(envelope)}\n${CONTENT_MARKER}`,
    'utf8',
  );
}

export function encodeStatusRecord(status: RecipientStatus): string {
  return `${STATUS_PREFIX}${JSON.stringify(status)}\n`;
}

export function encodeExpireRecord(): string {
  return `${EXPIRE_RECORD}\n`;
}

/** Latest status per recipient index. */
export function latestStatuses(statuses: RecipientStatus[]): Map<number, RecipientStatus> {
  const latest = new Map<number, RecipientStatus>();
  for (const s of statuses) latest.set(s.rcpt, s);
  return latest;
}

/** Recipients still to be delivered (no final status yet), in envelope order. */
export function pendingRecipients(summary: QueueFileSummary): number[] {
  const latest = latestStatuses(summary.statuses);
  const out: number[] = [];
  summary.envelope.recipients.forEach((_r, i) => {
    const s = latest.get(i);
    if (!s || s.status === 'deferred') out.push(i);
  });
  return out;
}

function fail(path: string, detail: string): never {
  throw new CorruptQueueFileError(path, detail);
}

/** Parse the envelope part and the trailer of a queue file without reading the content. */
export async function readQueueFile(path: string): Promise<QueueFileSummary> {
  const fh = await open(path, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    return await readQueueImage(fh, path, 0, fileSize);
  } finally {
    await fh.close();
  }
}

/**
 * Parse a queue file image that starts at `start` and is `length` bytes long: a whole queue
 * file, or one message inside a queue segment (segment-records.ts), whose image ends at its
 * end marker (its status records live in the segment's state log). Offsets in the result
 * are relative to `start`.
 */
export async function readQueueImage(
  fh: FileHandle,
  path: string,
  start: number,
  length: number,
): Promise<QueueFileSummary> {
  // The preamble is normally small; read more only when the envelope line is long.
  let head = Buffer.alloc(0);
  let newlines: number[] = [];
  for (let want = 16384; ; want *= 4) {
    const buf = Buffer.alloc(Math.min(want, length));
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    head = buf.subarray(0, bytesRead);
    newlines = [];
    for (let i = head.indexOf(10); i >= 0 && newlines.length < 4; i = head.indexOf(10, i + 1))
      newlines.push(i);
    if (newlines.length >= 4 || bytesRead >= length) break;
  }
  if (newlines.length < 4) fail(path, 'truncated envelope');
  const line = (n: number): string =>
    head.subarray(n === 0 ? 0 : newlines[n - 1]! + 1, newlines[n]!).toString('utf8');
  if (line(0) + '\n' !== MAGIC) fail(path, 'bad magic line');
  const sizeLine = line(1);
  if (!sizeLine.startsWith(SIZE_PREFIX) || !/^\d+$/.test(sizeLine.slice(SIZE_PREFIX.length))) {
    fail(path, 'bad size record');
  }
  const size = Number(sizeLine.slice(SIZE_PREFIX.length));
  const envLine = line(2);
  if (!envLine.startsWith(ENVELOPE_PREFIX)) fail(path, 'missing envelope record');
  let envelope: QueueEnvelope;
  try {
    envelope = JSON.parse(envLine.slice(ENVELOPE_PREFIX.length)) as QueueEnvelope;
  } catch {
    fail(path, 'unparsable envelope record');
  }
  if (typeof envelope.sender !== 'string' || !Array.isArray(envelope.recipients)) {
    fail(path, 'envelope lacks sender or recipients');
  }
  if (line(3) + '\n' !== CONTENT_MARKER) fail(path, 'missing content marker');
  const contentOffset = newlines[3]! + 1;
  const trailerOffset = contentOffset + size;
  if (trailerOffset + END_MARKER.length > length) fail(path, 'content shorter than its size record');
  const trailer = Buffer.alloc(length - trailerOffset);
  await fh.read(trailer, 0, trailer.length, start + trailerOffset);
  const text = trailer.toString('utf8');
  if (!text.startsWith(END_MARKER)) fail(path, 'missing end marker');
  const { statuses, forcedExpire } = parseTrailerRecords(path, text.slice(END_MARKER.length));
  return { envelope, size, contentOffset, statuses, forcedExpire };
}

/** The status and expire records after the end marker. */
function parseTrailerRecords(
  path: string,
  text: string,
): { statuses: RecipientStatus[]; forcedExpire: boolean } {
  const statuses: RecipientStatus[] = [];
  let forcedExpire = false;
  const records = text.split('\n');
  // A final fragment without "\n" is a status append cut short by a crash: ignore it.
  records.pop();
  for (const rec of records) {
    if (rec === EXPIRE_RECORD) forcedExpire = true;
    else if (rec.startsWith(STATUS_PREFIX)) {
      try {
        statuses.push(JSON.parse(rec.slice(STATUS_PREFIX.length)) as RecipientStatus);
      } catch {
        fail(path, 'unparsable status record');
      }
    } else fail(path, `unknown record "${rec.slice(0, 40)}"`);
  }
  return { statuses, forcedExpire };
}
