// postmap's and postalias's command lines: Postfix's option letters, parsed like Postfix's
// GETOPT on Linux (glibc getopt with "+": options end at the first table name, as
// `postmap file -q key` in Postfix tries to build a file named "-q"), with Postfix's conflict
// and usage messages.

/** What differs between the two commands' command lines. */
export interface ToolSpec {
  prog: 'postmap' | 'postalias';
  usage: string;
  optstring: string;
}

export const POSTMAP: ToolSpec = {
  prog: 'postmap',
  usage: 'usage: postmap [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] [map_type:]file...',
  optstring: 'bc:d:fFhimnNopq:rsuUvw',
};

export const POSTALIAS: ToolSpec = {
  prog: 'postalias',
  usage: 'usage: postalias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...',
  optstring: 'Nc:d:finopq:rsuvw',
};

let running: ToolSpec = POSTMAP;

/**
 * The command this process runs, named in every message (Postfix's msg_vstream_init(argv[0])).
 * Set once by the entry point; postmap is the default.
 */
export function runningTool(): ToolSpec {
  return running;
}

export function setRunningTool(tool: ToolSpec): void {
  running = tool;
}

export class Fatal extends Error {}

export interface Flags {
  query?: string;
  deleteKey?: string;
  sequence: boolean;
  incremental: boolean;
  foldCase: boolean;
  nul?: boolean;
  duplicates: 'warn' | 'ignore' | 'replace';
  asOwner: boolean;
  savePerm: boolean;
  configDir?: string;
  headerBodyMime: boolean;
  fileValues: boolean;
  args: string[];
}

/** glibc getopt in "+" mode: no argument permutation, "--" ends the options. */
export function getopt(argv: string[]): { opts: [string, string | undefined][]; args: string[] } {
  const { prog, usage, optstring } = running;
  const opts: [string, string | undefined][] = [];
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      args.push(...argv.slice(i));
      break;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const at = optstring.indexOf(c);
      if (at < 0 || c === ':') {
        process.stderr.write(`${prog}: invalid option -- '${c}'\n`);
        throw new Fatal(usage);
      }
      if (optstring[at + 1] === ':') {
        let value = a.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) {
            process.stderr.write(`${prog}: option requires an argument -- '${c}'\n`);
            throw new Fatal(usage);
          }
          value = argv[++i]!;
        }
        opts.push([c, value]);
        break;
      }
      opts.push([c, undefined]);
    }
  }
  return { opts, args };
}

export function parseFlags(argv: string[]): Flags {
  const { opts, args } = getopt(argv);
  const f: Flags = {
    sequence: false,
    incremental: false,
    foldCase: true,
    duplicates: 'warn',
    asOwner: true,
    savePerm: true,
    headerBodyMime: false,
    fileValues: false,
    args,
  };
  for (const [c, v] of opts) {
    switch (c) {
      case 'N':
        f.nul = true;
        break;
      case 'n':
        f.nul = false;
        break;
      case 'c':
        f.configDir = v;
        break;
      case 'd':
        if (f.sequence || f.query !== undefined || f.deleteKey !== undefined)
          throw new Fatal('specify only one of -s -q or -d');
        f.deleteKey = v;
        break;
      case 'q':
        if (f.sequence || f.query !== undefined || f.deleteKey !== undefined)
          throw new Fatal('specify only one of -s -q or -d');
        f.query = v;
        break;
      case 's':
        if (f.query !== undefined || f.deleteKey !== undefined)
          throw new Fatal('specify only one of -s or -q or -d');
        f.sequence = true;
        break;
      case 'f':
        f.foldCase = false;
        break;
      case 'i':
        f.incremental = true;
        break;
      case 'o':
        f.asOwner = false;
        break;
      case 'p':
        f.savePerm = false;
        break;
      case 'r':
        f.duplicates = 'replace';
        break;
      case 'w':
        f.duplicates = 'ignore';
        break;
      case 'b':
      case 'h':
      case 'm':
        f.headerBodyMime = true;
        break;
      case 'F':
        f.fileValues = true;
        break;
      // -u, -U (UTF-8 request overrides) and -v (verbose) are accepted and ignored.
    }
  }
  return f;
}
