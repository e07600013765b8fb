// unix:passwd.byname and unix:group.byname: the system's accounts as a lookup table. Postfix's
// default local_recipient_maps is "proxy:unix:passwd.byname $alias_maps", so this is how the
// SMTP server knows which local users exist.
//
// Postfix asks getpwnam()/getgrnam(), which follow nsswitch.conf (files, LDAP, SSSD, ...).
// Node has no binding for those, so Outpost reads /etc/passwd and /etc/group itself: accounts
// that exist only in another NSS source (LDAP, NIS, systemd-homed) are NOT found. The answer
// has the shape Postfix returns: "name:passwd:uid:gid:gecos:home:shell" for a user,
// "name:passwd:gid:member,member" for a group. The file is read again when it changes (size,
// modification time or inode), so an account added with adduser is seen at once.
//
// Keys are folded to lower case (ASCII, as Postfix's lowercase()) unless the caller opens the
// table with foldCase: false; the folded key must then match the name exactly, as getpwnam()
// does. A file that cannot be read is a temporary error (mail is deferred, never refused).
import { readFile, stat } from 'node:fs/promises';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

/** Which account database a unix: table reads, and how a line becomes the answer. */
export interface UnixDatabase {
  file: string;
  /** What Postfix calls it in "cannot access UNIX ... database". */
  what: string;
  /** The entry for one line, or undefined for a line getpwnam()/getgrnam() would not use. */
  entry(fields: string[]): { name: string; value: string } | undefined;
}

/** A uid/gid as glibc parses it: decimal, leading blanks allowed, at most 32 bits. */
function numeric(s: string | undefined): string | undefined {
  const m = s === undefined ? null : /^[ \t]*(\d+)$/.exec(s);
  if (m === null || Number(m[1]) > 0xffffffff) return undefined;
  return String(Number(m[1]));
}

/** passwd(5): name:passwd:uid:gid:gecos:dir:shell; glibc takes missing trailing fields as empty. */
const PASSWD: UnixDatabase = {
  file: '/etc/passwd',
  what: 'password',
  entry(f) {
    const uid = numeric(f[2]);
    const gid = numeric(f[3]);
    if (uid === undefined || gid === undefined) return undefined;
    const shell = f.slice(6).join(':');
    return { name: f[0]!, value: [f[0], f[1], uid, gid, f[4] ?? '', f[5] ?? '', shell].join(':') };
  },
};

/** group(5): name:passwd:gid:member,member (the member list may be missing). */
const GROUP: UnixDatabase = {
  file: '/etc/group',
  what: 'group',
  entry(f) {
    const gid = numeric(f[2]);
    if (gid === undefined) return undefined;
    const members = f
      .slice(3)
      .join(':')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    return { name: f[0]!, value: `${f[0]}:${f[1]}:${gid}:${members.join(',')}` };
  },
};

const DATABASES: Readonly<Record<string, UnixDatabase>> = {
  'passwd.byname': PASSWD,
  'group.byname': GROUP,
};

/** The entries of one account file; the first line for a name wins, as with getpwnam(). */
export function parseAccounts(text: string, db: UnixDatabase): Map<string, string> {
  const entries = new Map<string, string>();
  for (const raw of text.split('\n')) {
    // Empty lines, comments and NIS compat lines ("+", "-name") are not accounts.
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const e = db.entry(line.replace(/\r$/, '').split(':'));
    if (e !== undefined && e.name !== '' && !entries.has(e.name)) entries.set(e.name, e.value);
  }
  return entries;
}

export class UnixTable implements LookupTable {
  readonly type = 'unix';
  readonly fixedKeys = true;
  private entries: Map<string, string> | undefined;
  private stamp = '';

  constructor(
    readonly name: string,
    private readonly db: UnixDatabase,
    private readonly foldCase: boolean,
    /** The account file; only tests point it elsewhere. */
    private readonly file = db.file,
  ) {}

  async lookup(key: string): Promise<string | undefined> {
    const entries = await this.current();
    const name = this.foldCase ? key.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : key;
    return entries.get(name);
  }

  /** The parsed file, read again when its identity, size or modification time changed. */
  private async current(): Promise<Map<string, string>> {
    try {
      const st = await stat(this.file);
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      if (this.entries === undefined || stamp !== this.stamp) {
        this.entries = parseAccounts(await readFile(this.file, 'utf8'), this.db);
        this.stamp = stamp;
      }
      return this.entries;
    } catch (err) {
      const reason = (err as Error).message;
      throw new TableError(
        `cannot access UNIX ${this.db.what} database ${this.file}: ${reason}`,
        `unix:${this.name}`,
      );
    }
  }

  async close(): Promise<void> {}
}

export async function open(name: string, options: OpenOptions): Promise<LookupTable> {
  const db = Object.hasOwn(DATABASES, name) ? DATABASES[name] : undefined;
  if (db === undefined) throw new TableError(`unknown table: unix:${name}`, `unix:${name}`);
  return new UnixTable(name, db, options.foldCase ?? true);
}

/** For tests: a unix: table over another file in the same format. */
export function openUnixFile(name: 'passwd.byname' | 'group.byname', file: string): UnixTable {
  return new UnixTable(name, DATABASES[name]!, true, file);
}
