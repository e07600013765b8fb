// Public API of the configuration engine (main.cf, master.cf, parameters).
export { resolveConfigDir, DEFAULT_CONFIG_DIRECTORY } from './config-dir.js';
export { Config, loadConfig, defaultsOnlyConfig, paramInfo, paramType } from './config.js';
export type { LoadConfigOptions } from './config.js';
export { ConfigError } from './errors.js';
export { expandValue } from './expand.js';
export type { ExpandOptions, ExpandResult } from './expand.js';
export { splitList } from './values.js';
export { MAIL_VERSION, OUTPOST_VERSION } from './version.js';
export { POSTFIX_DEFAULTS } from './postfix-defaults.js';
export { OUTPOST_PARAMETERS } from './outpost-parameters.js';
export type { ParamType } from './postfix-defaults.js';
export {
  loadMasterCf,
  readMasterCf,
  parseMasterCf,
  serviceConfig,
  MASTER_SERVICE_TYPES,
} from './master-cf.js';
export type { MasterService, MasterServiceType, MasterCfResult } from './master-cf.js';
export { resolveServicePort } from './services.js';
export {
  compatBreaks,
  compatNotice,
  compatLevelOf,
  compatStartupNotices,
  LAST_COMPAT_LEVEL,
} from './compat.js';
export type { CompatBreak, CompatSource } from './compat.js';
export { parseCompatLevel, compareCompatLevels } from './compat-level.js';
export { PARAM_MEANINGS } from './param-meanings.js';
export { transportParamDefault, TRANSPORT_PARAMS } from './service-params.js';
// Building blocks for other "name = value" files (e.g. mysql:/etc/postfix/x.cf uses main.cf syntax).
export { parseMainCf, readMainCf, splitNameValue } from './main-cf.js';
export type { MainCf, MainCfEntry } from './main-cf.js';
export { readLogicalLines } from './logical-lines.js';
export type { LogicalLine, LogicalLineResult } from './logical-lines.js';
