// A MailLog for a configuration: maillog_file, syslog_name (which a master.cf service may
// override, e.g. -o syslog_name=postfix/submission) and the first label of myhostname.
import { MailLog } from '../log/maillog.js';
import type { DaemonConfig } from './config-adapter.js';

export function mailLogFor(config: DaemonConfig): MailLog {
  const file = config.get('maillog_file');
  return new MailLog({
    ...(file ? { file } : {}),
    host: config.get('myhostname').split('.')[0]!,
    syslogName: config.get('syslog_name') || 'postfix',
  });
}
