// The root helper: the only part of Outpost that keeps root after start-up, kept small on
// purpose. A master started as root forks it before dropping to mail_owner. It answers one
// request over the IPC channel - "deliver this staged message into user U's mailbox" - and
// does the write in a fresh child process that switches to U's uid/gid before it opens
// anything, so a mailbox is only ever written with the recipient's own rights (Postfix
// local(8) does the same with setuid).
//
// What the helper checks itself, not trusting the (unprivileged) master:
//   - U exists in passwd and is not uid 0 (mail for root must be aliased to a person),
//   - the mailbox is $home/<home_mailbox> or <mail_spool_directory>/<U>, from the settings the
//     helper received at start-up as root, never a path sent by the master,
//   - the staged content file lies in $queue_directory/private (mail_owner only, 0700).
import { fork, type ChildProcess } from 'node:child_process';
import { open, realpath } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { lookupUser } from './privileges.js';

export interface RootHelperSettings {
  queueDirectory: string;
  homeMailbox: string;
  mailSpoolDirectory: string;
}

export interface MailboxRequest {
  user: string;
  /** The staged message (delivered headers + content) under $queue_directory/private. */
  stagedFile: string;
  /** mbox "From " line (ignored for Maildir). */
  fromLine: string;
}

export interface MailboxReply {
  ok: boolean;
  /** "maildir" | "mailbox" on success; a reason on failure. */
  text: string;
  /** Temporary (defer) or permanent (bounce) failure. */
  temporary?: boolean;
}

/** Master side: a handle on the forked helper. */
export class RootHelperClient {
  private seq = 0;
  private readonly pending = new Map<number, (r: MailboxReply) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { id: number; reply: MailboxReply }) => {
      this.pending.get(m.id)?.(m.reply);
      this.pending.delete(m.id);
    });
    child.on('exit', () => {
      for (const resolve of this.pending.values())
        resolve({ ok: false, temporary: true, text: 'root helper exited' });
      this.pending.clear();
    });
  }

  /** Fork the helper; call while still root, before dropping privileges. */
  static start(settings: RootHelperSettings): RootHelperClient {
    const script = fileURLToPath(import.meta.url);
    const child = fork(script, ['--root-helper', JSON.stringify(settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new RootHelperClient(child);
  }

  deliver(request: MailboxRequest): Promise<MailboxReply> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, request });
    });
  }

  /** Closing the channel ends the helper (a master that dropped root cannot signal it). */
  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

/** Helper side: validate one request and run the writer as the user. */
export async function handleMailboxRequest(
  settings: RootHelperSettings,
  req: MailboxRequest,
): Promise<MailboxReply> {
  if (!/^[a-z0-9_][a-z0-9_.+=-]*$/i.test(req.user) || /^\d+$/.test(req.user)) {
    return { ok: false, text: `bad user name: ${req.user}` };
  }
  const user = await lookupUser(req.user);
  if (!user) return { ok: false, text: `unknown user: "${req.user}"` };
  if (user.uid === 0)
    return { ok: false, temporary: true, text: 'mail for root must be aliased to a person' };
  const privateDir = await realpath(join(settings.queueDirectory, 'private'));
  let staged: string;
  try {
    staged = await realpath(req.stagedFile);
  } catch {
    return { ok: false, temporary: true, text: 'staged message vanished' };
  }
  if (dirname(staged) !== privateDir)
    return { ok: false, text: 'staged message outside the private queue directory' };
  const mailbox = settings.homeMailbox
    ? {
        kind: settings.homeMailbox.endsWith('/') ? 'maildir' : 'mbox',
        path: join(user.home, settings.homeMailbox),
      }
    : {
        kind: settings.mailSpoolDirectory.endsWith('/') ? 'maildir' : 'mbox',
        path: join(settings.mailSpoolDirectory, user.name),
      };
  const fh = await open(staged, 'r');
  try {
    const writer = fork(
      fileURLToPath(new URL('../delivery/local/write-as-user.js', import.meta.url)),
      // The writer starts as root and switches to the user before it touches anything: the
      // node binary itself may live where the user cannot execute it (e.g. under /root).
      [
        JSON.stringify({
          ...mailbox,
          hostname: hostname(),
          fromLine: req.fromLine,
          uid: user.uid,
          gid: user.gid,
        }),
      ],
      {
        stdio: ['pipe', 'ignore', 'pipe', 'ipc'],
        env: { HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: '/usr/bin:/bin' },
      },
    );
    let errText = '';
    writer.stderr!.setEncoding('utf8').on('data', (d: string) => (errText += d));
    writer.stdin!.on('error', () => undefined);
    fh.createReadStream().pipe(writer.stdin!);
    const code = await new Promise<number>((resolve) => writer.on('close', (c) => resolve(c ?? 1)));
    if (code === 0)
      return { ok: true, text: mailbox.kind === 'maildir' ? 'delivered to maildir' : 'delivered to mailbox' };
    return {
      ok: false,
      temporary: true,
      text: `cannot update mailbox ${mailbox.path} for user ${user.name}. ${errText.trim()}`,
    };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

// Entry point when forked by RootHelperClient.start().
if (process.argv[2] === '--root-helper' && typeof process.send === 'function') {
  const settings = JSON.parse(process.argv[3]!) as RootHelperSettings;
  process.on('message', (m: { id: number; request: MailboxRequest }) => {
    handleMailboxRequest(settings, m.request).then(
      (reply) => process.send!({ id: m.id, reply }),
      (err: Error) => process.send!({ id: m.id, reply: { ok: false, temporary: true, text: err.message } }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
