// The two files of a queue segment (docs/queue.md, "Segments"):
//
//   segment/<name>        the messages, appended only by the daemon that created it:
//                           OUTPOST-SEGMENT 1\n
//                           message <queue id> <queue> <length>\n<length bytes>   repeated
//                         where the bytes are exactly a queue file up to its "end\n" marker.
//   segment/<name>.state  the messages' later history, appended by any queue tool:
//                           \nmove <id> <from> <to|-> <tag> .
//                           \nstatus <id> <json> .
//                           \nexpire <id> .
//
// Every state record starts with "\n" and ends with " .": a record cut short by a crash is
// closed by the next writer's leading "\n" and then fails to parse (no " ." or bad JSON), so
// it is ignored instead of swallowing the record after it. A move applies only when the
// message is in <from> at that point of the log (compare-and-set in log order); the writer's
// tag tells it whether its own move won. "-" as <to> means the message left the segment
// (delivered, deleted, or copied out into a queue file of its own).
import { isQueueName, type QueueName } from './layout.js';
import type { RecipientStatus } from './queue-file.js';

export const SEGMENT_MAGIC = 'OUTPOST-SEGMENT 1\n';
export const STATE_SUFFIX = '.state';

/** The queues a message may be in while it lives in a segment. */
export const SEGMENT_QUEUES: readonly QueueName[] = ['incoming', 'hold', 'active'];

export function isSegmentQueue(q: QueueName): boolean {
  return SEGMENT_QUEUES.includes(q);
}

/** Segment names sort by creation time: 12 hex digits of milliseconds, then the pid. */
export function segmentName(now = Date.now(), pid = process.pid): string {
  return `${now.toString(16).padStart(12, '0')}-${pid}`;
}

export function isSegmentName(name: string): boolean {
  return /^[0-9a-f]{12}-\d+$/.test(name);
}

export function encodeMessageHeader(id: string, queue: QueueName, length: number): string {
  return `message ${id} ${queue} ${length}\n`;
}

export interface MessageHeader {
  id: string;
  queue: QueueName;
  length: number;
}

/** Parse "message <id> <queue> <length>" (without the newline); undefined if malformed. */
export function parseMessageHeader(line: string): MessageHeader | undefined {
  const m = /^message (\S+) (\S+) (\d+)$/.exec(line);
  if (!m || !isQueueName(m[2]!) || !isSegmentQueue(m[2])) return undefined;
  return { id: m[1]!, queue: m[2], length: Number(m[3]) };
}

export type StateRecord =
  | { kind: 'move'; id: string; from: QueueName; to: QueueName | '-'; tag: string }
  | { kind: 'status'; id: string; status: RecipientStatus }
  | { kind: 'expire'; id: string };

function recordLine(r: StateRecord): string {
  switch (r.kind) {
    case 'move':
      return `move ${r.id} ${r.from} ${r.to} ${r.tag} .`;
    case 'status':
      return `status ${r.id} ${JSON.stringify(r.status)} .`;
    case 'expire':
      return `expire ${r.id} .`;
  }
}

/** One append: every record on its own line, each preceded by "\n". */
export function encodeStateRecords(records: readonly StateRecord[]): Buffer {
  return Buffer.from(records.map((r) => `\n${recordLine(r)}`).join('') + '\n', 'utf8');
}

/** Parse one complete line of a state log; undefined for blank, torn or foreign lines. */
export function parseStateLine(line: string): StateRecord | undefined {
  if (!line.endsWith(' .')) return undefined;
  const body = line.slice(0, -2);
  const sp1 = body.indexOf(' ');
  if (sp1 < 0) return undefined;
  const kind = body.slice(0, sp1);
  const rest = body.slice(sp1 + 1);
  if (kind === 'expire') return /^\S+$/.test(rest) ? { kind, id: rest } : undefined;
  if (kind === 'move') {
    const f = rest.split(' ');
    if (f.length !== 4) return undefined;
    const [id, from, to, tag] = f as [string, string, string, string];
    if (!isQueueName(from) || (to !== '-' && !isQueueName(to))) return undefined;
    return { kind, id, from, to, tag };
  }
  if (kind === 'status') {
    const sp2 = rest.indexOf(' ');
    if (sp2 < 0) return undefined;
    try {
      const status = JSON.parse(rest.slice(sp2 + 1)) as RecipientStatus;
      if (typeof status !== 'object' || status === null || typeof status.rcpt !== 'number') return undefined;
      return { kind, id: rest.slice(0, sp2), status };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
