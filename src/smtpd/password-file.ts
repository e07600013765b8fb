// The AUTH password table (outpost_sasl_password_maps): text files with one account a line,
//   user:{SCHEME}hash[:anything...]
// which is also the first two fields of Dovecot's passwd-file format, so such a file can be
// shared. Schemes: {SHA512-CRYPT} or a bare "$6$..." (openssl passwd -6, mkpasswd -m sha-512),
// {SCRYPT} (Outpost's own, see hashPasswordScrypt), and {PLAIN} (discouraged). Passwords are
// stored hashed, so CRAM-MD5 (which needs the clear text) is never offered.
import { readFile } from 'node:fs/promises';
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { parseSha512Crypt, sha512Crypt } from './sha512-crypt.js';
import { SmtpdConfigError } from './settings.js';

export interface PasswordVerifier {
  /** True when the password is right; false for a wrong password or an unknown user. */
  verify(user: string, password: string): Promise<boolean>;
}

type StoredSecret =
  | { scheme: 'sha512-crypt'; value: string }
  | { scheme: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer }
  | { scheme: 'plain'; value: string };

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const SCRYPT_FORMAT = /^N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** "{SCRYPT}N=16384,r=8,p=1$<salt base64>$<key base64>" with a 32-byte key. */
export async function hashPasswordScrypt(password: string, N = 16384, r = 8, p = 1): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return `{SCRYPT}N=${N},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

function parseSecret(text: string): StoredSecret | string {
  const m = /^\{([A-Za-z0-9-]+)\}(.*)$/.exec(text);
  const scheme = m ? m[1]!.toUpperCase() : text.startsWith('$6$') ? 'SHA512-CRYPT' : '';
  const value = m ? m[2]! : text;
  switch (scheme) {
    case 'SHA512-CRYPT':
      if (!parseSha512Crypt(value)) return 'malformed SHA512-CRYPT hash (expected $6$salt$hash)';
      return { scheme: 'sha512-crypt', value };
    case 'SCRYPT': {
      const s = SCRYPT_FORMAT.exec(value);
      if (!s) return 'malformed SCRYPT hash (expected N=...,r=...,p=...$salt$key)';
      return {
        scheme: 'scrypt',
        N: Number(s[1]),
        r: Number(s[2]),
        p: Number(s[3]),
        salt: Buffer.from(s[4]!, 'base64'),
        hash: Buffer.from(s[5]!, 'base64'),
      };
    }
    case 'PLAIN':
      return { scheme: 'plain', value };
    default:
      return m
        ? `unsupported password scheme {${m[1]}} (use {SHA512-CRYPT}, {SCRYPT} or {PLAIN})`
        : 'password must be a hash with a {SCHEME} prefix or a $6$ crypt string';
  }
}

export class PasswordFile implements PasswordVerifier {
  private constructor(private readonly accounts: Map<string, StoredSecret>) {}

  /** Load one or more files; the first file naming a user wins. Errors name file:line. */
  static async load(paths: string[]): Promise<PasswordFile> {
    const accounts = new Map<string, StoredSecret>();
    for (const path of paths) {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new SmtpdConfigError(
          `outpost_sasl_password_maps: cannot read ${path}: ${(e as Error).message}`,
        );
      }
      const lines = text.split('\n');
      lines.forEach((raw, i) => {
        const line = raw.replace(/\r$/, '');
        if (/^\s*(#|$)/.test(line)) return;
        const colon = line.indexOf(':');
        if (colon <= 0) throw new SmtpdConfigError(`${path}:${i + 1}: expected "user:{SCHEME}hash"`);
        const user = line.slice(0, colon);
        const rest = line.slice(colon + 1);
        const end = rest.indexOf(':');
        const secret = parseSecret(end >= 0 ? rest.slice(0, end) : rest);
        if (typeof secret === 'string') throw new SmtpdConfigError(`${path}:${i + 1}: ${secret}`);
        if (!accounts.has(user)) accounts.set(user, secret);
      });
    }
    return new PasswordFile(accounts);
  }

  get size(): number {
    return this.accounts.size;
  }

  async verify(user: string, password: string): Promise<boolean> {
    const secret = this.accounts.get(user);
    if (!secret) {
      // Spend comparable time on unknown users so timing does not reveal account names.
      await scrypt(password, Buffer.alloc(16), 32, { N: 1024, r: 8, p: 1 });
      return false;
    }
    switch (secret.scheme) {
      case 'sha512-crypt': {
        const params = parseSha512Crypt(secret.value)!;
        return constantTimeEqual(sha512Crypt(password, params), secret.value);
      }
      case 'scrypt': {
        const key = await scrypt(password, secret.salt, secret.hash.length, {
          N: secret.N,
          r: secret.r,
          p: secret.p,
          maxmem: 256 * secret.N * secret.r + 1024 * 1024,
        });
        return timingSafeEqual(key, secret.hash);
      }
      case 'plain':
        return constantTimeEqual(password, secret.value);
    }
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
