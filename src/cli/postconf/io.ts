// Output channels for postconf, with Postfix's message prefixes
// ("postconf: warning: ...", "postconf: fatal: ..." and exit status 1).

export class FatalExit extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

/** Postfix's message output replaces non-printable characters with '?'. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

export interface PostconfIO {
  out: (text: string) => void;
  err: (text: string) => void;
  progname: string;
}

export class Reporter {
  private readonly chunks: string[] = [];
  constructor(readonly io: PostconfIO) {}

  /** Buffered stdout (flushed before deferred warnings and at exit, like a stdio stream). */
  print(text: string): void {
    this.chunks.push(text);
  }

  flush(): void {
    if (this.chunks.length === 0) return;
    this.io.out(this.chunks.join(''));
    this.chunks.length = 0;
  }

  warn(message: string): void {
    this.io.err(`${this.io.progname}: warning: ${printable(message)}\n`);
  }

  fatal(message: string): never {
    throw new FatalExit(message);
  }
}
