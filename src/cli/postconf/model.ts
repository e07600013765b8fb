// postconf's view of the parameter name space: built-in parameters (Postfix
// 3.7.11 defaults), per-service parameters derived from master.cf delivery
// transports, user-defined parameters validated by a $reference, and legacy
// names. Lookup and expansion follow postconf's rules: master.cf -o settings,
// then main.cf, then the default; -d sees defaults only, -n main.cf only.
import { hostname } from 'node:os';
import { expandValue } from '../../config/expand.js';
import { computeMyNetworks } from '../../config/host-defaults.js';
import {
  LEGACY_PARAMETERS,
  POSTFIX_DEFAULTS,
  RAW_PARAMETERS,
  READONLY_PARAMETERS,
} from '../../config/postfix-defaults.js';
import { MAIL_VERSION } from '../../config/version.js';
import { OUTPOST_PARAMETERS } from '../../config/outpost-parameters.js';
import { TIME_LIMIT_PARAM, TRANSPORT_PARAMS } from '../../config/service-params.js';
import { ConfigError } from '../../config/errors.js';
import { registerDbmsParameters } from './dbms-register.js';
import type { Reporter } from './io.js';
import { FIELD_CMD, type MasterEntry } from './master-table.js';
import { Mode } from './options.js';

export const enum ParamFlag {
  Raw = 1 << 0,
  Builtin = 1 << 1,
  Service = 1 << 2,
  User = 1 << 3,
  Legacy = 1 << 4,
  ReadOnly = 1 << 5,
}
export const PARAM_CLASS_MASK = ParamFlag.Builtin | ParamFlag.Service | ParamFlag.User;

export interface ParamNode {
  flags: number;
  defaultValue: () => string;
}

const SERVICE_PARAMS = TRANSPORT_PARAMS;
const TIME_LIMIT = TIME_LIMIT_PARAM;
const SERVICE_PROGRAMS: Record<string, ReadonlyArray<readonly [string, string]>> = {
  local: SERVICE_PARAMS,
  error: SERVICE_PARAMS,
  virtual: SERVICE_PARAMS,
  smtp: SERVICE_PARAMS,
  lmtp: SERVICE_PARAMS,
  pipe: [TIME_LIMIT, ...SERVICE_PARAMS],
  spawn: [TIME_LIMIT],
};

export class PostconfModel {
  /** main.cf settings (plus -c config_directory and -o overrides); empty with -d. */
  readonly mainDict = new Map<string, string>();
  readonly params = new Map<string, ParamNode>();
  master: MasterEntry[] = [];
  private readonly restClasses = new Set<string>();
  private readonly fnCache = new Map<string, string>();

  constructor(
    readonly mode: number,
    /** config_directory as used in messages (the -c argument or MAIL_CONFIG). */
    readonly configDir: string,
    readonly report: Reporter,
  ) {}

  // ---- lookups -------------------------------------------------------------

  /** pcf_lookup_parameter_value(). */
  lookupValue(mode: number, name: string, scope?: MasterEntry, node?: ParamNode): string | undefined {
    if ((mode & Mode.ShowDefs) === 0) {
      if (scope !== undefined) {
        const local = scope.roParams.get(name) ?? scope.allParams?.get(name);
        if (local !== undefined) return local;
      }
      const global = this.mainDict.get(name);
      if (global !== undefined) return global;
      if ((mode & Mode.ShowNonDef) !== 0) return undefined;
    }
    const n = node ?? this.params.get(name);
    return n?.defaultValue();
  }

  /** pcf_expand_parameter_value(): recursive expansion; errors are fatal. */
  expandValue(value: string, mode: number, scope?: MasterEntry): string {
    const evalMode = mode & ~Mode.ShowNonDef;
    const r = expandValue(value, {
      lookup: (n) => this.lookupValue(evalMode, n, scope),
      recurse: true,
      warn: (m) => this.report.warn(m),
    });
    if (r.error) this.report.fatal('macro processing error');
    return r.value;
  }

