// WIRING ADAPTER (ready, not yet used): DaemonConfig on top of src/config (Config from
// loadConfig, MasterService[] from loadMasterCf) as they are on main. Structural types, so it
// compiles on this branch. After the merge, loadDaemonConfig() in config-adapter.ts becomes:
//
//   try {
//     const config = loadConfig(dir, { overrides });
//     return adaptConfig(config, loadMasterCf(dir, config), dir);
//   } catch (err) {
//     // src/config's ConfigError keeps file and line apart: give ours the Postfix wording.
//     if (err instanceof CfgError) throw new ConfigError(located(err.message, err.file, err.line));
//     throw err;
//   }
//
// (CfgError = src/config's ConfigError, located() from src/config/errors.ts; the tests expect
// "<file>, line N: <what>".)
import type { DaemonConfig, MasterService } from './config-adapter.js';

/** The Config methods the daemon uses (src/config/config.ts on main). */
export interface ConfigLike {
  raw(name: string): string | undefined;
  get(name: string): string;
  bool(name: string): boolean;
  int(name: string): number;
  time(name: string): number;
  size(name: string): number;
  list(name: string): string[];
  withOverrides(overrides: Record<string, string>): ConfigLike;
}

/** src/config's MasterService: like ours, with `line` instead of `where`. */
export type MasterServiceLike = Omit<MasterService, 'where'> & { line: number };

/** Outpost's own parameters, unknown to Postfix's table (docs/daemon.md). */
const OUTPOST_DEFAULTS: Record<string, string> = {
  outpost_shutdown_timeout: '10s',
  outpost_mail_home_directory: '',
};

export function adaptConfig(config: ConfigLike, services: MasterServiceLike[], dir: string): DaemonConfig {
  const withDefaults = (c: ConfigLike): ConfigLike => {
    const missing = Object.fromEntries(
      Object.entries(OUTPOST_DEFAULTS).filter(([k]) => c.raw(k) === undefined),
    );
    return Object.keys(missing).length ? c.withOverrides(missing) : c;
  };
  const c = withDefaults(config);
  const mapped: MasterService[] = services.map(({ line, ...s }) => ({
    ...s,
    where: `${dir}/master.cf, line ${line}`,
  }));
  return {
    dir,
    services: mapped,
    get: (n) => c.get(n),
    bool: (n) => c.bool(n),
    int: (n) => c.int(n),
    // src/config knows each parameter's default unit; ours is only a hint for the stand-in.
    time: (n) => c.time(n),
    size: (n) => c.size(n),
    list: (n) => c.list(n),
    withOverrides: (o) => adaptConfig(c.withOverrides(o), services, dir),
  };
}
