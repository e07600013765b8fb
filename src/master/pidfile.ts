import { readFileSync } from 'node:fs';
// The master's PID file, $queue_directory/pid/master.pid as in Postfix. Created exclusively;
// a file left by a dead process is stale and replaced. `outpost stop/reload/status` read it.
import { open, readFile, unlink, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export function pidFilePath(queueDirectory: string): string {
  return join(queueDirectory, 'pid', 'master.pid');
}

/** A killed process nobody has reaped yet still answers kill(pid, 0); it is not running. */
function isZombie(pid: number): boolean {
  try {
    // Only at start/stop (never on a hot path): /proc/PID/stat, field 3 is the state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The PID of a running master, or undefined (no file, unreadable, or stale). */
export async function readRunningPid(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return processAlive(pid) ? pid : undefined;
}

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(`the Outpost mail system is already running (PID ${pid})`);
  }
}

/** Write our PID; throws AlreadyRunningError when another live master holds the file. */
export async function createPidFile(path: string, pid = process.pid): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o644);
      // Postfix writes the PID right-aligned in 10 columns.
      await fh.write(`${String(pid).padStart(10, ' ')}\n`);
      await fh.sync();
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const running = await readRunningPid(path);
      if (running !== undefined && running !== pid) throw new AlreadyRunningError(running);
      await unlink(path).catch(() => undefined);
    }
  }
  throw new Error(`cannot create ${path}`);
}

/** Remove the PID file if it is still ours. */
export async function removePidFile(path: string, pid = process.pid): Promise<void> {
  try {
    if (Number((await readFile(path, 'utf8')).trim()) === pid) await unlink(path);
  } catch {
    // Already gone.
  }
}
