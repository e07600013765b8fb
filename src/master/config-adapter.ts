// The daemon's view of the configuration. Everything in src/master, src/pickup, src/qmgr and
// src/delivery reads settings only through DaemonConfig, so the configuration module
// (src/config: loadConfig/loadMasterCf) can replace the stand-in parser by changing
// loadDaemonConfig() below and nothing else.
//
// WIRING POINT (lead): when src/config lands, make loadDaemonConfig() call
//   resolveConfigDir(cliDir), loadConfig(dir, { overrides }) and loadMasterCf(dir)
// and wrap the Config in an object with this interface (get/bool/int/time/size/list map 1:1).
import { loadStandinConfig } from './standin-config.js';

/** One master.cf entry, with the same field names as src/config's MasterService. */
export interface MasterService {
  /** Field 1 as written: "smtp", "127.0.0.1:2525", "pickup", ... */
  service: string;
  type: 'inet' | 'unix' | 'unix-dgram' | 'fifo' | 'pass';
  private: boolean;
  unpriv: boolean;
  chroot: boolean;
  /** Field 6 in seconds (0 = none); a trailing "?" is dropped. */
  wakeup: number;
  /** Field 7; 0 = unlimited. */
  maxproc: number;
  /** Field 8: "smtpd", "pickup", "qmgr", "local", ... */
  command: string;
  args: string[];
  /** -o name=value pairs, in order. */
  overrides: Record<string, string>;
  /** For inet services: host (absent = all inet_interfaces) and numeric port. */
  endpoint?: { host?: string; port: number };
  /** Where the entry starts, for error messages: "/etc/postfix/master.cf, line 12". */
  where?: string;
}

export interface DaemonConfig {
  /** The configuration directory (config_directory). */
  readonly dir: string;
  /** Expanded parameter value ("" when unset and without default). */
  get(name: string): string;
  bool(name: string): boolean;
  int(name: string): number;
  /** Time value in seconds; `unit` is the parameter's default unit (s, m, h, d, w). */
  time(name: string, unit?: string): number;
  size(name: string): number;
  /** Comma/space separated list. */
  list(name: string): string[];
  /** The same configuration with master.cf -o overrides applied. */
  withOverrides(overrides: Record<string, string>): DaemonConfig;
  /** master.cf entries in file order. */
  readonly services: MasterService[];
}

/** A configuration problem a person must fix; `where` is "file, line N" when known. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Parameter overrides (e.g. from the command line or tests); win over main.cf. */
  overrides?: Record<string, string>;
}

/** Resolve the configuration directory like Postfix: -c DIR, else $MAIL_CONFIG, else /etc/postfix. */
export function resolveDaemonConfigDir(cliDir?: string): string {
  return cliDir ?? process.env.MAIL_CONFIG ?? '/etc/postfix';
}

/** Read main.cf and master.cf from `dir`. Throws ConfigError (with file and line) on bad input. */
export async function loadDaemonConfig(dir: string, options: LoadOptions = {}): Promise<DaemonConfig> {
  return loadStandinConfig(dir, options.overrides ?? {});
}
