// Postfix-style queue IDs (mail_queue.c get_file_id / enable_long_queue_ids).
// Short form: 5 upper-case hex digits of the microseconds, then the inode number in hex.
// Long form: seconds (base 52, at least 6 chars), microseconds (base 52, exactly 4 chars),
// the separator "z", then the inode number (base 51, so it never contains "z").
// An ID is unique while its file exists because two existing files never share an inode on
// one file system, and the time part is fixed-width so the split is unambiguous. The
// non-inode part must not repeat within one second: Message-Ids are built from it.

/** Postfix's "safe" alphabet: digits and consonants, upper case then lower case. */
const SAFE_ALPHABET = '0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz';
const LONG_SEPARATOR = 'z';
const SHORT_USEC_WIDTH = 5;
const LONG_SEC_MIN_WIDTH = 6;
const LONG_USEC_WIDTH = 4;

function encodeSafe(value: bigint, base: number, minWidth: number): string {
  const b = BigInt(base);
  let out = '';
  let v = value;
  do {
    out = SAFE_ALPHABET[Number(v % b)]! + out;
    v /= b;
  } while (v > 0n);
  return out.padStart(minWidth, '0');
}

function decodeSafe(text: string, base: number): bigint | undefined {
  let v = 0n;
  for (const ch of text) {
    const digit = SAFE_ALPHABET.indexOf(ch);
    if (digit < 0 || digit >= base) return undefined;
    v = v * BigInt(base) + BigInt(digit);
  }
  return text.length > 0 ? v : undefined;
}

/** Wall-clock time with microseconds (Date has only milliseconds). */
export function nowMicros(): { seconds: number; micros: number } {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return { seconds: Math.floor(us / 1e6), micros: us % 1e6 };
}

export function makeQueueId(
  inode: bigint | number,
  long: boolean,
  when: { seconds: number; micros: number } = nowMicros(),
): string {
  const ino = BigInt(inode);
  if (!long) {
    return (
      when.micros.toString(16).toUpperCase().padStart(SHORT_USEC_WIDTH, '0') + ino.toString(16).toUpperCase()
    );
  }
  return (
    encodeSafe(BigInt(when.seconds), 52, LONG_SEC_MIN_WIDTH) +
    encodeSafe(BigInt(when.micros), 52, LONG_USEC_WIDTH) +
    LONG_SEPARATOR +
    encodeSafe(ino, 51, 0)
  );
}

export interface ParsedQueueId {
  long: boolean;
  inode: bigint;
  micros: number;
  /** Only the long form carries the seconds. */
  seconds?: number;
}

const SHORT_RE = /^[0-9A-F]{6,}$/;
const LONG_RE = /^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+$/;

/** Parse a queue ID; undefined when the text is not a well-formed ID of either form. */
export function parseQueueId(id: string): ParsedQueueId | undefined {
  if (LONG_RE.test(id)) {
    const sep = id.lastIndexOf(LONG_SEPARATOR);
    const time = id.slice(0, sep);
    const seconds = decodeSafe(time.slice(0, -LONG_USEC_WIDTH), 52);
    const micros = decodeSafe(time.slice(-LONG_USEC_WIDTH), 52);
    const inode = decodeSafe(id.slice(sep + 1), 51);
    if (seconds === undefined || micros === undefined || inode === undefined || micros >= 1_000_000n)
      return undefined;
    return { long: true, inode, micros: Number(micros), seconds: Number(seconds) };
  }
  if (SHORT_RE.test(id)) {
    const micros = parseInt(id.slice(0, SHORT_USEC_WIDTH), 16);
    if (micros >= 1_000_000) return undefined;
    return { long: false, inode: BigInt('0x' + id.slice(SHORT_USEC_WIDTH)), micros };
  }
  return undefined;
}

/**
 * Queue IDs of segment messages carry a number of at least 2^32 where queue files carry their
 * inode (segment-writer.ts nextPseudoInode); real inode numbers (32 bits on ext4) stay below.
 */
export const SEGMENT_ID_MIN = 1n << 32n;

/** True for an ID made for a segment message (it may since have been copied out to a file). */
export function isSegmentMadeId(id: string): boolean {
  return (parseQueueId(id)?.inode ?? 0n) >= SEGMENT_ID_MIN;
}

export function isQueueId(name: string): boolean {
  return parseQueueId(name) !== undefined;
}

/**
 * The ID a file should have after its inode changed (restore from backup, postsuper -s):
 * keep the time digits, replace the inode part (mail_queue.c's rename logic).
 */
export function queueIdForInode(id: string, inode: bigint | number, long: boolean): string | undefined {
  const parsed = parseQueueId(id);
  if (!parsed) return undefined;
  if (parsed.long && long) {
    return id.slice(0, id.lastIndexOf(LONG_SEPARATOR)) + LONG_SEPARATOR + encodeSafe(BigInt(inode), 51, 0);
  }
  if (!parsed.long) return id.slice(0, SHORT_USEC_WIDTH) + BigInt(inode).toString(16).toUpperCase();
  return (
    parsed.micros.toString(16).toUpperCase().padStart(SHORT_USEC_WIDTH, '0') +
    BigInt(inode).toString(16).toUpperCase()
  );
}

/** Two-digit helpers for the Message-Id time stamp (UTC, like cleanup's gmtime()). */
function utcStamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/**
 * The Message-Id value cleanup adds when a (local-context) message has none:
 * short IDs "<YYYYMMDDHHMMSS.QUEUEID@myhostname>" (UTC time of queue file creation),
 * long IDs "<QUEUEID@myhostname>" because the long ID never repeats.
 */
export function messageIdFor(queueId: string, myhostname: string, created: Date): string {
  if (parseQueueId(queueId)?.long) return `<${queueId}@${myhostname}>`;
  return `<${utcStamp(created)}.${queueId}@${myhostname}>`;
}
