// The smtp client's effective TLS level for main.cf settings (smtp_tls_security_level, else the
// obsolete smtp_enforce_tls / smtp_use_tls), ordered by strength.
import type { Config } from '../config/index.js';

const RANK: Record<string, number> = {
  none: 0,
  may: 1,
  dane: 1,
  encrypt: 2,
  'dane-only': 3,
  fingerprint: 3,
  verify: 3,
  secure: 3,
};

export interface TlsLevel {
  level: string;
  /** The parameter that decides it, for messages. */
  parameter: string;
  /** 0 = no TLS, 1 = opportunistic, 2 = encrypted, 3 = encrypted and authenticated server. */
  rank: number;
}

export function smtpTlsLevel(config: Config): TlsLevel {
  const explicit = config.get('smtp_tls_security_level').trim();
  if (explicit !== '')
    return { level: explicit, parameter: 'smtp_tls_security_level', rank: RANK[explicit] ?? 0 };
  if (config.bool('smtp_enforce_tls')) return { level: 'encrypt', parameter: 'smtp_enforce_tls', rank: 2 };
  if (config.bool('smtp_use_tls')) return { level: 'may', parameter: 'smtp_use_tls', rank: 1 };
  return { level: 'none', parameter: 'smtp_tls_security_level', rank: 0 };
}
