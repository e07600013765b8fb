// What every postmap operation shares: parsed flags plus main.cf settings, batched stdout,
// Postfix-style warnings, and reading keys from standard input.
import type { OpenOptions } from '../maps/types.js';
import { PROG, type Flags } from './postmap-options.js';

/** Writes to stdout in large chunks (bulk queries print hundreds of thousands of lines). */
export class Output {
  private parts: string[] = [];
  private bytes = 0;
  line(s: string): void {
    this.parts.push(s);
    this.bytes += s.length;
    if (this.bytes >= 1 << 16) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    process.stdout.write(this.parts.join(''));
    this.parts = [];
    this.bytes = 0;
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
  process.stderr.write(`${PROG}: warning: ${printable(message)}\n`);
}

export interface Context {
  flags: Flags;
  defaultType: string;
  utf8: boolean;
  out: Output;
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
