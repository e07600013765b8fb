// master.cf reader for Outpost's service manager: one service per logical line,
// eight fields (service type private unpriv chroot wakeup maxproc command+args),
// "-" for a field's default, y/n booleans, `-o name=value` / `-o { name = value }`
// parameter overrides and `{ arg with spaces }` arguments. Errors name the file
// and line in the wording of Postfix's master(8) ("PATH: line N: ...").
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Config, loadConfig, defaultsOnlyConfig } from './config.js';
import { ConfigError } from './errors.js';
import { readLogicalLines } from './logical-lines.js';
import { describeErrno, splitNameValue } from './main-cf.js';
import { extractBraced, splitMasterFields } from './master-tokens.js';
import { parseCompatLevel } from './compat-level.js';
import { resolveServicePort } from './services.js';
import { compatNotice } from './compat.js';

export type MasterServiceType = 'inet' | 'unix' | 'unix-dgram' | 'fifo' | 'pass';

export interface MasterService {
  /** Field 1 as written (e.g. "submission", "127.0.0.1:2525", "cleanup"). */
  service: string;
  type: MasterServiceType;
  private: boolean;
  unpriv: boolean;
  chroot: boolean;
  /** Seconds between wake-up events; 0 = none. */
  wakeup: number;
  /** Wakeup written as "N?": only after the service was used once. */
  wakeupConditional: boolean;
  /** 0 = unlimited. */
  maxproc: number;
  /** Field 8, the program name (e.g. "smtpd"). */
  command: string;
  /** Arguments after the command, normalized: braces removed, "-oname=value" split into "-o", "name=value". */
  args: string[];
  /** `-o name=value` settings in order (a later one for the same name wins). */
  overrides: Record<string, string>;
  /** inet services: listen address; host absent = all of inet_interfaces. */
  endpoint?: { host?: string; port: number };
  /** First physical line of the entry in master.cf. */
  line: number;
}

export const MASTER_SERVICE_TYPES: readonly MasterServiceType[] = [
  'unix',
  'fifo',
  'inet',
  'pass',
  'unix-dgram',
];

/** Normalizes daemon arguments as Postfix does: split "-oname=value", unwrap braces, name = value -> name=value. */
export function normalizeDaemonArgs(args: string[], warn: (m: string) => void): string[] {
  const out = [...args];
  let i = 0;
  for (; i < out.length; i++) {
    let arg = out[i] as string;
    if (!arg.startsWith('-') || arg === '--') break;
    // "-vo" style: split before an option letter that expects a value.
    const oAt = arg.indexOf('o', 1);
    if (oAt > 1) {
      out.splice(i + 1, 0, '-' + arg.slice(oAt));
      arg = arg.slice(0, oAt);
      out[i] = arg;
    }
    if (arg[1] !== 'o') continue;
    let valueAt: number;
    if (arg.length > 2) {
      out.splice(i + 1, 0, arg.slice(2));
      out[i] = '-o';
      valueAt = i + 1;
    } else if (i + 1 < out.length) {
      valueAt = i + 1;
    } else {
      continue;
    }
    i = valueAt;
    const value = out[valueAt] as string;
    if (value.startsWith('{')) {
      const { text, error } = extractBraced(value);
      if (error !== undefined) warn(`master.cf: ${error}`);
      const split = splitNameValue(text);
      if (typeof split === 'string') {
        warn(`master.cf: ${split}: "${text}"`);
        out[valueAt] = text;
      } else {
        out[valueAt] = `${split[0]}=${split[1]}`;
      }
    }
  }
  for (; i < out.length; i++) {
    const arg = out[i] as string;
    if (arg.startsWith('{')) {
      const { text, error } = extractBraced(arg);
      if (error !== undefined) warn(`master.cf: ${error}`);
      out[i] = text;
    }
  }
  return out;
}

