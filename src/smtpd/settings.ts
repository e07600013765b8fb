// The main.cf values the SMTP server uses, already typed. The server never reads main.cf
// itself: settingsFromParams() turns expanded parameter strings (the Config engine's
// `config.get(name)`) into this object, so the protocol code stays independent of the
// configuration loader. Defaults are Postfix 3.7's (`postconf -d`, compatibility_level 3.7).

import { networkInterfaces } from 'node:os';
import { splitOutsideBraces } from '../maps/braces.js';

export type BareNewlineMode = 'no' | 'normalize' | 'reject';
export type TlsSecurityLevel = 'none' | 'may' | 'encrypt';

export interface SmtpdSettings {
  /** myhostname: used in the EHLO reply, 421 texts and the Received: header. */
  myhostname: string;
  /** mail_name ("Postfix"): the Received: header's "(... )" comment. */
  mailName: string;
  /** smtpd_banner, already expanded ("$myhostname ESMTP $mail_name"). */
  banner: string;
  /** The service name for log lines ("smtpd"; syslog_name is the MailLog's business). */
  serviceName: string;

  /** mynetworks as a list of patterns (CIDR, address, [ipv6]/len, !pattern). */
  mynetworks: string[];
  /** mydestination domains (literal names only). */
  mydestination: string[];
  /** inet_interfaces / proxy_interfaces as IP addresses (for user@[addr] local checks). */
  inetInterfaces: string[];
  proxyInterfaces: string[];
  /** relay_domains (parent_domain_matches_subdomains applies). */
  relayDomains: string[];
  /** virtual_alias_domains + virtual_mailbox_domains: final destinations that are not local. */
  virtualDomains: string[];
  /** virtual_alias_domains alone (literal names): unknown users there are refused at RCPT. */
  virtualAliasDomains: string[];
  /**
   * Recipient validation (reject_unlisted_recipient / _sender): smtpd_reject_unlisted_recipient
   * (yes) and _sender (no), and the tables as main.cf lists ("" = none; for
   * local_recipient_maps an empty value turns the local check off, as in Postfix).
   */
  rejectUnlistedRecipient: boolean;
  rejectUnlistedSender: boolean;
  localRecipientMaps: string;
  virtualAliasMaps: string;
  virtualMailboxMaps: string;
  relayRecipientMaps: string;
  canonicalMaps: string;
  recipientCanonicalMaps: string;
  senderCanonicalMaps: string;
  /** unknown_local_recipient_, unknown_virtual_alias_, _virtual_mailbox_, _relay_recipient_reject_code (550). */
  unknownLocalRecipientRejectCode: number;
  unknownVirtualAliasRejectCode: number;
  unknownVirtualMailboxRejectCode: number;
  unknownRelayRecipientRejectCode: number;
  /** show_user_unknown_table_name (yes): "User unknown in local recipient table". */
  showUnknownTableName: boolean;
  /** myorigin (local-part-only lookups also for this domain) and double_bounce_sender. */
  myorigin: string;
  doubleBounceSender: string;
  /** address_verify_sender as an address (@$myorigin appended), or '' / '<>' for none. */
  verifySender: string;
  /** smtpd_relay_restrictions and smtpd_recipient_restrictions (restriction names). */
  relayRestrictions: string[];
  recipientRestrictions: string[];
  /** smtpd_client/helo/sender/data_restrictions (empty by default). */
  clientRestrictions: string[];
  heloRestrictions: string[];
  senderRestrictions: string[];
  dataRestrictions: string[];
  /** smtpd_restriction_classes: class name -> its restriction list (the parameter of that name). */
  restrictionClasses: Record<string, string[]>;
  /** smtpd_delay_reject (yes): client/helo/sender restrictions wait until RCPT TO. */
  delayReject: boolean;
  /** smtpd_access_maps in parent_domain_matches_subdomains: "example.com" matches subdomains. */
  accessParentStyle: boolean;
  /** smtpd_null_access_lookup_key ("<>"): the sender key for MAIL FROM:<>. */
  nullAccessLookupKey: string;
  /** access_map_reject_code (554), access_map_defer_code (450). */
  accessMapRejectCode: number;
  accessMapDeferCode: number;
  /** non_fqdn_reject_code (504), invalid_hostname_reject_code (501). */
  nonFqdnRejectCode: number;
  invalidHostnameRejectCode: number;
  /** recipient_delimiter: user+ext@domain is also looked up as user@domain. */
  recipientDelimiter: string;
  /** relay_domains_reject_code (554); defer_unauth_destination uses this minus 100. */
  relayDomainsRejectCode: number;
  /** reject_code (554) and defer_code (450) for plain `reject` / `defer`. */
  rejectCode: number;
  deferCode: number;
  /** allow_untrusted_routing (no): user%host@us etc. never count as an authorized destination. */
  allowUntrustedRouting: boolean;
  /** swap_bangpath / allow_percent_hack (yes, yes): routing operators the resolver honours. */
  swapBangpath: boolean;
  allowPercentHack: boolean;

