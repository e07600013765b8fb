// Everything a session needs that is derived from the settings once (per start or reload):
// compiled address lists, the destination resolver, TLS context and password table. An
// open session keeps the runtime it started with, so a reload never disturbs it.
import type { SecureContext } from 'node:tls';
import type { MessageSink } from '../queue/types.js';
import type { SmtpdSettings } from './settings.js';
import { NetworkList } from './network-list.js';
import { DestinationResolver } from './destination.js';
import { accessTableSpecs, checkRelayRestrictions } from './restriction-lists.js';
import { openTableList, type TableList } from '../maps/registry.js';
import { loadSecureContext } from './tls.js';
import { PasswordFile, type PasswordVerifier } from './password-file.js';
import { allowedMechanisms } from './sasl.js';
import { openRecipientTables, type RecipientTables } from './recipient-maps.js';

/** The logging the server does: Postfix-format lines (src/log/maillog.ts MailLog fits). */
export interface SmtpdLogger {
  info(service: string, message: string): void;
  warn(service: string, message: string): void;
}

export interface SmtpdRuntime {
  settings: SmtpdSettings;
  sink: MessageSink;
  log: SmtpdLogger;
  mynetworks: NetworkList;
  bareNewlineExclusions: NetworkList;
  eventLimitExceptions: NetworkList;
  resolver: DestinationResolver;
  secureContext: SecureContext | undefined;
  passwords: PasswordVerifier | undefined;
  /** Mechanisms offered before / after TLS (smtpd_sasl_security_options / _tls_ variant). */
  mechanisms: string[];
  tlsMechanisms: string[];
  /** The tables check_*_access names, by "type:name", opened once (Postfix opens them before chroot). */
  accessTables: Map<string, TableList>;
  /** local_recipient_maps and the other tables reject_unlisted_recipient/_sender search. */
  recipientTables: RecipientTables;
}

export interface RuntimeOptions {
  /** Use this instead of outpost_sasl_password_maps (e.g. a lookup table or another store). */
  passwords?: PasswordVerifier;
}

/** Validate settings and load files; throws SmtpdConfigError with the parameter/file named. */
export async function buildRuntime(
  settings: SmtpdSettings,
  sink: MessageSink,
  log: SmtpdLogger,
  options: RuntimeOptions = {},
): Promise<SmtpdRuntime> {
  checkRelayRestrictions(settings);
  const mynetworks = new NetworkList(settings.mynetworks, 'mynetworks');
  const bareNewlineExclusions = new NetworkList(
    settings.forbidBareNewlineExclusions,
    'smtpd_forbid_bare_newline_exclusions',
  );
  const eventLimitExceptions = new NetworkList(
    settings.clientEventLimitExceptions,
    'smtpd_client_event_limit_exceptions',
  );
  const secureContext = await loadSecureContext(settings);
  let passwords = options.passwords;
  if (!passwords && settings.saslAuthEnable && settings.saslPasswordFiles.length > 0) {
    passwords = await PasswordFile.load(settings.saslPasswordFiles);
  }
  if (settings.saslAuthEnable && !passwords) {
    log.warn(
      settings.serviceName,
      'smtpd_sasl_auth_enable = yes but outpost_sasl_password_maps is empty: AUTH is not offered',
    );
  }
  // A table that cannot be opened answers every lookup with its error: the restriction then
  // gives "451 4.3.5 Server configuration error" instead of the whole server failing.
  const accessTables = new Map<string, TableList>();
  for (const spec of accessTableSpecs(settings)) {
    accessTables.set(
      spec,
      await openTableList(spec, {
        deferOpenErrors: true,
        utf8: settings.smtputf8Enable,
        warn: (m) => log.warn(settings.serviceName, m),
      }),
    );
  }
  const recipientTables = await openRecipientTables(settings, (m) => log.warn(settings.serviceName, m));
  return {
    settings,
    sink,
    log,
    mynetworks,
    bareNewlineExclusions,
    eventLimitExceptions,
    resolver: new DestinationResolver(settings),
    secureContext,
    passwords,
    mechanisms: passwords ? allowedMechanisms(settings.saslSecurityOptions) : [],
    tlsMechanisms: passwords ? allowedMechanisms(settings.saslTlsSecurityOptions) : [],
    accessTables,
    recipientTables,
  };
}
