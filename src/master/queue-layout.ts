// The queue directory tree and its permissions, as `postfix set-permissions` leaves it:
//   queue_directory            root 0755 (not changed when it exists)
//   incoming active deferred hold corrupt private tmp segment
//                              mail_owner 0700
//   maildrop                   mail_owner:setgid_group 1730 (postdrop may add, only the
//                              owner may list or remove; sticky so writers cannot delete)
//   public                     mail_owner:setgid_group 0711 (trigger and flush sockets)
//   pid                        root 0755 (master.pid)
// When not started as root every directory simply belongs to the invoking user (0700).
import { access, chmod, chown, mkdir, open, unlink, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailOwner } from './privileges.js';

// "tmp" is src/queue's directory for files whose commit has not finished; "segment" holds
// queue segments (many messages per file).
export const OWNER_ONLY_QUEUES = [
  'incoming',
  'active',
  'deferred',
  'hold',
  'corrupt',
  'private',
  'tmp',
  'segment',
];

export async function prepareQueueDirectory(root: string, owner: MailOwner | undefined): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  await mkdir(join(root, 'pid'), { recursive: true, mode: 0o755 });
  for (const q of OWNER_ONLY_QUEUES) {
    const dir = join(root, q);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (owner) {
      await chown(dir, owner.uid, owner.gid);
      await chmod(dir, 0o700);
    }
  }
  const maildrop = join(root, 'maildrop');
  const pub = join(root, 'public');
  await mkdir(maildrop, { recursive: true, mode: 0o700 });
  await mkdir(pub, { recursive: true, mode: 0o700 });
  if (owner) {
    await chown(maildrop, owner.uid, owner.setgidGroup);
    await chmod(maildrop, 0o1730);
    await chown(pub, owner.uid, owner.setgidGroup);
    // 0711 rather than Postfix's 0710: Node scripts cannot be setgid postdrop, so mailq and
    // postqueue -f reach their sockets through world search permission (as src/queue does).
    await chmod(pub, 0o711);
  }
}

export class QueueAccessError extends Error {}

/**
 * Prove that this process (already running as mail_owner when started as root) can create
 * files where it must; the error says which directory, which user, and how to fix it.
 */
export async function checkQueueWritable(root: string, userName: string): Promise<void> {
  for (const q of ['incoming', 'maildrop', 'deferred', 'active']) {
    const dir = join(root, q);
    const probe = join(dir, `.probe-${process.pid}`);
    try {
      await access(dir, constants.W_OK | constants.X_OK);
      const fh = await open(probe, 'wx', 0o600);
      await fh.close();
      await unlink(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new QueueAccessError(
        `queue directory ${dir} is not writable by user ${userName} (${code}); ` +
          `fix: make ${root} and its parents accessible to ${userName}, e.g. chown -R ${userName} ${root}`,
      );
    }
  }
}