  /** message_size_limit in bytes; 0 = unlimited. */
  messageSizeLimit: number;
  /** line_length_limit (2048). */
  lineLengthLimit: number;
  /** smtpd_timeout in milliseconds (300 s). */
  timeoutMs: number;
  smtpdHardErrorLimit: number;
  smtpdSoftErrorLimit: number;
  /** smtpd_error_sleep_time in ms (1 s). */
  errorSleepMs: number;
  smtpdJunkCommandLimit: number;
  smtpdRecipientLimit: number;
  smtpdRecipientOvershootLimit: number;
  /** smtpd_client_connection_count_limit (50); 0 = unlimited. */
  clientConnectionCountLimit: number;
  /** smtpd_client_event_limit_exceptions (default $mynetworks). */
  clientEventLimitExceptions: string[];

  forbidBareNewline: BareNewlineMode;
  /** smtpd_forbid_bare_newline_exclusions (default $mynetworks). */
  forbidBareNewlineExclusions: string[];
  forbidBareNewlineRejectCode: number;
  forbidUnauthPipelining: boolean;

  disableVrfyCommand: boolean;
  smtputf8Enable: boolean;
  /** smtpd_discard_ehlo_keywords, lower case. */
  discardEhloKeywords: string[];
  /** smtpd_peername_lookup: reverse + forward-confirmed client name, else "unknown". */
  peernameLookup: boolean;
  /** smtpd_helo_required (no). */
  heloRequired: boolean;

  tlsSecurityLevel: TlsSecurityLevel;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** smtpd_tls_chain_files: PEM files each holding a key and its certificate chain. */
  tlsChainFiles: string[];
  tlsWrapperMode: boolean;
  /** smtpd_tls_received_header (no). */
  tlsReceivedHeader: boolean;

  saslAuthEnable: boolean;
  tlsAuthOnly: boolean;
  /** smtpd_sasl_security_options, e.g. ["noanonymous"]. */
  saslSecurityOptions: string[];
  /** smtpd_sasl_tls_security_options (default $smtpd_sasl_security_options). */
  saslTlsSecurityOptions: string[];
  /** outpost_sasl_password_maps: files with "user:{scheme}hash" lines (see docs/smtpd.md). */
  saslPasswordFiles: string[];
  /** broken_sasl_auth_clients: also advertise "AUTH=PLAIN LOGIN". */
  brokenSaslAuthClients: boolean;
  /** smtpd_sasl_authenticated_header (no). */
  saslAuthenticatedHeader: boolean;
}

