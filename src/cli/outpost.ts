// outpost [-c DIR] start | stop | reload | status | start-fg | flush
// The control command, like postfix(1): start daemonizes the master (start-fg in a detached
// child) and waits until it reports ready or failed; stop/reload signal the PID in
// $queue_directory/pid/master.pid; flush asks the running master to retry deferred mail.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  loadDaemonConfig,
  resolveDaemonConfigDir,
  type DaemonConfig,
} from '../master/config-adapter.js';
import { Master, StartupError } from '../master/master.js';
import { pidFilePath, processAlive, readRunningPid } from '../master/pidfile.js';
import { sendTrigger, triggerSocketPath } from '../master/trigger.js';
import { mailLogFor } from '../master/logging.js';
import { flushMailLogs } from '../log/maillog.js';
import { EX_UNAVAILABLE, EX_USAGE } from './sysexits.js';

const USAGE =
  'usage: outpost [-c config_dir] start | stop | reload | status | start-fg | flush | check [--json]';
const COMMANDS = new Set(['start', 'stop', 'reload', 'status', 'start-fg', 'flush']);

const say = (text: string): void => {
  process.stdout.write(`outpost: ${text}\n`);
};
const fatal = (text: string, code = 1): number => {
  process.stderr.write(`outpost: fatal: ${text}\n`);
  return code;
};

export function parseOutpostArgs(argv: string[]): { dir?: string; command: string } | string {
  let dir: string | undefined;
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c') {
      dir = argv[++i];
      if (!dir) return 'option -c needs a directory';
    } else if (a.startsWith('-c') && a.length > 2) dir = a.slice(2);
    else if (COMMANDS.has(a) && !command) command = a;
    else return `unknown argument: ${a}`;
  }
  if (!command) return 'missing command';
  return dir ? { dir, command } : { command };
}

/** True when `pid` runs an Outpost master (guards against a recycled PID in a stale file). */
async function isOutpostMaster(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'latin1');
    return cmdline.includes('start-fg');
  } catch {
    return processAlive(pid);
  }
}

async function runningMaster(config: DaemonConfig): Promise<number | undefined> {
  const pid = await readRunningPid(pidFilePath(config.get('queue_directory')));
  return pid !== undefined && (await isOutpostMaster(pid)) ? pid : undefined;
}

/** Signal the master; EPERM means it belongs to another user (started by root). */
function signalMaster(pid: number, signal: NodeJS.Signals): string | undefined {
  try {
    process.kill(pid, signal);
    return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') {
      return `cannot signal the master (PID ${pid}): permission denied; run this command as root or as the user that started Outpost`;
    }
    return `cannot signal the master (PID ${pid}): ${(err as Error).message}`;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !processAlive(pid);
}

