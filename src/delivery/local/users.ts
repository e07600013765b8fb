// Who is a local user, and where their mailbox is (Postfix local(8), "mailbox delivery"):
//   home_mailbox set        -> $home/$home_mailbox (a trailing "/" means Maildir)
//   otherwise               -> $mail_spool_directory/$user (trailing "/" on the spool
//                              directory means one Maildir per user)
// Users come from the passwd database. Outpost extension for setups without system accounts
// (the demo, unprivileged installs): with outpost_mail_home_directory = DIR, a name that has
// no passwd entry is a user when DIR/<name> exists; its home is that directory.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lookupUser, type PasswdEntry } from '../../master/privileges.js';

export interface LocalUser {
  name: string;
  home: string;
  /** Present for passwd users; absent for outpost_mail_home_directory users. */
  passwd?: PasswdEntry;
}

export interface Mailbox {
  kind: 'maildir' | 'mbox';
  path: string;
}

export interface MailboxSettings {
  homeMailbox: string;
  mailSpoolDirectory: string;
  mailHomeDirectory: string;
}

/** Names that can never be a mailbox file name component. */
const SAFE_NAME = /^[a-z0-9_][a-z0-9_.+=-]*$/i;

export async function findLocalUser(name: string, settings: MailboxSettings): Promise<LocalUser | undefined> {
  if (!SAFE_NAME.test(name)) return undefined;
  // getent would treat a number as a uid ("0" -> root); a user name is never all digits here.
  const passwd = /^\d+$/.test(name) ? undefined : await lookupUser(name);
  if (passwd) return { name: passwd.name, home: passwd.home, passwd };
  if (settings.mailHomeDirectory) {
    const home = join(settings.mailHomeDirectory, name);
    const st = await stat(home).catch(() => undefined);
    if (st?.isDirectory()) return { name, home };
  }
  return undefined;
}

export function mailboxFor(user: LocalUser, settings: MailboxSettings): Mailbox {
  if (settings.homeMailbox) {
    const path = join(user.home, settings.homeMailbox);
    return { kind: settings.homeMailbox.endsWith('/') ? 'maildir' : 'mbox', path };
  }
  const spool = settings.mailSpoolDirectory;
  return { kind: spool.endsWith('/') ? 'maildir' : 'mbox', path: join(spool, user.name) };
}