  /** mail_conf_lookup_eval(): a main.cf value expanded against main.cf only. */
  mailConfLookupEval(name: string): string | undefined {
    const value = this.mainDict.get(name);
    if (value === undefined) return undefined;
    const r = expandValue(value, {
      lookup: (n) => this.mainDict.get(n),
      recurse: true,
      warn: (m) => this.report.warn(m),
    });
    if (r.error) this.report.fatal('dictionary mail_dict: macro processing error');
    return r.value;
  }

  // ---- registration -------------------------------------------------------

  private cached(name: string, compute: () => string): string {
    let v = this.fnCache.get(name);
    if (v === undefined) {
      v = compute();
      this.fnCache.set(name, v);
    }
    return v;
  }

  private checkMyHostname(): string {
    return this.cached('check_myhostname', () => {
      const host = hostname();
      if (host.includes('.')) return host;
      return `${host}.${this.mailConfLookupEval('mydomain') ?? 'localdomain'}`;
    });
  }

  private checkMyDomain(): string {
    return this.cached('mydomain', () => {
      const myhostname = this.mailConfLookupEval('myhostname') ?? this.checkMyHostname();
      const dot = myhostname.indexOf('.');
      return dot < 0 ? 'localdomain' : myhostname.slice(dot + 1);
    });
  }

  private myNetworks(): string {
    return this.cached('mynetworks', () => {
      const defs = (this.mode & Mode.ShowDefs) !== 0;
      const get = (name: string): string => {
        const explicit = defs ? undefined : this.mailConfLookupEval(name);
        return explicit ?? this.expandValue(POSTFIX_DEFAULTS[name]?.[0] ?? '', this.mode);
      };
      const interfaces = get('inet_interfaces');
      const style = get('mynetworks_style');
      const protocols = get('inet_protocols');
      try {
        return computeMyNetworks(style, protocols, interfaces);
      } catch (err) {
        if (err instanceof ConfigError) return this.report.fatal(err.message);
        throw err;
      }
    });
  }

  registerBuiltins(): void {
    for (const [name, def] of [...Object.entries(POSTFIX_DEFAULTS), ...Object.entries(OUTPOST_PARAMETERS)]) {
      let flags = ParamFlag.Builtin;
      if (RAW_PARAMETERS.has(name)) flags |= ParamFlag.Raw;
      if (READONLY_PARAMETERS.has(name)) flags |= ParamFlag.ReadOnly;
      let defaultValue: () => string = () => def[0];
      switch (name) {
        case 'myhostname':
          defaultValue = () => this.checkMyHostname();
          break;
        case 'mydomain':
          defaultValue = () => this.checkMyDomain();
          break;
        case 'mynetworks':
          defaultValue = () => this.myNetworks();
          break;
        case 'process_id':
          defaultValue = () => String(process.pid);
          break;
        case 'process_name':
          defaultValue = () => 'postconf';
          break;
        case 'service_name':
          defaultValue = () => '';
          break;
        case 'mail_version':
          defaultValue = () => MAIL_VERSION;
          break;
      }
      this.params.set(name, { flags, defaultValue });
    }
    for (const name of LEGACY_PARAMETERS) {
      if (!this.params.has(name)) this.params.set(name, { flags: ParamFlag.Legacy, defaultValue: () => '' });
    }
  }

  /** pcf_register_service_parameters(): per-transport names from master.cf commands. */
  registerServiceParams(): void {
    for (const e of this.master) {
      const list = SERVICE_PROGRAMS[e.argv[FIELD_CMD] as string];
      if (list === undefined) continue;
      const service = e.argv[0] as string;
      for (const [suffix, defParam] of list) {
        const name = service + suffix;
        const node = this.params.get(name);
        if (node !== undefined) {
          node.flags = (node.flags & ~PARAM_CLASS_MASK) | ParamFlag.Service;
        } else {
          this.params.set(name, { flags: ParamFlag.Service, defaultValue: () => `$${defParam}` });
        }
      }
    }
  }

