// postconf command-line options, checked for conflicts the way Postfix 3.7's
// postconf does ("specify one of ...", "with option X, do not specify Y").
import type { Reporter } from './io.js';

export const enum Mode {
  ShowNonDef = 1 << 0, // -n
  ShowDefs = 1 << 1, // -d
  EditConf = 1 << 2, // -e
  ShowMaps = 1 << 3, // -m
  ShowLocks = 1 << 4, // -l
  ShowEval = 1 << 5, // -x
  SaslServ = 1 << 6, // -a
  SaslClnt = 1 << 7, // -A
  FoldLine = 1 << 8, // -f
  HideName = 1 << 9, // -h
  HideValue = 1 << 10, // -H
  MasterEntry = 1 << 11, // -M
  MasterFld = 1 << 12, // -F
  MasterParam = 1 << 13, // -P
  MasterPP = 1 << 14, // -PP
  CommentOut = 1 << 15, // -#
  EditExcl = 1 << 16, // -X
  MainParam = 1 << 17, // -p
  MainOver = 1 << 18, // -o
  ParamClass = 1 << 19, // -C
  ExpDsnTempl = 1 << 20, // -b
  DumpDsnTempl = 1 << 21, // -t
  ShowTls = 1 << 22, // -T
}

/** Option names in the order Postfix lists them in messages. */
const OPTION_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['-a', Mode.SaslServ],
  ['-A', Mode.SaslClnt],
  ['-b', Mode.ExpDsnTempl],
  ['-C', Mode.ParamClass],
  ['-d', Mode.ShowDefs],
  ['-e', Mode.EditConf],
  ['-f', Mode.FoldLine],
  ['-F', Mode.MasterFld],
  ['-h', Mode.HideName],
  ['-H', Mode.HideValue],
  ['-l', Mode.ShowLocks],
  ['-m', Mode.ShowMaps],
  ['-M', Mode.MasterEntry],
  ['-n', Mode.ShowNonDef],
  ['-o', Mode.MainOver],
  ['-p', Mode.MainParam],
  ['-P', Mode.MasterParam],
  ['-t', Mode.DumpDsnTempl],
  ['-T', Mode.ShowTls],
  ['-x', Mode.ShowEval],
  ['-X', Mode.EditExcl],
  ['-#', Mode.CommentOut],
  ['-PP', Mode.MasterPP],
];

const EDITS = Mode.EditConf | Mode.CommentOut | Mode.EditExcl;

/** Groups of options of which at most one may be given. */
export const INCOMPATIBLE: readonly number[] = [
  Mode.SaslServ |
    Mode.SaslClnt |
    Mode.ExpDsnTempl |
    Mode.ShowLocks |
    Mode.ShowMaps |
    Mode.DumpDsnTempl |
    Mode.MainParam |
    Mode.MasterEntry |
    Mode.MasterFld |
    Mode.MasterParam |
    Mode.ShowTls,
  Mode.MasterPP | EDITS,
  Mode.ShowDefs | Mode.ShowNonDef | EDITS,
  Mode.FoldLine | EDITS,
  Mode.ShowEval | EDITS,
  Mode.MainOver | Mode.ShowDefs | EDITS,
  Mode.HideName | EDITS | Mode.HideValue,
];

/** [option, options allowed with it]. */
const COMPATIBLE: ReadonlyArray<readonly [number, number]> = [
  [Mode.SaslServ, 0],
  [Mode.SaslClnt, 0],
  [Mode.ExpDsnTempl, 0],
  [Mode.ShowLocks, 0],
  [Mode.ShowMaps, 0],
  [Mode.ShowTls, 0],
  [Mode.DumpDsnTempl, 0],
  [
    Mode.MainParam,
    EDITS |
      Mode.FoldLine |
      Mode.HideName |
      Mode.ParamClass |
      Mode.ShowEval |
      Mode.ShowDefs |
      Mode.ShowNonDef |
      Mode.MainOver |
      Mode.HideValue,
  ],
  [Mode.MasterEntry, EDITS | Mode.FoldLine | Mode.MainOver | Mode.ShowEval],
  [
    Mode.MasterFld,
    Mode.EditConf | Mode.FoldLine | Mode.HideName | Mode.MainOver | Mode.ShowEval | Mode.HideValue,
  ],
  [
    Mode.MasterParam,
    Mode.EditConf |
      Mode.EditExcl |
      Mode.FoldLine |
      Mode.HideName |
      Mode.MainOver |
      Mode.ShowEval |
      Mode.HideValue |
      Mode.MasterPP,
  ],
  [
    Mode.MasterPP,
    Mode.FoldLine | Mode.HideName | Mode.MainOver | Mode.ShowEval | Mode.HideValue | Mode.MasterParam,
  ],
  [Mode.ParamClass, Mode.MainParam | Mode.ShowDefs | Mode.ShowNonDef],
];

