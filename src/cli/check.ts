// `outpost check [-c DIR] [--json]`: lints main.cf and the tables it names for the classic SOHO
// mistakes (docs/check.md). Exit status 0 without errors, 1 with errors (warnings do not count),
// 64 (EX_USAGE) for a bad command line.
import { fileURLToPath } from 'node:url';
import { resolveConfigDir } from '../config/index.js';
import { checkConfigDir, countBySeverity } from '../check/index.js';
import { formatReport } from '../check/format.js';

const USAGE = 'usage: outpost check [-c config_dir] [--json]';
const EX_USAGE = 64;

export interface CheckIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const processIO: CheckIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

function parseArgs(argv: string[]): { dir?: string; json: boolean } | string {
  let dir: string | undefined;
  let json = false;
  let sawCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') json = true;
    else if (a === '-c') {
      const v = argv[++i];
      if (v === undefined) return "option requires an argument -- 'c'";
      dir = v;
    } else if (a.startsWith('-c')) dir = a.slice(2);
    // "outpost [-c DIR] check ..." may be passed through whole.
    else if (a === 'check' && !sawCommand) sawCommand = true;
    else return `unexpected argument "${a}"`;
  }
  return dir === undefined ? { json } : { dir, json };
}

export async function runCheck(argv: string[], io: CheckIO = processIO): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr(`outpost check: ${args}\n${USAGE}\n`);
    return EX_USAGE;
  }
  const dir = resolveConfigDir(args.dir, io.env);
  const findings = await checkConfigDir(dir);
  const counts = countBySeverity(findings);
  if (args.json) {
    io.stdout(JSON.stringify({ configDir: dir, findings, counts }, null, 2) + '\n');
  } else {
    io.stdout(formatReport(findings));
  }
  return counts.error > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  runCheck(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`outpost check: fatal: ${err.stack ?? err.message}\n`);
      process.exitCode = 70;
    },
  );
}