  /** pcf_flag_user_parameter(): validates a $name reference (dbms: no "undefined" warning). */
  flagUserParameter(name: string, scope: MasterEntry | undefined, dbms = false): void {
    const source = scope !== undefined ? 'master.cf' : 'main.cf';
    let userSupplied = false;
    if (scope?.allParams?.has(name) === true) {
      userSupplied = true;
      scope.validNames?.add(name);
    } else if (this.mainDict.has(name)) {
      userSupplied = true;
      if (!this.params.has(name)) this.params.set(name, { flags: ParamFlag.User, defaultValue: () => '' });
    }
    if (scope === undefined) {
      for (const e of this.master) {
        if (e.allParams?.has(name) === true) {
          userSupplied = true;
          e.validNames?.add(name);
        }
      }
    }
    if (!userSupplied && !dbms && !this.params.has(name)) {
      this.report.warn(`${this.configDir}/${source}: undefined parameter: ${name}`);
    }
  }

  private scanValue(value: string, scope: MasterEntry | undefined): void {
    expandValue(value, {
      lookup: (n) => {
        this.flagUserParameter(n, scope);
        return undefined;
      },
      scan: true,
      warn: (m) => this.report.warn(m),
    });
  }

  private scanNameSpace(dict: Map<string, string>, scope: MasterEntry | undefined): void {
    const source = scope !== undefined ? 'master.cf' : 'main.cf';
    const classes = dict.get('smtpd_restriction_classes');
    if (classes !== undefined) {
      const expanded = expandValue(classes, {
        lookup: (n) => dict.get(n),
        recurse: true,
        warn: (m) => this.report.warn(m),
      });
      if (expanded.error)
        this.report.fatal(`dictionary ${scope ? scope.nameSpace : 'mail_dict'}: macro processing error`);
      for (const cls of expanded.value.split(/[, \t\r\n]+/).filter(Boolean)) {
        if (scope === undefined) this.restClasses.add(cls);
        this.flagUserParameter(cls, scope);
      }
    }
    for (const [name, value] of [...dict]) {
      if (scope !== undefined && this.restClasses.has(name)) scope.validNames?.add(name);
      const node = this.params.get(name);
      if (node !== undefined) {
        if ((node.flags & ParamFlag.ReadOnly) !== 0) {
          this.report.warn(`${this.configDir}/${source}: read-only parameter assignment: ${name}=${value}`);
          dict.delete(name);
          continue;
        }
        if ((node.flags & ParamFlag.Legacy) !== 0) {
          node.flags = (node.flags & ~(PARAM_CLASS_MASK | ParamFlag.Legacy)) | ParamFlag.User;
        }
        if ((node.flags & ParamFlag.Raw) !== 0) continue;
      }
      this.scanValue(value, scope);
      if (node !== undefined && (node.flags & (ParamFlag.Builtin | ParamFlag.Service)) !== 0) {
        // pcf_register_dbms_parameters(): the value is expanded first (errors are fatal).
        registerDbmsParameters(this, this.expandValue(value, Mode.ShowEval, scope), scope);
      }
    }
  }

  /** pcf_register_user_parameters(). */
  registerUserParams(): void {
    for (const e of this.master) {
      if (e.allParams !== undefined) this.scanNameSpace(e.allParams, e);
    }
    // Defaults of parameters left unset may refer to legacy names; scan them too.
    for (const [name, node] of [...this.params]) {
      if ((node.flags & ParamFlag.Raw) !== 0 || this.mainDict.has(name)) continue;
      this.scanValue(node.defaultValue(), undefined);
    }
    this.scanNameSpace(this.mainDict, undefined);
  }

  // ---- unused-parameter warnings -----------------------------------------

  private flagUnused(dict: Map<string, string>, confName: string, scope: MasterEntry | undefined): void {
    const flagged: string[] = [];
    for (const name of dict.keys()) {
      if (this.params.has(name)) continue;
      if (scope?.validNames?.has(name) === true) continue;
      flagged.push(name);
    }
    if (flagged.length === 0) return;
    this.report.flush();
    for (const name of flagged.sort(byteCompare)) {
      this.report.warn(`${this.configDir}/${confName}: unused parameter: ${name}=${dict.get(name) ?? ''}`);
    }
  }

  flagUnusedMain(): void {
    this.flagUnused(this.mainDict, 'main.cf', undefined);
  }

  flagUnusedMaster(): void {
    for (const e of this.master) {
      if (e.allParams !== undefined) this.flagUnused(e.allParams, 'master.cf', e);
    }
  }
}

export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
