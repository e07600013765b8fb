// STAND-IN for src/config (owned by the config helper): a small main.cf/master.cf reader with
// the syntax rules of Postfix 3.7 (see /work/shared/spec/config.md) that the daemon needs.
// It exists so the daemon runs and is tested before src/config lands; replace it through
// loadDaemonConfig() in config-adapter.ts. It does not implement relational ${{a}==...}
// expressions or postconf's warnings.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type DaemonConfig, type MasterService } from './config-adapter.js';
import { builtinDefaults } from './defaults.js';

interface LogicalLine {
  text: string;
  line: number;
}

/** Join continuation lines (leading whitespace) and drop comments and blank lines. */
function logicalLines(source: string): { lines: LogicalLine[]; orphans: number[] } {
  const lines: LogicalLine[] = [];
  const orphans: number[] = [];
  source.split('\n').forEach((raw, i) => {
    const text = raw.replace(/\r$/, '');
    if (/^\s*(#|$)/.test(text)) return;
    if (/^\s/.test(text)) {
      const last = lines[lines.length - 1];
      if (last) last.text += ' ' + text.trim();
      else orphans.push(i + 1);
      return;
    }
    lines.push({ text: text.trimEnd(), line: i + 1 });
  });
  return { lines, orphans };
}

export function parseMainCf(source: string, file: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const { text, line } of logicalLines(source).lines) {
    const m = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(text);
    if (!m) {
      const name = text.split('=')[0]!.trim();
      throw new ConfigError(`missing '=' after attribute name: "${name}"`, `${file}, line ${line}`);
    }
    params[m[1]!] = m[2]!.trim();
  }
  return params;
}

/** Expand $name, ${name}, $(name), ${name?x}, ${name:x}, ${name?{x}:{y}}, $$ (lazily, recursively). */
export function expandValue(value: string, lookup: (name: string) => string, depth = 0): string {
  if (depth > 100) throw new ConfigError(`parameter expansion too deep in "${value}"`);
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '{' || next === '(') {
      const close = next === '{' ? '}' : ')';
      let level = 0;
      let j = i + 1;
      for (; j < value.length; j++) {
        if (value[j] === next) level++;
        else if (value[j] === close && --level === 0) break;
      }
      const inner = value.slice(i + 2, j);
      i = j;
      const m = /^([A-Za-z0-9_]+)(?:([?:])([\s\S]*))?$/.exec(inner);
      if (!m) continue;
      const current = expandValue(lookup(m[1]!), lookup, depth + 1);
      if (!m[2]) {
        out += current;
        continue;
      }
      const branches = splitBranches(m[3]!);
      const chosen = m[2] === '?' ? (current ? branches[0] : branches[1]) : current ? '' : branches[0];
      out += chosen === undefined ? '' : expandValue(chosen, lookup, depth + 1);
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(value.slice(i + 1));
      if (!m) {
        out += '$';
        continue;
      }
      out += expandValue(lookup(m[0]), lookup, depth + 1);
      i += m[0].length;
    }
  }
  return out;
}

/** "{a}:{b}" -> ["a","b"]; "text" -> ["text"]. */
function splitBranches(text: string): string[] {
  const t = text.trim();
  const m = /^\{([\s\S]*)\}\s*:\s*\{([\s\S]*)\}$/.exec(t);
  if (m) return [m[1]!.trim(), m[2]!.trim()];
  const single = /^\{([\s\S]*)\}$/.exec(t);
  return [single ? single[1]!.trim() : t];
}

const SERVICE_PORTS: Record<string, number> = { smtp: 25, submission: 587, submissions: 465, smtps: 465 };
const TYPES = new Set(['inet', 'unix', 'unix-dgram', 'fifo', 'pass']);

function parseBool(field: string, dflt: boolean): boolean {
  return field === '-' ? dflt : field === 'y';
}

/** Split field 8 into words, honouring "{ text with spaces }". */
function splitArgs(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
    } else if (text[i] === '{') {
      const end = text.indexOf('}', i);
      const stop = end < 0 ? text.length : end;
      words.push(text.slice(i + 1, stop).trim());
      i = stop + 1;
    } else {
      const m = /^\S+/.exec(text.slice(i))!;
      words.push(m[0]);
      i += m[0].length;
    }
  }
  return words;
}

export function parseInetEndpoint(service: string): { host?: string; port: number } | undefined {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?([^:]+)$/.exec(service);
  if (!m) return undefined;
  const portName = m[2]!;
  const port = /^\d+$/.test(portName) ? Number(portName) : SERVICE_PORTS[portName];
  if (port === undefined || port > 65535) return undefined;
  const host = m[1]?.replace(/^\[|\]$/g, '');
  return host ? { host, port } : { port };
}

