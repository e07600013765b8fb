// compatibility_level safety net (Postfix mail_params.c check_legacy_defaults()):
// when compatibility_level is below the level at which a default changed and
// the parameter is not set explicitly, Postfix keeps the old behaviour and logs
// "using backwards-compatible default setting ..." where the old default makes
// a difference. compatBreaks() says which notices apply; the functions below
// build each message in Postfix's wording for the daemon that logs it.
import { parseCompatLevel } from './compat-level.js';
import { ConfigError } from './errors.js';

/** Minimal view of a configuration, so this module does not depend on Config. */
export interface CompatSource {
  get(name: string): string;
  isSet(name: string): boolean;
}

export type CompatBreak =
  | 'smtpd_tls_fingerprint_digest'
  | 'smtp_tls_fingerprint_digest'
  | 'lmtp_tls_fingerprint_digest'
  | 'smtpd_relay_before_recipient_restrictions'
  | 'respectful_logging'
  | 'relay_domains'
  | 'fast_flush_domains'
  | 'mynetworks_style'
  | 'append_dot_mydomain'
  | 'smtputf8_enable'
  | 'chroot'
  | 'smtpd_relay_restrictions';

/** The parsed compatibility_level; a malformed value is fatal as in Postfix. */
export function compatLevelOf(config: CompatSource): number {
  const text = config.get('compatibility_level');
  const level = parseCompatLevel(text);
  if (level === undefined) throw new ConfigError(`malformed compatibility level syntax: "${text}"`);
  return level;
}

export function compatBreaks(config: CompatSource): Set<CompatBreak> {
  const level = compatLevelOf(config);
  const below = (l: string): boolean => level < (parseCompatLevel(l) as number);
  const out = new Set<CompatBreak>();
  const unset = (name: string): boolean => !config.isSet(name);
  if (below('3.6')) {
    for (const name of [
      'smtpd_tls_fingerprint_digest',
      'smtp_tls_fingerprint_digest',
      'lmtp_tls_fingerprint_digest',
      'smtpd_relay_before_recipient_restrictions',
      'respectful_logging',
    ] as const) {
      if (unset(name)) out.add(name);
    }
  }
  if (below('2')) {
    if (unset('relay_domains')) {
      out.add('relay_domains');
      if (unset('fast_flush_domains')) out.add('fast_flush_domains');
    }
    if (unset('mynetworks') && unset('mynetworks_style')) out.add('mynetworks_style');
  }
  if (below('1')) {
    if (unset('append_dot_mydomain')) out.add('append_dot_mydomain');
    if (unset('smtputf8_enable')) out.add('smtputf8_enable');
    out.add('chroot');
    if (unset('smtpd_relay_restrictions')) out.add('smtpd_relay_restrictions');
  }
  return out;
}

/** The highest compatibility level of Postfix 3.7 (LAST_COMPAT_LEVEL). */
export const LAST_COMPAT_LEVEL = '3.6';

/**
 * What `postfix start` logs while compatibility_level is below the last level
 * (postfix.c), in this order.
 */
export function compatStartupNotices(config: CompatSource): string[] {
  if (compatLevelOf(config) >= (parseCompatLevel(LAST_COMPAT_LEVEL) as number)) return [];
  return [
    'Postfix is using backwards-compatible default settings',
    'See http://www.postfix.org/COMPATIBILITY_README.html for details',
    `To disable backwards compatibility use "postconf compatibility_level=${LAST_COMPAT_LEVEL}" and "postfix reload"`,
  ];
}

const PREFIX = 'using backwards-compatible default setting ';

/** Message texts, exactly as Postfix 3.7.11 logs them (info level). */
export const compatNotice = {
  relayDomainsPermitClient: (client: string): string =>
    `${PREFIX}relay_domains=$mydestination to permit request from client "${client}"`,
  relayDomainsAcceptDomain: (domain: string): string =>
    `${PREFIX}relay_domains=$mydestination to accept mail for domain "${domain}"`,
  relayDomainsAcceptAddress: (recipient: string): string =>
    `${PREFIX}relay_domains=$mydestination to accept mail for address "${recipient}"`,
  flushDomainsFlush: (site: string): string =>
    `${PREFIX}relay_domains=$mydestination to flush mail for domain "${site}"`,
  flushDomainsUpdate: (site: string): string =>
    `${PREFIX}relay_domains=$mydestination to update fast-flush logfile for domain "${site}"`,
  mynetworksStylePermit: (style: string, client: string): string =>
    `${PREFIX}mynetworks_style=${style} to permit request from client "${client}"`,
  fingerprintDigestMd5: (parameter: 'smtpd' | 'smtp' | 'lmtp'): string =>
    `${PREFIX}${parameter}_tls_fingerprint_digest=md5 to compute certificate fingerprints`,
  relayRestrictionsEmpty: (recipient: string, client: string): string =>
    `${PREFIX}"smtpd_relay_restrictions = (empty)" to avoid "Relay access denied" error for recipient "${recipient}" from client "${client}"`,
  relayBeforeRecipientChecks: (recipient: string, client: string): string =>
    `${PREFIX}smtpd_relay_before_recipient_restrictions=no to reject recipient "${recipient}" from client "${client}"`,
  smtputf8Sender: (address: string, client: string): string =>
    `${PREFIX}smtputf8_enable=no to accept non-ASCII sender address "${address}" from ${client}`,
  smtputf8Recipient: (address: string, client: string): string =>
    `${PREFIX}smtputf8_enable=no to accept non-ASCII recipient address "${address}" from ${client}`,
  appendDotMydomain: (host: string, mydomain: string): string =>
    `${PREFIX}append_dot_mydomain=yes to rewrite "${host}" to "${host}.${mydomain}"`,
  appendDotMydomainLocalhost: (host: string, mydomain: string): string =>
    `${PREFIX}append_dot_mydomain=yes to rewrite "${host}" to "${host}.${mydomain}"; please add "localhost" to mydestination or other address class`,
  respectfulLogging: (address: string, port: string | number): string =>
    `${PREFIX}respectful_logging=no for client [${address}]:${port}`,
  masterChroot: (masterCfPath: string, line: number): string =>
    `${masterCfPath}: line ${line}: ${PREFIX}chroot=y`,
};
