// Server side of the SASL mechanisms smtpd offers: PLAIN (RFC 4616) and LOGIN (the
// de-facto draft-murchison-sasl-login). Both carry the password in clear text, so
// smtpd_sasl_security_options = noplaintext leaves no mechanism (and no AUTH in EHLO).
// The exchange only decodes; the session checks the password with a PasswordVerifier.

export type SaslStep =
  | { kind: 'challenge'; challenge: string }
  | { kind: 'credentials'; username: string; password: string }
  | { kind: 'failed'; reason: string };

/** Mechanisms allowed by smtpd_sasl_security_options (noanonymous has no effect on these two). */
export function allowedMechanisms(securityOptions: string[]): string[] {
  const opts = securityOptions.map((o) => o.toLowerCase());
  if (opts.includes('noplaintext')) return [];
  return ['PLAIN', 'LOGIN'];
}

/** Cyrus SASL's text for malformed client data (SASL_BADPROT), as Postfix shows it. */
const BAD_PROTOCOL = 'bad protocol / cancel';

function decodeBase64(text: string): Buffer | undefined {
  if (text === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

export class SaslExchange {
  private loginUser: string | undefined;
  private stage = 0;

  constructor(readonly mechanism: 'PLAIN' | 'LOGIN') {}

  /** Start with the optional initial response from "AUTH MECH initial". */
  start(initial: string | undefined): SaslStep {
    if (this.mechanism === 'PLAIN') {
      if (initial === undefined) return { kind: 'challenge', challenge: '' };
      return this.plain(initial);
    }
    if (initial !== undefined) return this.step(initial);
    this.stage = 1;
    return { kind: 'challenge', challenge: Buffer.from('Username:').toString('base64') };
  }

  /** A client response line (already checked for "*"). */
  step(response: string): SaslStep {
    if (this.mechanism === 'PLAIN') return this.plain(response);
    const decoded = decodeBase64(response);
    if (!decoded) return { kind: 'failed', reason: BAD_PROTOCOL };
    if (this.stage <= 1) {
      this.loginUser = decoded.toString('utf8');
      this.stage = 2;
      return { kind: 'challenge', challenge: Buffer.from('Password:').toString('base64') };
    }
    return { kind: 'credentials', username: this.loginUser ?? '', password: decoded.toString('utf8') };
  }

  private plain(response: string): SaslStep {
    const decoded = decodeBase64(response);
    if (!decoded) return { kind: 'failed', reason: BAD_PROTOCOL };
    // authzid NUL authcid NUL passwd
    const parts = decoded.toString('utf8').split('\0');
    if (parts.length !== 3 || parts[1] === '') return { kind: 'failed', reason: 'authentication failure' };
    const [authzid, authcid, password] = parts as [string, string, string];
    if (authzid !== '' && authzid !== authcid) return { kind: 'failed', reason: 'authorization failure' };
    return { kind: 'credentials', username: authcid, password };
  }
}