async function startForeground(dir: string): Promise<number> {
  // Every queue commit is an fdatasync on libuv's thread pool (4 threads by default), so
  // with many SMTP sessions the pool, not the disk, limited the accept rate. Must be set
  // before the first asynchronous file operation starts the pool.
  process.env.UV_THREADPOOL_SIZE ??= '16';
  const ipc = typeof process.send === 'function';
  let master: Master;
  try {
    master = await Master.start(dir);
  } catch (err) {
    const text = err instanceof StartupError ? err.message : `${(err as Error).stack ?? err}`;
    try {
      mailLogFor(await loadDaemonConfig(dir)).log('master', 'fatal', text);
      await flushMailLogs();
    } catch {
      // The configuration itself is what failed; stderr has the message.
    }
    if (ipc) process.send!({ type: 'failed', message: text });
    return fatal(text);
  }
  process.on('SIGHUP', () => void master.reload());
  const onStop = (signal: number): void => {
    void master.stop(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => onStop(15));
  process.on('SIGINT', () => onStop(2));
  if (ipc) {
    process.send!({ type: 'ready', pid: process.pid });
    process.disconnect?.();
  }
  return new Promise<number>(() => undefined); // runs until a signal stops it
}

async function startDaemon(dir: string, config: DaemonConfig): Promise<number> {
  const running = await runningMaster(config);
  if (running !== undefined) return fatal(`the Outpost mail system is already running (PID ${running})`);
  const logFile = config.get('maillog_file');
  // The daemon's stdout/stderr go to maillog_file. Without one there is nowhere to log in the
  // background: holding our stdout open would hang callers like `x=$(outpost start)`.
  const toFile = Boolean(logFile) && logFile !== '/dev/stdout';
  if (!toFile) {
    process.stderr.write(
      'outpost: warning: maillog_file is not set to a file; the background daemon logs nowhere. ' +
        'Set maillog_file (e.g. /var/log/outpost.log) or run "outpost start-fg"\n',
    );
  }
  const out = toFile ? openSync(logFile, 'a') : 'ignore';
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [script, '-c', dir, 'start-fg'], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
  });
  const outcome = await new Promise<{ ok: boolean; message?: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, message: 'the master did not report ready within 60s' }),
      60_000,
    );
    child.on('message', (m: { type: string; message?: string }) => {
      clearTimeout(timer);
      resolve(m.type === 'ready' ? { ok: true } : { ok: false, message: m.message ?? 'start-up failed' });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `the master exited with status ${code ?? 'unknown'} during start-up` });
    });
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  child.unref();
  if (!outcome.ok) return fatal(outcome.message!);
  say('starting the Outpost mail system');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  // `outpost check` is the configuration checker (src/check); it parses its own options.
  if (argv.some((a, i) => a === 'check' && argv[i - 1] !== '-c')) {
    return (await import('./check.js')).runCheck(argv);
  }
  const parsed = parseOutpostArgs(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`outpost: ${parsed}\n${USAGE}\n`);
    return EX_USAGE;
  }
  const dir = resolveDaemonConfigDir(parsed.dir);
  if (parsed.command === 'start-fg') return startForeground(dir);
  let config: DaemonConfig;
  try {
    config = await loadDaemonConfig(dir);
  } catch (err) {
    if (err instanceof ConfigError) return fatal(err.message);
    throw err;
  }
  const pidFile = pidFilePath(config.get('queue_directory'));
  switch (parsed.command) {
    case 'start':
      return startDaemon(dir, config);
    case 'status': {
      const pid = await runningMaster(config);
      if (pid === undefined) {
        say('the Outpost mail system is not running');
        return 1;
      }
      say(`the Outpost mail system is running: PID: ${pid}`);
      return 0;
    }
    case 'stop': {
      const pid = await runningMaster(config);
      if (pid === undefined) return fatal('the Outpost mail system is not running');
      const stopError = signalMaster(pid, 'SIGTERM');
      if (stopError) return fatal(stopError);
      say('stopping the Outpost mail system');
      const grace = config.time('outpost_shutdown_timeout') * 1000;
      if (!(await waitForExit(pid, grace + 15_000)))
        return fatal(`the master (PID ${pid}) did not stop; it is still running`);
      // A master that dropped privileges cannot remove its PID file under the root-owned pid/.
      await unlink(pidFile).catch(() => undefined);
      return 0;
    }
    case 'reload': {
      const pid = await runningMaster(config);
      if (pid === undefined) return fatal('the Outpost mail system is not running');
      const reloadError = signalMaster(pid, 'SIGHUP');
      if (reloadError) return fatal(reloadError);
      say('refreshing the Outpost mail system');
      return 0;
    }
    case 'flush': {
      const ok = await sendTrigger(triggerSocketPath(config.get('queue_directory')), 'flush');
      // postqueue -f's wording and status (EX_UNAVAILABLE).
      if (!ok) return fatal('Cannot flush mail queue - mail system is down', EX_UNAVAILABLE);
      return 0;
    }
  }
  return EX_USAGE;
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`outpost: fatal: ${err.stack ?? err.message}\n`);
      process.exitCode = 70;
    },
  );
}
