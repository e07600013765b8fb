// What every postmap operation shares: parsed flags plus main.cf settings, batched stdout,
// Postfix-style warnings, and reading keys from standard input.
import { readSync } from 'node:fs';
import type { OpenOptions } from '../maps/types.js';
import { runningTool, type Flags } from './postmap-options.js';

/** Writes to stdout in large chunks (bulk queries print hundreds of thousands of lines). */
export class Output {
  private buf = Buffer.allocUnsafe(1 << 16);
  private used = 0;

  line(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (this.used + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        process.stdout.write(s);
        return;
      }
    }
    this.used += this.buf.write(s, this.used, 'utf8');
  }

  /**
   * "key<TAB>value<NEWLINE>" from bytes, without making strings (postmap -q -); postalias puts
   * a colon before the tab (`withColon`).
   */
  answer(
    key: Uint8Array,
    ko: number,
    kl: number,
    value: Uint8Array,
    vo: number,
    vl: number,
    withColon = false,
  ): void {
    const n = kl + vl + 3;
    if (this.used + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    }
    const b = this.buf;
    let u = this.used;
    for (let i = 0; i < kl; i++) b[u++] = key[ko + i]!;
    if (withColon) b[u++] = 58;
    b[u++] = 9;
    for (let i = 0; i < vl; i++) b[u++] = value[vo + i]!;
    b[u++] = 10;
    this.used = u;
  }

  flush(): void {
    if (this.used === 0) return;
    // A copy: a stream may keep the chunk after write() returns.
    process.stdout.write(Buffer.from(this.buf.subarray(0, this.used)));
    this.used = 0;
  }
}

/**
 * Postfix's logging replaces control characters and invalid UTF-8 in messages with '?'
 * (printable()); table data on stdout is printed as is.
 */
export function printable(message: string): string {
  return message.replace(/[\x00-\x1f\x7f\uFFFD]/g, '?');
}

export function warn(message: string): void {
  process.stderr.write(`${runningTool().prog}: warning: ${printable(message)}\n`);
}

export interface Context {
  flags: Flags;
  defaultType: string;
  utf8: boolean;
  out: Output;
  /** postalias: aliases(5) sources, "@" and NIS signatures, "key:<TAB>value" listings. */
  aliases: boolean;
  /** myhostname, for postalias's YP_MASTER_NAME entry. */
  myhostname: string;
}

/** Between key and value in -q - and -s listings: postmap a tab, postalias a colon and a tab. */
export function listingSeparator(ctx: Context): string {
  return ctx.aliases ? ':\t' : '\t';
}

export function splitMap(ctx: Context, arg: string): { type: string; name: string } {
  const colon = arg.indexOf(':');
  return colon < 0
    ? { type: ctx.defaultType, name: arg }
    : { type: arg.slice(0, colon), name: arg.slice(colon + 1) };
}

export function openOptions(ctx: Context): OpenOptions {
  return {
    foldCase: ctx.flags.foldCase,
    utf8: ctx.utf8,
    warn,
    duplicates: ctx.flags.duplicates,
    ...(ctx.flags.nul !== undefined ? { nulTerminated: ctx.flags.nul } : {}),
  };
}

/**
 * Calls fn for each stdin line (without its newline), streaming. Lines are split on bytes, so
 * a UTF-8 character cut by a chunk boundary is decoded whole.
 */
export async function forEachStdinLine(fn: (line: string) => Promise<void> | void): Promise<void> {
  let carry: Buffer | undefined;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    const buf = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    let pos = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, pos)) {
      const r = fn(buf.toString('utf8', pos, nl));
      if (r !== undefined) await r;
      pos = nl + 1;
    }
    carry = pos < buf.length ? buf.subarray(pos) : undefined;
  }
  if (carry !== undefined) {
    const r = fn(carry.toString('utf8'));
    if (r !== undefined) await r;
  }
}

/**
 * Calls fn with stdin in batches of whole lines (about `max` bytes each): every line in `buf`
 * ends with a newline except, at end of input, a last line without one. Output is buffered
 * anyway (Output), so answering a batch at a time changes nothing a reader of stdout can see
 * before end of input or 64 KiB of answers. fn may overwrite the bytes of its batch.
 *
 * Standard input is read with blocking reads into one buffer (no stream chunks to join);
 * a non-blocking descriptor (EAGAIN) continues through the stream.
 */
export async function forEachStdinBatch(max: number, fn: (buf: Buffer) => Promise<void>): Promise<void> {
  // Pages of the buffer that no read reaches cost nothing.
  let buf = Buffer.allocUnsafe(max + (1 << 16));
  let used = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, used, buf.length - used, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN')
        return streamBatches(max, fn, buf.subarray(0, used));
      // A closed standard input reads as empty (Postfix sees end of file).
      if (['EOF', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '')) break;
      throw err;
    }
    if (n === 0) break;
    used += n;
    if (used < max) continue;
    const cut = buf.lastIndexOf(10, used - 1) + 1;
    if (cut === 0) {
      // One line longer than a batch: make room for more of it.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
      max = bigger.length - (1 << 16);
      continue;
    }
    const next = Buffer.allocUnsafe(buf.length);
    buf.copy(next, 0, cut, used);
    await fn(buf.subarray(0, cut));
    buf = next;
    used -= cut;
  }
  if (used > 0) await fn(buf.subarray(0, used));
}

async function streamBatches(max: number, fn: (buf: Buffer) => Promise<void>, first: Buffer): Promise<void> {
  let parts: Buffer[] = first.length > 0 ? [Buffer.from(first)] : [];
  let size = first.length;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    parts.push(chunk);
    size += chunk.length;
    if (size < max) continue;
    const all = Buffer.concat(parts, size);
    const cut = all.lastIndexOf(10) + 1;
    parts = cut < all.length ? [all.subarray(cut)] : [];
    size = all.length - cut;
    if (cut > 0) await fn(all.subarray(0, cut));
  }
  if (size > 0) await fn(Buffer.concat(parts, size));
}