export function parseMasterCf(source: string, file: string): MasterService[] {
  const byKey = new Map<string, MasterService>();
  for (const { text, line } of logicalLines(source).lines) {
    const where = `${file}, line ${line}`;
    const fields = text.split(/\s+/);
    if (fields.length < 8) throw new ConfigError('bad field count', where);
    const [service, type, priv, unpriv, chroot, wakeup, maxproc] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!TYPES.has(type)) throw new ConfigError(`invalid type field "${type}" in "${text}"`, where);
    const words = splitArgs(text.split(/\s+/).slice(7).join(' '));
    const command = words.shift()!;
    const overrides: Record<string, string> = {};
    const args: string[] = [];
    for (let k = 0; k < words.length; k++) {
      if (words[k] === '-o') {
        const kv = words[++k];
        const eq = kv?.indexOf('=') ?? -1;
        if (!kv || eq < 1) throw new ConfigError(`bad -o option value: "${kv ?? ''}"`, where);
        overrides[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
      } else args.push(words[k]!);
    }
    if (!/^(-|\d+\??)$/.test(wakeup)) throw new ConfigError(`invalid wakeup field "${wakeup}"`, where);
    if (!/^(-|\d+)$/.test(maxproc)) throw new ConfigError(`invalid maxproc field "${maxproc}"`, where);
    const entry: MasterService = {
      service,
      type: type as MasterService['type'],
      private: type === 'inet' ? false : parseBool(priv, true),
      unpriv: parseBool(unpriv, true),
      chroot: parseBool(chroot, false),
      wakeup: wakeup === '-' ? 0 : parseInt(wakeup, 10),
      maxproc: maxproc === '-' ? 100 : parseInt(maxproc, 10),
      command,
      args,
      overrides,
      where,
    };
    if (type === 'inet') {
      const endpoint = parseInetEndpoint(service);
      if (!endpoint) throw new ConfigError(`unknown service or bad port in "${service}"`, where);
      entry.endpoint = endpoint;
    }
    // Same name and type twice: the last one wins (Postfix master behaviour).
    byKey.delete(`${service}/${type}`);
    byKey.set(`${service}/${type}`, entry);
  }
  return [...byKey.values()];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

class StandinConfig implements DaemonConfig {
  constructor(
    readonly dir: string,
    private readonly params: Record<string, string>,
    readonly services: MasterService[],
  ) {}

  private raw(name: string): string {
    const value = this.params[name];
    if (value === undefined && name === 'mydomain') {
      // Postfix: $myhostname minus its first label, else "localdomain".
      const host = this.get('myhostname');
      return host.includes('.') ? host.slice(host.indexOf('.') + 1) : 'localdomain';
    }
    return value ?? '';
  }

  get(name: string): string {
    return expandValue(this.raw(name), (n) => this.raw(n));
  }

  bool(name: string): boolean {
    const v = this.get(name).toLowerCase();
    if (v === 'yes') return true;
    if (v === 'no') return false;
    throw new ConfigError(`bad boolean configuration value: ${name} = ${v}`, join(this.dir, 'main.cf'));
  }

  int(name: string): number {
    const v = this.get(name);
    if (!/^-?\d+$/.test(v)) throw new ConfigError(`bad numerical configuration: ${name} = ${v}`);
    return Number(v);
  }

  time(name: string, unit = 's'): number {
    const v = this.get(name);
    const m = /^(\d+)([smhdw]?)$/.exec(v);
    if (!m) throw new ConfigError(`bad time configuration value: ${name} = ${v}`);
    return Number(m[1]) * UNIT_SECONDS[m[2] || unit]!;
  }

  size(name: string): number {
    return this.int(name);
  }

  list(name: string): string[] {
    return this.get(name)
      .split(/[\s,]+/)
      .filter((w) => w !== '');
  }

  withOverrides(overrides: Record<string, string>): DaemonConfig {
    return new StandinConfig(this.dir, { ...this.params, ...overrides }, this.services);
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export async function loadStandinConfig(
  dir: string,
  overrides: Record<string, string>,
): Promise<DaemonConfig> {
  const mainPath = join(dir, 'main.cf');
  const masterPath = join(dir, 'master.cf');
  const main = await readOptional(mainPath);
  if (main === undefined) throw new ConfigError(`open ${mainPath}: No such file or directory`);
  const master = await readOptional(masterPath);
  if (master === undefined) throw new ConfigError(`open ${masterPath}: No such file or directory`);
  const params = {
    ...builtinDefaults(),
    config_directory: dir,
    ...parseMainCf(main, mainPath),
    ...overrides,
  };
  return new StandinConfig(dir, params, parseMasterCf(master, masterPath));
}