export const DEFAULT_SETTINGS: SmtpdSettings = {
  myhostname: 'localhost',
  mailName: 'Postfix',
  banner: 'localhost ESMTP Postfix',
  serviceName: 'smtpd',
  mynetworks: ['127.0.0.0/8', '[::1]/128'],
  mydestination: ['localhost'],
  inetInterfaces: ['127.0.0.1', '::1'],
  proxyInterfaces: [],
  relayDomains: [],
  virtualDomains: [],
  virtualAliasDomains: [],
  rejectUnlistedRecipient: true,
  rejectUnlistedSender: false,
  localRecipientMaps: 'proxy:unix:passwd.byname hash:/etc/aliases, nis:mail.aliases',
  virtualAliasMaps: '',
  virtualMailboxMaps: '',
  relayRecipientMaps: '',
  canonicalMaps: '',
  recipientCanonicalMaps: '',
  senderCanonicalMaps: '',
  unknownLocalRecipientRejectCode: 550,
  unknownVirtualAliasRejectCode: 550,
  unknownVirtualMailboxRejectCode: 550,
  unknownRelayRecipientRejectCode: 550,
  showUnknownTableName: true,
  myorigin: 'localhost',
  doubleBounceSender: 'double-bounce',
  verifySender: 'double-bounce@localhost',
  relayRestrictions: ['permit_mynetworks', 'permit_sasl_authenticated', 'defer_unauth_destination'],
  recipientRestrictions: [],
  clientRestrictions: [],
  heloRestrictions: [],
  senderRestrictions: [],
  dataRestrictions: [],
  restrictionClasses: {},
  delayReject: true,
  accessParentStyle: true,
  nullAccessLookupKey: '<>',
  accessMapRejectCode: 554,
  accessMapDeferCode: 450,
  nonFqdnRejectCode: 504,
  invalidHostnameRejectCode: 501,
  recipientDelimiter: '',
  relayDomainsRejectCode: 554,
  rejectCode: 554,
  deferCode: 450,
  allowUntrustedRouting: false,
  swapBangpath: true,
  allowPercentHack: true,
  messageSizeLimit: 10240000,
  lineLengthLimit: 2048,
  timeoutMs: 300_000,
  smtpdHardErrorLimit: 20,
  smtpdSoftErrorLimit: 10,
  errorSleepMs: 1000,
  smtpdJunkCommandLimit: 100,
  smtpdRecipientLimit: 1000,
  smtpdRecipientOvershootLimit: 1000,
  clientConnectionCountLimit: 50,
  clientEventLimitExceptions: ['127.0.0.0/8', '[::1]/128'],
  forbidBareNewline: 'no',
  forbidBareNewlineExclusions: ['127.0.0.0/8', '[::1]/128'],
  forbidBareNewlineRejectCode: 550,
  forbidUnauthPipelining: false,
  disableVrfyCommand: false,
  smtputf8Enable: true,
  discardEhloKeywords: [],
  peernameLookup: true,
  heloRequired: false,
  tlsSecurityLevel: 'none',
  tlsCertFile: '',
  tlsKeyFile: '',
  tlsChainFiles: [],
  tlsWrapperMode: false,
  tlsReceivedHeader: false,
  saslAuthEnable: false,
  tlsAuthOnly: false,
  saslSecurityOptions: ['noanonymous'],
  saslTlsSecurityOptions: ['noanonymous'],
  saslPasswordFiles: [],
  brokenSaslAuthClients: false,
  saslAuthenticatedHeader: false,
};

/** A main.cf value that cannot be used, named like Postfix does ("bad numerical configuration"). */
export class SmtpdConfigError extends Error {}

/** Postfix list syntax: separated by commas and/or whitespace. */
export function parseList(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s.length > 0);
}

export function parseBool(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'yes' || v === 'true' || v === '1') return true;
  if (v === 'no' || v === 'false' || v === '0' || v === '') return false;
  throw new SmtpdConfigError(`bad boolean configuration: ${name} = ${value}`);
}

export function parseInteger(name: string, value: string): number {
  const v = value.trim();
  if (!/^-?\d+$/.test(v)) throw new SmtpdConfigError(`bad numerical configuration: ${name} = ${value}`);
  return Number(v);
}

const TIME_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Postfix time value ("300s", "5m", "1h"); `defaultUnit` applies to a bare number. Returns ms. */
export function parseTimeMs(name: string, value: string, defaultUnit = 's'): number {
  const m = /^\s*(\d+)([smhdw]?)\s*$/i.exec(value);
  if (!m) throw new SmtpdConfigError(`bad time configuration: ${name} = ${value}`);
  const unit = (m[2] || defaultUnit).toLowerCase();
  return Number(m[1]) * TIME_UNITS[unit]! * 1000;
}

/**
 * Build SmtpdSettings from expanded main.cf values. `get(name)` returns the value after
 * $name expansion and master.cf -o overrides, or undefined when the parameter is not set
 * anywhere (then the 3.7 default above applies). `mynetworks` must be the effective list
 * (the caller computes it from mynetworks_style when mynetworks is unset).
 */