export function optionNames(mask: number): string {
  const names: string[] = [];
  let rest = mask;
  for (const [name, bit] of OPTION_NAMES) {
    if ((rest & bit) !== 0) {
      names.push(name);
      rest &= ~bit;
    }
  }
  return names.join(' ');
}

const popcount = (n: number): number => {
  let c = 0;
  for (let x = n; x !== 0; x &= x - 1) c++;
  return c;
};

export interface ParsedArgs {
  mode: number;
  configDir: string | undefined;
  paramClass: string | undefined;
  overrides: string[];
  names: string[];
}

export const USAGE =
  'usage: postconf [-a (server SASL types)] [-A (client SASL types)] [-b (bounce templates)] [-c config_dir] [-c param_class] [-d (parameter defaults)] [-e (edit configuration)] [-f (fold lines)] [-F (master.cf fields)] [-h (no names)] [-H (no values)] [-l (lock types)] [-m (map types)] [-M (master.cf)] [-n (non-default parameters)] [-o name=value (override parameter value)] [-p (main.cf, default)] [-P (master.cf parameters)] [-t (bounce templates)] [-T compile-version|run-version|public-key-algorithms] [-v (verbose)] [-x (expand parameter values)] [-X (exclude)] [-# (comment-out)] [name...]';

const FLAG_OPTIONS: Record<string, number> = {
  a: Mode.SaslServ,
  A: Mode.SaslClnt,
  b: Mode.ExpDsnTempl,
  d: Mode.ShowDefs,
  e: Mode.EditConf,
  f: Mode.FoldLine,
  F: Mode.MasterFld,
  '#': Mode.CommentOut,
  h: Mode.HideName,
  H: Mode.HideValue,
  l: Mode.ShowLocks,
  m: Mode.ShowMaps,
  M: Mode.MasterEntry,
  n: Mode.ShowNonDef,
  p: Mode.MainParam,
  t: Mode.DumpDsnTempl,
  x: Mode.ShowEval,
  X: Mode.EditExcl,
};

/**
 * getopt("+aAbc:C:deEfFhHlmMno:pPtT:vxX#"): options stop at the first non-option
 * word, as Postfix does on Linux.
 */
export function parseArgs(argv: string[], report: Reporter, progname: string): ParsedArgs {
  let mode = 0;
  let configDir: string | undefined;
  let paramClass: string | undefined;
  const overrides: string[] = [];
  let i = 0;
  const usage = (): never => report.fatal(USAGE.replace('postconf', progname));
  for (; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    for (let j = 1; j < word.length; j++) {
      const c = word[j] as string;
      if ('cCoT'.includes(c)) {
        let value = word.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) {
            report.io.err(`${progname}: option requires an argument -- '${c}'\n`);
            usage();
          }
          value = argv[++i] as string;
        }
        if (c === 'c') configDir = value;
        else if (c === 'C') {
          paramClass = value;
          mode |= Mode.ParamClass;
        } else if (c === 'o') {
          mode |= Mode.MainOver;
          overrides.push(value);
        } else {
          mode |= Mode.ShowTls;
        }
        break;
      }
      if (c === 'P') {
        mode |= (mode & Mode.MasterParam) !== 0 ? Mode.MasterPP : Mode.MasterParam;
        continue;
      }
      if (c === 'v' || c === 'E') continue;
      const bit = FLAG_OPTIONS[c];
      if (bit === undefined) {
        report.io.err(`${progname}: invalid option -- '${c}'\n`);
        usage();
      }
      mode |= bit as number;
    }
  }
  const names = argv.slice(i);
  // Default: show main.cf parameters; a name=value argument means -e.
  if ((mode & (INCOMPATIBLE[0] as number)) === 0) mode |= Mode.MainParam;
  const mainOrMaster = Mode.MainParam | Mode.MasterEntry | Mode.MasterFld | Mode.MasterParam;
  if ((mode & mainOrMaster) !== 0 && names[0] !== undefined && names[0].includes('=')) mode |= Mode.EditConf;
  for (const group of INCOMPATIBLE) {
    const set = group & mode;
    if (popcount(set) > 1) report.fatal(`specify one of ${optionNames(set)}`);
  }
  for (const [opt, allowed] of COMPATIBLE) {
    const excess = mode & ~(opt | allowed);
    if ((mode & opt) !== 0 && excess !== 0) {
      report.fatal(`with option ${optionNames(opt)}, do not specify ${optionNames(excess)}`);
    }
  }
  if ((mode & Mode.EditConf) !== 0 && names.length === 0) report.fatal('-e requires name=value argument');
  return { mode, configDir, paramClass, overrides, names };
}
