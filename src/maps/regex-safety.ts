// ReDoS protection for the pattern tables. V8's RegExp engine backtracks, so a pattern such as
// /^(a+)+$/ can take exponential time on a key an attacker chooses (a sender address, a HELO
// name). Two layers keep a lookup from hanging the daemon:
//
// 1. V8's linear-time engine. --enable-experimental-regexp-engine-on-excessive-backtracks makes
//    V8 re-run a regex on its non-backtracking engine once a match has backtracked too often.
//    That engine cannot run back-references, lookaround or very large counted repeats.
// 2. Every regex the linear engine cannot run goes to a worker thread with a time limit
//    (REGEX_TIME_LIMIT_MS). When the limit passes, the worker is terminated and the rule
//    counts as not matching, with a warning - as Postfix's pcre: tables do when PCRE's
//    backtracking limit is hit ("backtracking limit exceeded").
//
// The V8 flags are process-wide; they change how long a match may take, never its result.
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

/** Wall-clock budget for one regex execution in the worker. */
export const REGEX_TIME_LIMIT_MS = 250;

/**
 * Longest key a regexp: table examines when it searches for the POSIX leftmost-longest match
 * (rules with $n substitution): the search runs one anchored match per candidate end, so it
 * is bounded. Longer keys use the first match.
 */
export const LONGEST_MATCH_SEARCH_LIMIT = 4096;

let linearEngine: boolean | undefined;
/** V8's flag for "compile for the linear-time engine" (exists once the engine is enabled). */
const LINEAR_FLAG = 'l';

/** Turn on V8's linear-time fallback (once per process). */
export function enableLinearRegexFallback(): void {
  if (linearEngine !== undefined) return;
  try {
    setFlagsFromString('--enable-experimental-regexp-engine');
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    new RegExp('a', LINEAR_FLAG);
    linearEngine = true;
  } catch {
    // A V8 without the linear engine: every regex goes through the time-limited worker.
    linearEngine = false;
  }
}

/** Can V8's linear-time engine run this regex (so backtracking can never explode)? */
function runsInLinearTime(re: RegExp): boolean {
  enableLinearRegexFallback();
  if (!linearEngine) return false;
  try {
    new RegExp(re.source, re.flags + LINEAR_FLAG);
    return true;
  } catch {
    return false;
  }
}

export class RegexTimeoutError extends Error {
  constructor() {
    super(`regular expression match exceeded ${REGEX_TIME_LIMIT_MS} ms`);
  }
}

export interface SafeMatch {
  index: number;
  /** Index 0 is the whole match; undefined for groups that did not participate. */
  groups: (string | undefined)[];
}

/** A RegExp that runs directly when it is linear-time safe, else in the time-limited worker. */
export class SafeRegExp {
  private readonly linear: boolean;

  constructor(readonly re: RegExp) {
    this.linear = runsInLinearTime(re);
  }

  /** Like RegExp#exec (lastIndex only matters for sticky regexes); throws RegexTimeoutError. */
  async exec(input: string, lastIndex = 0): Promise<SafeMatch | null> {
    if (this.linear) {
      this.re.lastIndex = lastIndex;
      const m = this.re.exec(input);
      return m ? { index: m.index, groups: [...m] } : null;
    }
    return sandbox.run(this.re.source, this.re.flags, input, lastIndex);
  }
}

// --- the worker ---

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const cache = new Map();
parentPort.on('message', ({ source, flags, input, lastIndex }) => {
  const key = flags + '/' + source;
  let re = cache.get(key);
  if (!re) {
    if (cache.size > 256) cache.clear();
    re = new RegExp(source, flags);
    cache.set(key, re);
  }
  re.lastIndex = lastIndex;
  const m = re.exec(input);
  parentPort.postMessage(m ? { index: m.index, groups: Array.from(m) } : null);
});
`;

interface Job {
  source: string;
  flags: string;
  input: string;
  lastIndex: number;
  resolve: (m: SafeMatch | null) => void;
  reject: (e: Error) => void;
}

/** One worker, one job at a time, so each job's time limit measures only its own match. */
class RegexSandbox {
  private worker: Worker | undefined;
  private online = false;
  private readonly queue: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout | undefined } | undefined;

  run(source: string, flags: string, input: string, lastIndex: number): Promise<SafeMatch | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ source, flags, input, lastIndex, resolve, reject });
      this.next();
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    this.online = false;
    // Worker start-up time must not count against the first job's time limit.
    worker.on('online', () => {
      this.online = true;
      if (this.current && this.current.timer === undefined) this.startTimer();
    });
    worker.on('message', (result: SafeMatch | null) => {
      const current = this.current;
      if (!current) return;
      clearTimeout(current.timer);
      this.current = undefined;
      current.job.resolve(result);
      this.next();
    });
    worker.on('error', (e: Error) => this.fail(e));
    this.worker = worker;
    return worker;
  }

  private fail(e: Error): void {
    const current = this.current;
    this.current = undefined;
    const worker = this.worker;
    this.worker = undefined;
    this.online = false;
    void worker?.terminate();
    if (current) {
      clearTimeout(current.timer);
      current.job.reject(e);
    }
    this.next();
  }

  private next(): void {
    if (this.current) return;
    if (this.queue.length === 0) {
      // An idle worker must not keep the process alive.
      this.worker?.unref();
      return;
    }
    const job = this.queue.shift()!;
    const worker = this.ensureWorker();
    worker.ref();
    this.current = { job, timer: undefined };
    if (this.online) this.startTimer();
    worker.postMessage({ source: job.source, flags: job.flags, input: job.input, lastIndex: job.lastIndex });
  }

  private startTimer(): void {
    const timer = setTimeout(() => this.fail(new RegexTimeoutError()), REGEX_TIME_LIMIT_MS);
    this.current!.timer = timer;
  }
}

const sandbox = new RegexSandbox();
