// Command-line grammar of Postfix's sendmail(1): getopt-style single-letter options, some
// with an argument glued on or in the next word (-fsender / -f sender, -oi, -bs), grouping of
// flags (-ti), "--" ends options; what follows are recipients. Options Postfix accepts and
// ignores are accepted and ignored here too.
export type SendmailMode = 'deliver' | 'smtp' | 'mailq' | 'newaliases' | 'flush' | 'verify';

export interface SendmailOptions {
  mode: SendmailMode;
  extractRecipients: boolean;
  ignoreDots: boolean;
  sender?: string;
  fullName?: string;
  configDir?: string;
  notify?: string[];
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  body?: '7BIT' | '8BITMIME';
  verbose: boolean;
  recipients: string[];
  /** -qR site / -qI id: selective flush (not supported by the daemon yet; treated as -q). */
  flushSelector?: string;
  /** Postfix-worded warnings about options that were ignored (bad -N / -R values). */
  warnings: string[];
}

/** A fatal command-line problem. `getopt`: say "usage" after it, as getopt failures do. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly getopt = false,
  ) {
    super(message);
  }
}

/** Options that take an argument (from Postfix sendmail's getopt string). */
const WITH_ARG = new Set([
  'A',
  'B',
  'C',
  'F',
  'L',
  'N',
  'O',
  'R',
  'V',
  'X',
  'b',
  'e',
  'f',
  'h',
  'o',
  'p',
  'r',
  'q',
]);

/** Strip <...> around a sender; "<>" is the null sender. */
export function cleanSender(value: string): string {
  const t = value.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}

export function parseSendmailArgs(argv: string[], invokedAs = 'sendmail'): SendmailOptions {
  const o: SendmailOptions = {
    mode: 'deliver',
    extractRecipients: false,
    ignoreDots: false,
    verbose: false,
    recipients: [],
    warnings: [],
  };
  if (invokedAs === 'newaliases') o.mode = 'newaliases';
  if (invokedAs === 'mailq') o.mode = 'mailq';
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    // "-q" alone means "flush now"; -q with an interval (-q30m) is ignored, as in Postfix.
    if (word === '-q') {
      o.mode = 'flush';
      continue;
    }
    for (let k = 1; k < word.length; k++) {
      const letter = word[k]!;
      let arg: string | undefined;
      if (WITH_ARG.has(letter)) {
        arg = word.slice(k + 1);
        if (arg === '') {
          arg = argv[++i];
          if (arg === undefined) throw new UsageError(`option requires an argument -- '${letter}'`, true);
        }
        k = word.length;
      }
      applyOption(o, letter, arg);
    }
  }
  o.recipients.push(...argv.slice(i));
  return o;
}

function applyOption(o: SendmailOptions, letter: string, arg: string | undefined): void {
  switch (letter) {
    case 't':
      o.extractRecipients = true;
      return;
    case 'i':
      o.ignoreDots = true;
      return;
    case 'v':
      o.verbose = true;
      return;
    case 'I':
      o.mode = 'newaliases';
      return;
    case 'f':
    case 'r':
      o.sender = cleanSender(arg!);
      return;
    case 'F':
      o.fullName = arg!;
      return;
    case 'C':
      o.configDir = arg!;
      return;
    case 'o':
      // -oi: dots; -om -o7 -o8 -ox and others: ignored, as in Postfix.
      if (arg === 'i') o.ignoreDots = true;
      return;
    case 'b':
      switch (arg) {
        case 's':
          o.mode = 'smtp';
          return;
        case 'p':
          o.mode = 'mailq';
          return;
        case 'i':
          o.mode = 'newaliases';
          return;
        case 'm':
          o.mode = 'deliver';
          return;
        case 'v':
          o.mode = 'verify';
          return;
        case 'h':
        case 'H':
          return;
        case 'd':
          throw new UsageError('-bd option is not supported: run "outpost start" instead');
        default:
          throw new UsageError(`unsupported: -b${arg ?? ''}`);
      }
    case 'q':
      // -qRsite / -qIqueueid / -qSsite: selective flush; -q<interval>: ignored.
      if (/^[RIS]/.test(arg!)) {
        o.mode = 'flush';
        o.flushSelector = arg!;
      }
      return;
    case 'N': {
      // Postfix warns and ignores a bad -N (checked with Postfix 3.7 sendmail).
      const words = arg!.split(',').map((w) => w.trim());
      const allowed = new Set(['SUCCESS', 'FAILURE', 'DELAY', 'NEVER']);
      const bad = words.find((w) => !allowed.has(w.toUpperCase()));
      if (bad !== undefined) {
        o.warnings.push(
          `unknown DSN NOTIFY command value "${bad}" in "${arg}"`,
          'bad -N option value -- ignored',
        );
      } else if (words.some((w) => w.toUpperCase() === 'NEVER') && words.length > 1) {
        o.warnings.push('bad -N option value -- ignored');
      } else o.notify = words.map((w) => w.toUpperCase());
      return;
    }
    case 'R': {
      const v = arg!.toUpperCase();
      if (v !== 'FULL' && v !== 'HDRS') o.warnings.push('bad -R option value -- ignored');
      else o.ret = v;
      return;
    }
    case 'V':
      // RFC 3461 ENVID: printable ASCII without "+" and "=" issues; reject controls and space.
      if (!/^[!-~]{1,100}$/.test(arg!)) throw new UsageError(`bad -V option value: ${arg}`);
      o.envid = arg!;
      return;
    case 'B': {
      const v = arg!.toUpperCase();
      if (v !== '7BIT' && v !== '8BITMIME') throw new UsageError('-B option needs 8BITMIME or 7BIT');
      o.body = v;
      return;
    }
    // Accepted and ignored (Postfix sendmail(1)): -A -G -h -L -m -n -O -U -X -x -c -e -p
    case 'A':
    case 'G':
    case 'h':
    case 'L':
    case 'm':
    case 'n':
    case 'O':
    case 'U':
    case 'X':
    case 'x':
    case 'c':
    case 'e':
    case 'p':
      return;
    default:
      throw new UsageError(`invalid option -- '${letter}'`, true);
  }
}
