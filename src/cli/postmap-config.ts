// The main.cf values postmap and postalias need, read through src/config (loadConfig):
// default_database_type, myhostname and smtputf8_enable (whose default depends on
// compatibility_level). A missing main.cf is fatal, as in Postfix ("open /etc/postfix/main.cf: No such file or directory").
import { loadConfig } from '../config/config.js';
import { resolveConfigDir } from '../config/config-dir.js';
import { ConfigError as SourceConfigError, describeConfigError } from '../config/errors.js';

export interface PostmapConfig {
  configDir: string;
  /** default_database_type (Postfix default "hash"). */
  defaultDatabaseType: string;
  /** smtputf8_enable, whose default depends on compatibility_level (yes from level 1). */
  utf8: boolean;
  /** myhostname (postalias writes it as YP_MASTER_NAME). */
  myhostname: string;
}

export class ConfigError extends Error {}

/** Reads main.cf from `-c dir`, else $MAIL_CONFIG, else /etc/postfix. */
export async function readPostmapConfig(dirOption: string | undefined): Promise<PostmapConfig> {
  const configDir = resolveConfigDir(dirOption);
  try {
    const config = loadConfig(configDir);
    return {
      configDir,
      defaultDatabaseType: config.get('default_database_type') || 'hash',
      utf8: config.bool('smtputf8_enable'),
      myhostname: config.get('myhostname'),
    };
  } catch (err) {
    if (err instanceof SourceConfigError) {
      throw new ConfigError(describeConfigError(err));
    }
    throw err;
  }
}