export function settingsFromParams(get: (name: string) => string | undefined): SmtpdSettings {
  const d = DEFAULT_SETTINGS;
  const str = (name: string, def: string): string => get(name) ?? def;
  const list = (name: string, def: string[]): string[] => {
    const v = get(name);
    return v === undefined ? def : parseList(v);
  };
  const bool = (name: string, def: boolean): boolean => {
    const v = get(name);
    return v === undefined ? def : parseBool(name, v);
  };
  const int = (name: string, def: number): number => {
    const v = get(name);
    return v === undefined ? def : parseInteger(name, v);
  };
  // Restriction lists keep "{ ... }" groups (inline: tables) together, as argv_splitq() does.
  const restrictions = (name: string, def: string[]): string[] => {
    const v = get(name);
    return v === undefined ? def : splitOutsideBraces(v);
  };
  const time = (name: string, defMs: number): number => {
    const v = get(name);
    return v === undefined ? defMs : parseTimeMs(name, v);
  };

  const myhostname = str('myhostname', d.myhostname);
  const mailName = str('mail_name', d.mailName);
  const mynetworks = list('mynetworks', mynetworksFromStyle(get('mynetworks_style') ?? 'host'));
  const level = parseTlsLevel(get);
  const saslOptions = list('smtpd_sasl_security_options', d.saslSecurityOptions);
  const bare = str('smtpd_forbid_bare_newline', 'no').trim().toLowerCase();
  let forbidBareNewline: BareNewlineMode;
  if (bare === 'reject') forbidBareNewline = 'reject';
  else if (bare === 'normalize') forbidBareNewline = 'normalize';
  else forbidBareNewline = parseBool('smtpd_forbid_bare_newline', bare) ? 'normalize' : 'no';
  const certFile = str('smtpd_tls_cert_file', '');
  const literalDomains = (name: string): string[] =>
    list(name, [])
      .filter((s) => !s.includes(':') && !s.startsWith('/'))
      .map(normalizeDomain);
  const aliasMaps = str('alias_maps', 'hash:/etc/aliases, nis:mail.aliases');

  return {
    myhostname,
    mailName,
    banner: str('smtpd_banner', `${myhostname} ESMTP ${mailName}`),
    serviceName: d.serviceName,
    mynetworks,
    mydestination: list('mydestination', [myhostname, 'localhost']).map(normalizeDomain),
    inetInterfaces: interfaceAddresses(list('inet_interfaces', ['all'])),
    proxyInterfaces: list('proxy_interfaces', []),
    relayDomains: list('relay_domains', d.relayDomains).map(normalizeDomain),
    virtualDomains: [
      ...literalDomains('virtual_alias_domains'),
      ...literalDomains('virtual_mailbox_domains'),
    ],
    virtualAliasDomains: literalDomains('virtual_alias_domains'),
    rejectUnlistedRecipient: bool('smtpd_reject_unlisted_recipient', d.rejectUnlistedRecipient),
    rejectUnlistedSender: bool('smtpd_reject_unlisted_sender', d.rejectUnlistedSender),
    localRecipientMaps: str('local_recipient_maps', `proxy:unix:passwd.byname ${aliasMaps}`),
    virtualAliasMaps: str('virtual_alias_maps', ''),
    virtualMailboxMaps: str('virtual_mailbox_maps', ''),
    relayRecipientMaps: str('relay_recipient_maps', ''),
    canonicalMaps: str('canonical_maps', ''),
    recipientCanonicalMaps: str('recipient_canonical_maps', ''),
    senderCanonicalMaps: str('sender_canonical_maps', ''),
    unknownLocalRecipientRejectCode: int('unknown_local_recipient_reject_code', 550),
    unknownVirtualAliasRejectCode: int('unknown_virtual_alias_reject_code', 550),
    unknownVirtualMailboxRejectCode: int('unknown_virtual_mailbox_reject_code', 550),
    unknownRelayRecipientRejectCode: int('unknown_relay_recipient_reject_code', 550),
    showUnknownTableName: bool('show_user_unknown_table_name', d.showUnknownTableName),
    myorigin: normalizeDomain(str('myorigin', myhostname)),
    doubleBounceSender: str('double_bounce_sender', d.doubleBounceSender),
    verifySender: verifySenderAddress(
      str('address_verify_sender', str('double_bounce_sender', d.doubleBounceSender)),
      str('myorigin', myhostname),
    ),
    relayRestrictions: restrictions('smtpd_relay_restrictions', d.relayRestrictions),
    recipientRestrictions: restrictions('smtpd_recipient_restrictions', d.recipientRestrictions),
    clientRestrictions: restrictions('smtpd_client_restrictions', []),
    heloRestrictions: restrictions('smtpd_helo_restrictions', []),
    senderRestrictions: restrictions('smtpd_sender_restrictions', []),
    dataRestrictions: restrictions('smtpd_data_restrictions', []),
    restrictionClasses: Object.fromEntries(
      list('smtpd_restriction_classes', []).map((name) => [name, restrictions(name, [])]),
    ),
    delayReject: bool('smtpd_delay_reject', d.delayReject),
    accessParentStyle: list('parent_domain_matches_subdomains', ['smtpd_access_maps']).includes(
      'smtpd_access_maps',
    ),
    nullAccessLookupKey: str('smtpd_null_access_lookup_key', d.nullAccessLookupKey),
    accessMapRejectCode: int('access_map_reject_code', d.accessMapRejectCode),
    accessMapDeferCode: int('access_map_defer_code', d.accessMapDeferCode),
    nonFqdnRejectCode: int('non_fqdn_reject_code', d.nonFqdnRejectCode),
    invalidHostnameRejectCode: int('invalid_hostname_reject_code', d.invalidHostnameRejectCode),
    recipientDelimiter: str('recipient_delimiter', d.recipientDelimiter),
    relayDomainsRejectCode: int('relay_domains_reject_code', d.relayDomainsRejectCode),
    rejectCode: int('reject_code', d.rejectCode),
    deferCode: int('defer_code', d.deferCode),
    allowUntrustedRouting: bool('allow_untrusted_routing', d.allowUntrustedRouting),
    swapBangpath: bool('swap_bangpath', d.swapBangpath),
    allowPercentHack: bool('allow_percent_hack', d.allowPercentHack),
    messageSizeLimit: int('message_size_limit', d.messageSizeLimit),
    lineLengthLimit: int('line_length_limit', d.lineLengthLimit),
    timeoutMs: time('smtpd_timeout', d.timeoutMs),
    smtpdHardErrorLimit: int('smtpd_hard_error_limit', d.smtpdHardErrorLimit),
    smtpdSoftErrorLimit: int('smtpd_soft_error_limit', d.smtpdSoftErrorLimit),
    errorSleepMs: time('smtpd_error_sleep_time', d.errorSleepMs),
    smtpdJunkCommandLimit: int('smtpd_junk_command_limit', d.smtpdJunkCommandLimit),
    smtpdRecipientLimit: int('smtpd_recipient_limit', d.smtpdRecipientLimit),
    smtpdRecipientOvershootLimit: int('smtpd_recipient_overshoot_limit', d.smtpdRecipientOvershootLimit),
    clientConnectionCountLimit: int('smtpd_client_connection_count_limit', d.clientConnectionCountLimit),
    clientEventLimitExceptions: list('smtpd_client_event_limit_exceptions', mynetworks),
    forbidBareNewline,
    forbidBareNewlineExclusions: list('smtpd_forbid_bare_newline_exclusions', mynetworks),
    forbidBareNewlineRejectCode: int('smtpd_forbid_bare_newline_reject_code', d.forbidBareNewlineRejectCode),
    forbidUnauthPipelining: bool('smtpd_forbid_unauth_pipelining', d.forbidUnauthPipelining),
    disableVrfyCommand: bool('disable_vrfy_command', d.disableVrfyCommand),
    smtputf8Enable: bool('smtputf8_enable', d.smtputf8Enable),
    discardEhloKeywords: list('smtpd_discard_ehlo_keywords', []).map((s) => s.toLowerCase()),
    peernameLookup: bool('smtpd_peername_lookup', d.peernameLookup),
    heloRequired: bool('smtpd_helo_required', d.heloRequired),
    tlsSecurityLevel: level,
    tlsCertFile: certFile,
    tlsKeyFile: str('smtpd_tls_key_file', certFile),
    tlsChainFiles: list('smtpd_tls_chain_files', []),
    tlsWrapperMode: bool('smtpd_tls_wrappermode', d.tlsWrapperMode),
    tlsReceivedHeader: bool('smtpd_tls_received_header', d.tlsReceivedHeader),
    saslAuthEnable: bool('smtpd_sasl_auth_enable', d.saslAuthEnable),
    tlsAuthOnly: bool('smtpd_tls_auth_only', d.tlsAuthOnly),
    saslSecurityOptions: saslOptions,
    saslTlsSecurityOptions: list('smtpd_sasl_tls_security_options', saslOptions),
    saslPasswordFiles: list('outpost_sasl_password_maps', []).map((s) => s.replace(/^(texthash|file):/, '')),
    brokenSaslAuthClients: bool('broken_sasl_auth_clients', d.brokenSaslAuthClients),
    saslAuthenticatedHeader: bool('smtpd_sasl_authenticated_header', d.saslAuthenticatedHeader),
  };
}

