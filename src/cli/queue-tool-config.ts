// The main.cf values the queue tools (postqueue, postsuper, mailq) need, read through
// src/config (loadConfig), so $name expansion, defaults and errors match every other command.
import { loadConfig } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { describeConfigError } from '../master/config-adapter.js';

export interface QueueToolSettings {
  configDirectory: string;
  queueDirectory: string;
  enableLongQueueIds: boolean;
  maillogFile: string;
  syslogName: string;
}

/** A main.cf problem, in Postfix's wording ("open /etc/postfix/main.cf: No such file or directory"). */
export class ConfigFileError extends Error {}

/** Reads main.cf in `configDirectory`; throws ConfigFileError when it is absent or bad. */
export async function readQueueToolSettings(configDirectory: string): Promise<QueueToolSettings> {
  try {
    const config = loadConfig(configDirectory);
    return {
      configDirectory,
      queueDirectory: config.get('queue_directory'),
      enableLongQueueIds: config.bool('enable_long_queue_ids'),
      maillogFile: config.get('maillog_file'),
      syslogName: config.get('syslog_name'),
    };
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new ConfigFileError(describeConfigError(err));
    }
    throw err;
  }
}
