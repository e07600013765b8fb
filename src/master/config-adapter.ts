// The daemon's view of the configuration: src/config (main.cf via loadConfig, master.cf via
// loadMasterCf) behind the small DaemonConfig interface that src/master, src/pickup, src/qmgr
// and src/delivery read. src/config's ConfigError (bare message + file/line) is turned into
// the daemon's ConfigError whose message already says "file, line N: ...".
import { resolveConfigDir } from '../config/config-dir.js';
import { loadConfig, type Config } from '../config/config.js';
import { loadMasterCf, type MasterService as ConfigMasterService } from '../config/master-cf.js';
import { ConfigError as SourceConfigError, describeConfigError } from '../config/errors.js';

// Kept here for existing importers; it lives in src/config/errors.ts so that tools like
// postmap can report config errors without loading the master.cf code.
export { describeConfigError };

/** One master.cf entry (src/config's MasterService, with `where` for error messages). */
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
  /** Time value in seconds (a bare number uses the parameter's default unit). */
  time(name: string): number;
  size(name: string): number;
  /** Comma/space separated list. */
  list(name: string): string[];
  /** True when main.cf or a master.cf -o override sets the parameter (even to ""). */
  isSet(name: string): boolean;
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
  /** main.cf only (services empty): sendmail and the queue tools, like Postfix's, never read master.cf. */
  mainCfOnly?: boolean;
}

/** Outpost's own parameters, unknown to Postfix's table (docs/daemon.md). */
const OUTPOST_DEFAULTS: Record<string, string> = {
  // How long a graceful stop lets open SMTP sessions finish before closing them.
  outpost_shutdown_timeout: '10s',
  // Directory of per-user homes for users without a passwd entry (demo/unprivileged setups).
  outpost_mail_home_directory: '',
};

/** -c DIR, else $MAIL_CONFIG, else /etc/postfix (src/config's resolveConfigDir). */
export function resolveDaemonConfigDir(cliDir?: string): string {
  return resolveConfigDir(cliDir);
}

/** src/config's message with "file, line N: " in front unless it already names the file. */

function translated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SourceConfigError) throw new ConfigError(describeConfigError(err));
    throw err;
  }
}

function adapt(config: Config, services: MasterService[], dir: string): DaemonConfig {
  return {
    dir,
    services,
    get: (n) => translated(() => config.get(n)),
    bool: (n) => translated(() => config.bool(n)),
    int: (n) => translated(() => config.int(n)),
    time: (n) => translated(() => config.time(n)),
    size: (n) => translated(() => config.size(n)),
    list: (n) => translated(() => config.list(n)),
    isSet: (n) => config.isSet(n),
    withOverrides: (o) => adapt(config.withOverrides(o), services, dir),
  };
}

function toDaemonService(s: ConfigMasterService, dir: string): MasterService {
  const { line, wakeupConditional: _w, ...rest } = s;
  return { ...rest, where: `${dir}/master.cf, line ${line}` };
}

/** Read main.cf and master.cf from `dir`. Throws ConfigError (with file and line) on bad input. */
export async function loadDaemonConfig(dir: string, options: LoadOptions = {}): Promise<DaemonConfig> {
  return translated(() => {
    const base = loadConfig(dir, { overrides: options.overrides ?? {} });
    const missing = Object.fromEntries(
      Object.entries(OUTPOST_DEFAULTS).filter(([k]) => base.raw(k) === undefined),
    );
    const config = Object.keys(missing).length ? base.withOverrides(missing) : base;
    const services = options.mainCfOnly ? [] : loadMasterCf(dir, config).map((s) => toDaemonService(s, dir));
    return adapt(config, services, dir);
  });
}

/**
 * The configuration one master.cf service runs with: main.cf plus its -o settings, with
 * service_name and process_name set as master(8) passes them (as src/config's serviceConfig).
 */
export function serviceDaemonConfig(config: DaemonConfig, entry: MasterService): DaemonConfig {
  return config.withOverrides({
    service_name: entry.service,
    process_name: entry.command.split('/').pop() ?? entry.command,
    ...entry.overrides,
  });
}
