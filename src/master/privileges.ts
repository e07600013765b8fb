// Privilege separation. A master started as root binds its listeners (ports 25/465/587 need
// root), prepares the queue directories, starts the small root helper (rootd.ts), and then
// drops to mail_owner for good. The user and group are looked up with getent(1), so NSS
// sources (files, LDAP, ...) work as for Postfix.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError } from './config-adapter.js';

const run = promisify(execFile);

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** The GECOS field up to its first comma: the user's full name. */
  fullName: string;
}

/** getent passwd NAME (or uid); undefined when there is no such user. */
export async function lookupUser(nameOrUid: string): Promise<PasswdEntry | undefined> {
  try {
    const { stdout } = await run('getent', ['passwd', nameOrUid]);
    const f = stdout.trim().split('\n')[0]!.split(':');
    if (f.length < 7) return undefined;
    return {
      name: f[0]!,
      uid: Number(f[2]),
      gid: Number(f[3]),
      home: f[5]!,
      shell: f[6]!,
      fullName: f[4]!.split(',')[0]!,
    };
  } catch {
    return undefined; // exit status 2: not found
  }
}

/** getent group NAME; undefined when there is no such group. */
export async function lookupGroup(name: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('getent', ['group', name]);
    const f = stdout.trim().split(':');
    return f.length >= 3 ? Number(f[2]) : undefined;
  } catch {
    return undefined;
  }
}

export interface MailOwner {
  name: string;
  uid: number;
  gid: number;
  /** setgid_group: the group that may write into maildrop (postdrop). */
  setgidGroup: number;
}

/**
 * Resolve mail_owner and setgid_group with Postfix's checks and messages
 * ("parameter mail_owner: unknown user name value: ...", "... has privileged user ID").
 */
export async function resolveMailOwner(
  mailOwner: string,
  setgidGroup: string,
  mainCf: string,
): Promise<MailOwner> {
  const user = await lookupUser(mailOwner);
  if (!user)
    throw new ConfigError(`file ${mainCf}: parameter mail_owner: unknown user name value: ${mailOwner}`);
  if (user.uid === 0) {
    throw new ConfigError(
      `file ${mainCf}: parameter mail_owner: user ${mailOwner} has privileged user ID: 0`,
    );
  }
  const group = await lookupGroup(setgidGroup);
  if (group === undefined) {
    throw new ConfigError(`file ${mainCf}: parameter setgid_group: unknown group name: ${setgidGroup}`);
  }
  if (group === 0) {
    throw new ConfigError(
      `file ${mainCf}: parameter setgid_group: group ${setgidGroup} has privileged group ID: 0`,
    );
  }
  return { name: user.name, uid: user.uid, gid: user.gid, setgidGroup: group };
}

export const runningAsRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Irreversibly become mail_owner: supplementary groups, gid, then uid (the order matters). */
export function dropPrivileges(owner: MailOwner): void {
  process.setgroups?.([owner.gid]);
  process.setgid?.(owner.gid);
  process.setuid?.(owner.uid);
  if (process.getuid?.() === 0 || process.geteuid?.() === 0) throw new Error('privilege drop failed');
}