/** address_verify_sender as the SMTP server compares it: qualified with @$myorigin. */
function verifySenderAddress(value: string, myorigin: string): string {
  const v = value.trim();
  if (v === '' || v === '<>' || v.includes('@')) return v;
  return `${v}@${myorigin}`;
}

/** smtpd_tls_security_level, falling back to the legacy smtpd_use_tls / smtpd_enforce_tls. */
function parseTlsLevel(get: (name: string) => string | undefined): TlsSecurityLevel {
  const level = (get('smtpd_tls_security_level') ?? '').trim().toLowerCase();
  if (level === 'none' || level === 'may' || level === 'encrypt') return level;
  if (level !== '') throw new SmtpdConfigError(`invalid smtpd_tls_security_level value: "${level}"`);
  if (parseBool('smtpd_enforce_tls', get('smtpd_enforce_tls') ?? 'no')) return 'encrypt';
  if (parseBool('smtpd_use_tls', get('smtpd_use_tls') ?? 'no')) return 'may';
  return 'none';
}

/**
 * The mynetworks default when the parameter is unset (Postfix mynetworks_style): "host" = each
 * interface address (/32, /128), "subnet" = each interface's network, "class" = the class A/B/C
 * network of each IPv4 address (IPv6 as subnet).
 */
export function mynetworksFromStyle(style: string): string[] {
  const out = new Set<string>();
  const s = style.trim().toLowerCase();
  if (s !== 'host' && s !== 'subnet' && s !== 'class') {
    throw new SmtpdConfigError(`unrecognized mynetworks_style value: ${style}`);
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const v6 = i.family === 'IPv6';
      let prefix = v6 ? 128 : 32;
      if (s === 'subnet' || (s === 'class' && v6)) prefix = Number(i.cidr?.split('/')[1] ?? prefix);
      if (s === 'class' && !v6) {
        const first = Number(i.address.split('.')[0]);
        prefix = first < 128 ? 8 : first < 192 ? 16 : 24;
      }
      const net = networkAddress(i.address, prefix, v6);
      out.add(v6 ? `[${net}]/${prefix}` : `${net}/${prefix}`);
    }
  }
  const all = [...out];
  return [...all.filter((a) => !a.startsWith('[')), ...all.filter((a) => a.startsWith('['))];
}

