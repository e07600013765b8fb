// TEMPORARY main.cf reader for postmap: only the three parameters postmap needs.
// The lead will replace this with the shared config API (src/config) once it is on main;
// until then this reads `name = value` lines (with Postfix's continuation and comment rules)
// and does not expand $parameters.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strerror } from '../maps/strerror.js';

export interface PostmapConfig {
  configDir: string;
  /** default_database_type (Postfix default "hash"). */
  defaultDatabaseType: string;
  /** smtputf8_enable, whose default depends on compatibility_level (yes from level 1). */
  utf8: boolean;
}

export class ConfigError extends Error {}

function parseMainCf(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let current: string | undefined;
  const commit = (): void => {
    if (current === undefined) return;
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/s.exec(current);
    if (m) params.set(m[1]!, m[2]!.trim());
    current = undefined;
  };
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\s/.test(line)) {
      if (current !== undefined) current += ' ' + line.trim();
      continue;
    }
    commit();
    current = line;
  }
  commit();
  return params;
}

/** Postfix's compatibility_level comparison: "3.7" >= 1. */
function levelAtLeastOne(level: string | undefined): boolean {
  if (level === undefined || level === '') return false;
  const major = Number.parseInt(level, 10);
  return Number.isFinite(major) && major >= 1;
}

/** Reads main.cf from `-c dir`, else $MAIL_CONFIG, else /etc/postfix. A missing file is fatal. */
export async function readPostmapConfig(dirOption: string | undefined): Promise<PostmapConfig> {
  const configDir = dirOption ?? process.env.MAIL_CONFIG ?? '/etc/postfix';
  const path = join(configDir, 'main.cf');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`open ${path}: ${strerror(err)}`);
  }
  const params = parseMainCf(text);
  const explicitUtf8 = params.get('smtputf8_enable');
  const utf8 =
    explicitUtf8 !== undefined && !explicitUtf8.includes('$')
      ? /^(yes|true|1)$/i.test(explicitUtf8)
      : levelAtLeastOne(params.get('compatibility_level'));
  const dbType = params.get('default_database_type');
  return {
    configDir,
    defaultDatabaseType: dbType !== undefined && dbType !== '' && !dbType.includes('$') ? dbType : 'hash',
    utf8,
  };
}
