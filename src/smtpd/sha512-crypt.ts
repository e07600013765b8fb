// SHA512-CRYPT ("$6$salt$hash", optionally "$6$rounds=N$salt$hash"), the glibc crypt(3)
// scheme that `openssl passwd -6`, `mkpasswd -m sha-512` and `doveadm pw -s SHA512-CRYPT`
// produce, so administrators can create AUTH passwords with standard tools. Algorithm:
// "Unix crypt using SHA-256 and SHA-512" by Ulrich Drepper (akkadia.org/drepper/SHA-crypt.txt).
import { createHash, type Hash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DEFAULT_ROUNDS = 5000;
const MIN_ROUNDS = 1000;
const MAX_ROUNDS = 999_999_999;

// Byte order of the 64-byte digest in the output encoding (three bytes per four characters).
const PERMUTATION: [number, number, number][] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

function sha512(...parts: Buffer[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `len` bytes made of `digest` repeated (the P- and S-sequences of the algorithm). */
function repeatTo(digest: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += digest.length) digest.copy(out, i, 0, Math.min(digest.length, len - i));
  return out;
}

function encode24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let s = '';
  for (let i = 0; i < n; i++) {
    s += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return s;
}

export interface Sha512CryptParams {
  salt: string;
  rounds: number;
  /** rounds=N was written explicitly (it is then repeated in the output). */
  explicitRounds: boolean;
}

/** Parse "$6$[rounds=N$]salt$hash"; undefined if it is not that form. */
export function parseSha512Crypt(stored: string): (Sha512CryptParams & { hash: string }) | undefined {
  const m = /^\$6\$(?:rounds=(\d+)\$)?([^$]{0,16})\$([./0-9A-Za-z]{86})$/.exec(stored);
  if (!m) return undefined;
  const rounds =
    m[1] === undefined ? DEFAULT_ROUNDS : Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Number(m[1])));
  return { salt: m[2]!, rounds, explicitRounds: m[1] !== undefined, hash: m[3]! };
}

export function sha512Crypt(password: string, params: Sha512CryptParams): string {
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(params.salt.slice(0, 16), 'utf8');
  const B = sha512(P, S, P);
  const a: Hash = createHash('sha512').update(P).update(S);
  let n = P.length;
  for (; n > 64; n -= 64) a.update(B);
  a.update(B.subarray(0, n));
  for (let bits = P.length; bits > 0; bits >>= 1) a.update(bits & 1 ? B : P);
  let C = a.digest();

  const dp = createHash('sha512');
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pseq = repeatTo(dp.digest(), P.length);
  const ds = createHash('sha512');
  for (let i = 0; i < 16 + C[0]!; i++) ds.update(S);
  const Sseq = repeatTo(ds.digest(), S.length);

  for (let i = 0; i < params.rounds; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? Pseq : C);
    if (i % 3 !== 0) h.update(Sseq);
    if (i % 7 !== 0) h.update(Pseq);
    h.update(i & 1 ? C : Pseq);
    C = h.digest();
  }

  let out = '';
  for (const [x, y, z] of PERMUTATION) out += encode24(C[x]!, C[y]!, C[z]!, 4);
  out += encode24(0, 0, C[63]!, 2);
  const roundsPart = params.explicitRounds ? `rounds=${params.rounds}$` : '';
  return `$6$${roundsPart}${S.toString('utf8')}$${out}`;
}
