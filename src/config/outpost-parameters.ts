// Parameters Outpost adds to Postfix's set (documented in docs/daemon.md and
// docs/smtpd.md). They have defaults like built-in parameters, so Config knows
// their type and unit and postconf lists them instead of calling them unused.
// Add new Outpost parameters here, with an "outpost_" prefix.
import type { ParamDefault } from './postfix-defaults.js';

export const OUTPOST_PARAMETERS: Readonly<Record<string, ParamDefault>> = {
  outpost_mail_home_directory: ['', 'string'],
  outpost_queue_segments: ['yes', 'bool'],
  outpost_sasl_password_maps: ['', 'list'],
  outpost_shutdown_timeout: ['10s', 'time', 's'],
};
