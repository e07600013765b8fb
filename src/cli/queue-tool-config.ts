// TEMPORARY main.cf reader for the queue tools, to be replaced by src/config
// (loadConfig(dir).get(name)) once the config engine lands. It knows only the few parameters
// postqueue/postsuper need and does plain "name = value" parsing with continuation lines,
// comments and $name / ${name} expansion among those parameters and their defaults.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_CONFIG_DIRECTORY = '/etc/postfix';

const DEFAULTS: Record<string, string> = {
  queue_directory: '/var/spool/postfix',
  enable_long_queue_ids: 'no',
  maillog_file: '',
  syslog_name: 'postfix',
  myhostname: '',
};

export interface QueueToolSettings {
  configDirectory: string;
  queueDirectory: string;
  enableLongQueueIds: boolean;
  maillogFile: string;
  syslogName: string;
}

export class ConfigFileError extends Error {}

function parseMainCf(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let current: { name: string; value: string } | undefined;
  const finish = (): void => {
    if (current) values.set(current.name, current.value.trim());
    current = undefined;
  };
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\s/.test(line)) {
      if (current) current.value += ' ' + line.trim();
      continue;
    }
    finish();
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (m) current = { name: m[1]!, value: m[2]! };
  }
  finish();
  return values;
}

function expand(value: string, lookup: (name: string) => string, depth = 0): string {
  if (depth > 20) return value;
  return value.replace(/\$(?:\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))/g, (_m, a, b, c) =>
    expand(lookup((a ?? b ?? c) as string), lookup, depth + 1),
  );
}

/** Reads main.cf in `configDirectory`; throws ConfigFileError in Postfix's wording when absent. */
export async function readQueueToolSettings(configDirectory: string): Promise<QueueToolSettings> {
  const path = join(configDirectory, 'main.cf');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'No such file or directory'
        : e.code === 'EACCES'
          ? 'Permission denied'
          : e.message;
    throw new ConfigFileError(`open ${path}: ${why}`);
  }
  const values = parseMainCf(text);
  const get = (name: string): string => expand(values.get(name) ?? DEFAULTS[name] ?? '', get);
  return {
    configDirectory,
    queueDirectory: get('queue_directory'),
    enableLongQueueIds: /^(yes|true|1)$/i.test(get('enable_long_queue_ids')),
    maillogFile: get('maillog_file'),
    syslogName: get('syslog_name'),
  };
}