/** host_port(): "[v6]:port", "host:port" or "port" -> parts, or Postfix's error text. */
export function splitHostPort(text: string): { host?: string; port: string } | string {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return 'missing "]"';
    const host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return 'garbage after "]"';
    if (rest === '' || rest === ':') return 'missing service information';
    return { host, port: rest.slice(1) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { port: text };
  const host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (port === '') return 'missing service information';
  return host === '' ? { port } : { host, port };
}

function parseEntry(
  text: string,
  line: number,
  path: string,
  config: Config,
  notices: string[],
  warn: (m: string) => void,
): MasterService {
  const ctx = `${path}: line ${line}`;
  const fail = (what: string): never => {
    throw new ConfigError(`${ctx}: ${what}`, path, line);
  };
  const fields = splitMasterFields(text);
  // Fields are read and checked one after the other, as master(8) does.
  const names = [
    'service',
    'type',
    'private',
    'unprivileged',
    'chroot',
    'wakeup_time',
    'max_proc',
    'command',
  ];
  const field = (f: number): string => fields[f] ?? fail(`missing "${names[f]}" field`);
  const service = field(0);
  if (service === '-') fail('field "service" has no default value');
  const type = field(1);
  if (!(MASTER_SERVICE_TYPES as readonly string[]).includes(type)) fail(`bad transport type: ${type}`);
  const bool = (name: string, value: string, def: string): boolean => {
    const v = value === '-' ? def : value;
    if (v === 'y') return true;
    if (v === 'n') return false;
    return fail(`field "${name}": bad value: "${value}"`);
  };
  const int = (name: string, value: string, def: string): number => {
    const v = value === '-' ? def : value;
    if (!/^\d/.test(v)) return fail(`field "${name}": bad value: "${value}"`);
    return parseInt(v, 10);
  };
  const isPrivate = bool('private', field(2), 'y');
  let endpoint: MasterService['endpoint'];
  if (type === 'inet') {
    const hp = splitHostPort(service);
    if (typeof hp === 'string') fail(`${hp} in "${service}"`);
    const { host, port } = hp as { host?: string; port: string };
    const portNumber = resolveServicePort(port);
    if (portNumber === undefined) fail(`unknown service: ${port}/tcp`);
    if (isPrivate) fail('inet service cannot be private');
    endpoint = host === undefined ? { port: portNumber as number } : { host, port: portNumber as number };
  }
  const isUnpriv = bool('unprivileged', field(3), 'y');
  const compat = parseCompatLevel(config.get('compatibility_level')) ?? 0;
  const chrootDefault = compat < (parseCompatLevel('1') as number) ? 'y' : 'n';
  const chroot = field(4);
  if (chroot === '-' && chrootDefault === 'y') {
    notices.push(compatNotice.masterChroot(path, line));
  }
  const isChroot = bool('chroot', chroot, chrootDefault);
  const wakeup = field(5);
  const wakeupTime = int('wakeup_time', wakeup, '0');
  const maxProc = int('max_proc', field(6), config.get('default_process_limit'));
  const command = field(7);
  if (command === '-') fail('field "command" has no default value');
  const args = normalizeDaemonArgs(fields.slice(8), warn);
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('-') || a === '--') break;
    if (a === '-o' && i + 1 < args.length) {
      const nv = args[++i] as string;
      const eq = nv.indexOf('=');
      if (eq <= 0) fail(`-o option requires name=value: "${nv}"`);
      overrides[nv.slice(0, eq)] = nv.slice(eq + 1);
    }
  }
  const svc: MasterService = {
    service,
    type: type as MasterServiceType,
    private: isPrivate,
    unpriv: isUnpriv,
    chroot: isChroot,
    wakeup: wakeupTime,
    wakeupConditional: wakeupTime > 0 && wakeup.endsWith('?'),
    maxproc: maxProc,
    command,
    args,
    overrides,
    line,
  };
  if (endpoint !== undefined) svc.endpoint = endpoint;
  return svc;
}

export interface MasterCfResult {
  services: MasterService[];
  /** Non-fatal warnings (Postfix wording). */
  warnings: string[];
  /** "using backwards-compatible default setting" notices for the log. */
  notices: string[];
}

/** Parses master.cf text; duplicate service/type entries: the last one wins. */
export function parseMasterCf(text: string, path: string, config: Config): MasterCfResult {
  const { lines, warnings } = readLogicalLines(text, path);
  const notices: string[] = [];
  const byKey = new Map<string, MasterService>();
  for (const l of lines) {
    const svc = parseEntry(l.text, l.firstLine, path, config, notices, (m) => warnings.push(m));
    byKey.set(`${svc.service}/${svc.type}`, svc);
  }
  return { services: [...byKey.values()], warnings, notices };
}

/** Reads DIR/master.cf (with DIR/main.cf for defaults such as default_process_limit). */
export function readMasterCf(configDir: string, config?: Config): MasterCfResult {
  const path = join(configDir, 'master.cf');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`open ${path}: ${describeErrno(err)}`, path);
  }
  let cfg = config;
  if (cfg === undefined) {
    try {
      cfg = loadConfig(configDir);
    } catch {
      cfg = defaultsOnlyConfig(configDir);
    }
  }
  return parseMasterCf(text, path, cfg);
}

/**
 * The configuration a service runs with: main.cf plus the entry's -o settings,
 * with service_name (field 1) and process_name (the command) set as master(8)
 * passes them, so "$service_name" in -o values works.
 */
export function serviceConfig(config: Config, svc: MasterService): Config {
  return config.withOverrides({
    service_name: svc.service,
    process_name: basename(svc.command),
    ...svc.overrides,
  });
}

export function loadMasterCf(configDir: string, config?: Config): MasterService[] {
  return readMasterCf(configDir, config).services;
}
