// The Config object every Outpost module reads parameters from. Values come from
// main.cf (or master.cf -o overrides), else Postfix 3.7's built-in defaults, and
// are expanded lazily at the time of use, as Postfix does.
import { type CompatBreak, compatBreaks, compatLevelOf } from './compat.js';
import { ConfigError } from './errors.js';
import { expandValue } from './expand.js';
import {
  computeMyNetworks,
  defaultMyDomain,
  defaultMyHostname,
  defaultProcessName,
} from './host-defaults.js';
import { type MainCf, readMainCf } from './main-cf.js';
import { OUTPOST_PARAMETERS } from './outpost-parameters.js';
import { transportParamDefault } from './service-params.js';
import { LEGACY_PARAMETERS, POSTFIX_DEFAULTS, RAW_PARAMETERS, type ParamType } from './postfix-defaults.js';
import { parseBool, parseInt32, parseLong, parseTime, splitList } from './values.js';
import { MAIL_VERSION } from './version.js';

export interface LoadConfigOptions {
  /** Extra `name=value` settings that replace main.cf entries (raw, expanded on use). */
  overrides?: Record<string, string>;
}

interface ConfigState {
  configDir: string;
  mainCf: MainCf | undefined;
  overrides: Map<string, string>;
  warnings: string[];
}

/** Type and default time unit of a known parameter; undefined for unknown names. */
export function paramInfo(name: string): { type: ParamType; unit?: string } | undefined {
  const general = transportParamDefault(name);
  const d =
    POSTFIX_DEFAULTS[name] ??
    OUTPOST_PARAMETERS[name] ??
    (general === undefined ? undefined : POSTFIX_DEFAULTS[general]);
  if (d === undefined) return undefined;
  return d[2] === undefined ? { type: d[1] } : { type: d[1], unit: d[2] };
}

export class Config {
  readonly configDir: string;
  /** Non-fatal warnings in Postfix wording (no "program: warning: " prefix). */
  readonly warnings: string[];
  private readonly state: ConfigState;
  private readonly cache = new Map<string, string>();

  constructor(state: ConfigState) {
    this.state = state;
    this.configDir = state.configDir;
    this.warnings = state.warnings;
  }

  /** Path of main.cf. */
  get mainCfPath(): string {
    return this.state.mainCf?.path ?? `${this.configDir}/main.cf`;
  }

  /** True when main.cf (or an override) sets the parameter. */
  isSet(name: string): boolean {
    return this.state.overrides.has(name) || (this.state.mainCf?.entries.has(name) ?? false);
  }

  /** Value as set in main.cf/overrides, unexpanded; undefined when not set. */
  explicit(name: string): string | undefined {
    return this.state.overrides.get(name) ?? this.state.mainCf?.entries.get(name)?.value;
  }

  /** main.cf line of the parameter's (last) definition. */
  lineOf(name: string): number | undefined {
    return this.state.mainCf?.entries.get(name)?.line;
  }

  /** Names set in main.cf or overrides. */
  explicitNames(): string[] {
    const names = new Set<string>(this.state.mainCf?.entries.keys() ?? []);
    for (const n of this.state.overrides.keys()) names.add(n);
    return [...names];
  }

  /** Unexpanded value: override or main.cf value, else the built-in default. */
  raw(name: string): string | undefined {
    const set = this.explicit(name);
    if (set !== undefined) return set;
    return this.defaultValue(name);
  }

  /** Built-in default (host-derived ones computed here), unexpanded. */
  defaultValue(name: string): string | undefined {
    switch (name) {
      case 'myhostname': {
        // A host name without a dot is completed with an explicitly set mydomain.
        // Postfix expands that setting against main.cf entries only (mail_conf_lookup_eval()).
        const mydomain = this.explicit('mydomain');
        const expanded =
          mydomain === undefined
            ? undefined
            : expandValue(mydomain, { lookup: (n) => this.explicit(n), recurse: true }).value;
        return defaultMyHostname(undefined, expanded);
      }
      case 'mydomain':
        return defaultMyDomain(this.get('myhostname'));
      case 'mynetworks':
        return computeMyNetworks(
          this.get('mynetworks_style'),
          this.get('inet_protocols'),
          this.get('inet_interfaces'),
        );
      case 'process_id':
        return String(process.pid);
      case 'process_name':
        return defaultProcessName();
      case 'config_directory':
        return this.configDir;
      case 'mail_version':
        return MAIL_VERSION;
      default: {
        const builtin =
          POSTFIX_DEFAULTS[name]?.[0] ??
          OUTPOST_PARAMETERS[name]?.[0] ??
          (LEGACY_PARAMETERS.has(name) ? '' : undefined);
        if (builtin !== undefined) return builtin;
        // "<transport>_destination_concurrency_limit" etc. default to the general parameter.
        const general = transportParamDefault(name);
        return general === undefined ? undefined : `$${general}`;
      }
    }
  }