function networkAddress(address: string, prefix: number, v6: boolean): string {
  if (!v6) {
    const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (n & mask) >>> 0;
    return [24, 16, 8, 0].map((sh) => (net >>> sh) & 255).join('.');
  }
  // Expand, mask, and print without compression (valid inside [] for mynetworks).
  const [l, r] = address.split('::') as [string, string | undefined];
  const left = l ? l.split(':') : [];
  const right = r ? r.split(':') : [];
  const groups =
    r === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const masked = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    return (parseInt(g, 16) & mask).toString(16);
  });
  // RFC 5952 form: the longest run (2+) of zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && masked[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return masked.join(':');
  return `${masked.slice(0, best).join(':')}::${masked.slice(best + bestLen).join(':')}`;
}

/** Domain names compare case-insensitively and without a trailing dot. */
export function normalizeDomain(domain: string): string {
  const lower = domain.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * inet_interfaces keywords to addresses for the "user@[address]" local-destination test.
 * "all" means every address the host's interfaces carry.
 */
function interfaceAddresses(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const lower = v.toLowerCase();
    if (lower === 'loopback-only') out.push('127.0.0.1', '::1');
    else if (lower === 'all') {
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.push(i.address);
    } else out.push(v.replace(/^\[|\]$/g, ''));
  }
  return out;
}
