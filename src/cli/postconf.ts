// postconf(1) for Outpost: shows and edits main.cf/master.cf with the output,
// messages and exit status of Postfix 3.7's postconf.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { resolveConfigDir } from '../config/config-dir.js';
import { describeErrno, parseMainCf } from '../config/main-cf.js';
import { ConfigError } from '../config/errors.js';
import { editMain } from './postconf/edit-main.js';
import { editMaster } from './postconf/edit-master.js';
import { FatalExit, type PostconfIO, Reporter, printable } from './postconf/io.js';
import { buildMasterNameSpaces, readMasterTable } from './postconf/master-table.js';
import { PARAM_CLASS_MASK, ParamFlag, PostconfModel } from './postconf/model.js';
import { Mode, parseArgs } from './postconf/options.js';
import { splitNameValue } from '../config/main-cf.js';
import { showParameters } from './postconf/show-params.js';
import { showMasterEntries, showMasterFields, showMasterParams } from './postconf/show-master.js';

/** Lookup table types Outpost implements (postconf -m). */
export const SUPPORTED_TABLE_TYPES = [
  'btree',
  'cdb',
  'cidr',
  'fail',
  'hash',
  'inline',
  'lmdb',
  'mysql',
  'pcre',
  'pgsql',
  'pipemap',
  'regexp',
  'sqlite',
  'static',
  'texthash',
  'unionmap',
];

const PARAM_CLASS_NAMES: Record<string, number> = {
  builtin: ParamFlag.Builtin,
  service: ParamFlag.Service,
  user: ParamFlag.User,
  all: PARAM_CLASS_MASK,
};

function parseParamClass(text: string, report: Reporter): number {
  let mask = 0;
  for (const word of text.split(/[, \t\r\n]+/).filter(Boolean)) {
    const bit = PARAM_CLASS_NAMES[word.toLowerCase()];
    if (bit === undefined) report.fatal(`unknown -C option value "${word}" in "${text}"`);
    mask |= bit as number;
  }
  return mask;
}

/** A UTF-8 command-line string as a latin1 "byte string". */
function asBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Loads main.cf into the model (pcf_read_parameters), fatal when it cannot be read. */
function readParameters(model: PostconfModel, dirFromEnv: boolean): void {
  if (dirFromEnv) model.mainDict.set('config_directory', asBytes(model.configDir));
  const path = `${model.configDir}/main.cf`;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    return model.report.fatal(`open ${path}: ${describeErrno(err)}`);
  }
  let parsed;
  try {
    parsed = parseMainCf(text, path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const w of err.warningsBefore) model.report.warn(w);
    return model.report.fatal(err.message);
  }
  for (const w of parsed.warnings) model.report.warn(w);
  for (const [name, entry] of parsed.entries) model.mainDict.set(name, entry.value);
}

function applyOverrides(model: PostconfModel, overrides: string[]): void {
  for (const o of overrides) {
    const split = splitNameValue(o);
    if (typeof split === 'string') model.report.fatal(`invalid parameter override: ${o}: ${split}`);
    else model.mainDict.set(split[0], split[1]);
  }
}

function run(argv: string[], io: PostconfIO, env: NodeJS.ProcessEnv): void {
  const report = new Reporter(io);
  const args = parseArgs(argv, report, io.progname);
  const paramClass =
    args.paramClass === undefined ? PARAM_CLASS_MASK : parseParamClass(args.paramClass, report);
  const mode = args.mode;
  const dirFromEnv = args.configDir !== undefined || (env.MAIL_CONFIG ?? '') !== '';
  const configDir = resolveConfigDir(args.configDir, env);
  const model = new PostconfModel(mode, configDir, report);
  const masterPath = `${configDir}/master.cf`;
  // postconf works on bytes: files are read as latin1 (one char per byte) and written
  // back as the same bytes, so parameter names and values from the command line are
  // turned into that form too (the directory name stays a normal string for the file system).
  const names = args.names.map(asBytes);
  args.overrides = args.overrides.map(asBytes);

  if ((mode & Mode.ShowMaps) !== 0) {
    readParameters(model, dirFromEnv);
    for (const t of SUPPORTED_TABLE_TYPES) report.print(`${t}\n`);
  } else if ((mode & Mode.ShowLocks) !== 0) {
    report.print('flock\nfcntl\ndotlock\n');
  } else if (
    (mode & (Mode.MasterEntry | Mode.MasterFld | Mode.MasterParam)) !== 0 &&
    (mode & (Mode.EditConf | Mode.EditExcl | Mode.CommentOut)) === 0
  ) {
    model.master = readMasterTable(masterPath, true, report);
    readParameters(model, dirFromEnv);
    applyOverrides(model, args.overrides);
    model.registerBuiltins();
    model.registerServiceParams();
    buildMasterNameSpaces(model.master);
    model.registerUserParams();
    if ((mode & Mode.MasterFld) !== 0) showMasterFields(model, mode, names);
    else if ((mode & Mode.MasterParam) !== 0) showMasterParams(model, mode, paramClass, names);
    else showMasterEntries(model, mode, names);
    model.flagUnusedMaster();
  } else if (
    (mode & (Mode.SaslServ | Mode.SaslClnt | Mode.ShowTls | Mode.ExpDsnTempl | Mode.DumpDsnTempl)) !==
    0
  ) {
    report.fatal('this postconf option is not supported by Outpost');
  } else if ((mode & (Mode.EditConf | Mode.CommentOut | Mode.EditExcl)) !== 0) {
    if (names.length === 0) report.fatal('missing service argument');
    if ((mode & (Mode.MasterEntry | Mode.MasterFld | Mode.MasterParam)) !== 0) {
      editMaster(mode, configDir, names, report);
    } else {
      editMain(mode, configDir, names, report);
    }
  } else {
    if ((mode & Mode.ShowDefs) === 0) {
      readParameters(model, dirFromEnv);
      applyOverrides(model, args.overrides);
    }
    model.registerBuiltins();
    model.master = readMasterTable(masterPath, false, report);
    model.registerServiceParams();
    if ((mode & Mode.ShowDefs) === 0) {
      buildMasterNameSpaces(model.master);
      model.registerUserParams();
    }
    showParameters(model, mode, paramClass, names);
    if ((mode & Mode.ShowDefs) === 0) {
      model.flagUnusedMain();
      model.flagUnusedMaster();
    }
  }
  report.flush();
}

/** Runs postconf; returns the exit status (0, or 1 after "postconf: fatal: ..."). */
export function postconfMain(argv: string[], io: PostconfIO, env: NodeJS.ProcessEnv = process.env): number {
  try {
    run(argv, io, env);
    return 0;
  } catch (err) {
    if (err instanceof FatalExit) {
      io.err(`${io.progname}: fatal: ${printable(err.text)}\n`);
      return 1;
    }
    throw err;
  }
}

/** Entry point of bin/postconf. */
export function runPostconfCli(): void {
  let stdout = '';
  const io: PostconfIO = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      if (stdout !== '') {
        process.stdout.write(Buffer.from(stdout, 'latin1'));
        stdout = '';
      }
      process.stderr.write(Buffer.from(t, 'latin1'));
    },
    progname: basename(process.argv[1] ?? 'postconf').replace(/\.js$/, ''),
  };
  const status = postconfMain(process.argv.slice(2), io);
  if (stdout !== '') process.stdout.write(Buffer.from(stdout, 'latin1'));
  process.exitCode = status;
}