  /** Fully expanded value; '' when the parameter has no value. */
  get(name: string): string {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    const raw = this.raw(name);
    if (raw === undefined) return '';
    // Raw parameters (e.g. forward_path) are expanded later by their users, never here.
    let value = raw;
    if (!RAW_PARAMETERS.has(name)) {
      try {
        value = this.expand(raw);
      } catch (err) {
        // Point at the main.cf line that defines the parameter when there is one.
        if (
          err instanceof ConfigError &&
          !this.state.overrides.has(name) &&
          this.lineOf(name) !== undefined
        ) {
          throw new ConfigError(err.message, this.mainCfPath, this.lineOf(name));
        }
        throw err;
      }
    }
    this.cache.set(name, value);
    return value;
  }

  /**
   * Expands arbitrary text against this configuration ($name, ${name?x}, ...).
   * Throws ConfigError with Postfix's warning text on syntax errors or recursion.
   */
  expand(text: string): string {
    let firstWarning: string | undefined;
    const result = expandValue(text, {
      lookup: (n) => this.raw(n),
      recurse: true,
      warn: (m) => {
        firstWarning ??= m;
      },
    });
    if (result.error) throw new ConfigError(firstWarning ?? 'macro processing error', this.mainCfPath);
    return result.value;
  }

  bool(name: string): boolean {
    return parseBool(name, this.get(name));
  }

  int(name: string): number {
    return parseInt32(name, this.get(name));
  }

  /** Seconds; a bare number uses the parameter's default unit (maximal_queue_lifetime: days). */
  time(name: string): number {
    return parseTime(name, this.get(name), paramInfo(name)?.unit ?? 's');
  }

  /** Byte count (Postfix long). */
  size(name: string): number {
    return parseLong(name, this.get(name));
  }

  /** Expanded value split on commas/whitespace, keeping `{...}` groups intact. */
  list(name: string): string[] {
    return splitList(this.get(name));
  }

  /** Parsed compatibility_level (major<<20 | minor<<10 | patch); malformed values throw. */
  compatLevel(): number {
    return compatLevelOf(this);
  }

  /**
   * Parameters running on a backwards-compatible default because compatibility_level
   * is low and they are not set; daemons log compatNotice.* messages for these.
   */
  compatBreaks(): Set<CompatBreak> {
    return compatBreaks(this);
  }

  /** A copy with master.cf `-o name=value` settings applied (values expand lazily). */
  withOverrides(o: Record<string, string>): Config {
    const overrides = new Map(this.state.overrides);
    for (const [k, v] of Object.entries(o)) overrides.set(k, v);
    return new Config({ ...this.state, overrides, warnings: [...this.state.warnings] });
  }
}

/** Reads DIR/main.cf; throws ConfigError for fatal problems (missing file, bad line). */
export function loadConfig(configDir: string, options: LoadConfigOptions = {}): Config {
  const mainCf = readMainCf(configDir);
  return new Config({
    configDir,
    mainCf,
    overrides: new Map(Object.entries(options.overrides ?? {})),
    warnings: [...mainCf.warnings],
  });
}

/** A Config with no main.cf at all (built-in defaults only), as `postconf -d` sees it. */
export function defaultsOnlyConfig(configDir: string): Config {
  return new Config({ configDir, mainCf: undefined, overrides: new Map(), warnings: [] });
}

/** Type of a known parameter, for callers that want to validate. */
export function paramType(name: string): ParamType | undefined {
  return paramInfo(name)?.type;
}
