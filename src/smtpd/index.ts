// Outpost's SMTP server (Postfix smtpd): public API.
export { createSmtpServer, type SmtpServer, type ListenEndpoint } from './server.js';
export {
  settingsFromParams,
  DEFAULT_SETTINGS,
  SmtpdConfigError,
  type SmtpdSettings,
  type BareNewlineMode,
  type TlsSecurityLevel,
} from './settings.js';
export type { SmtpdLogger, RuntimeOptions } from './runtime.js';
export { PasswordFile, hashPasswordScrypt, type PasswordVerifier } from './password-file.js';
export { sha512Crypt, parseSha512Crypt } from './sha512-crypt.js';
