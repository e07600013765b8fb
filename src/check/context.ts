// Builds the CheckContext a rule sees from a loaded configuration.
import type { Config } from '../config/index.js';
import type { CheckContext, Location } from './types.js';

export function makeContext(config: Config, uid = process.getuid?.() ?? -1): CheckContext {
  return {
    config,
    configDir: config.configDir,
    uid,
    at(parameter: string): Location {
      const line = config.lineOf(parameter);
      return line === undefined ? { parameter } : { file: config.mainCfPath, line, parameter };
    },
  };
}
