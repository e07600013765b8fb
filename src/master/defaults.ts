// Built-in defaults (Postfix 3.7.11 `postconf -d`, compatibility_level >= 2) of the parameters
// the daemon, pickup, qmgr and local delivery read. The stand-in configuration loader uses
// them; src/config carries the full table. Parameters starting with "outpost_" are Outpost's
// own (documented in docs/daemon.md).
import { hostname } from 'node:os';

export function builtinDefaults(): Record<string, string> {
  const host = hostname();
  const myhostname = host.includes('.') ? host : `${host}.localdomain`;
  return {
    mail_version: '3.7.11',
    mail_name: 'Postfix',
    compatibility_level: '0',
    queue_directory: '/var/spool/postfix',
    data_directory: '/var/lib/postfix',
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    myhostname,
    // mydomain's default is computed from the effective myhostname (see standin-config.ts).
    myorigin: '$myhostname',
    mydestination: '$myhostname, localhost.$mydomain, localhost',
    inet_interfaces: 'all',
    inet_protocols: 'all',
    maillog_file: '',
    syslog_name: 'postfix',
    smtpd_banner: '$myhostname ESMTP $mail_name',
    message_size_limit: '10240000',
    line_length_limit: '2048',
    alias_maps: 'hash:/etc/aliases, nis:mail.aliases',
    alias_database: 'hash:/etc/aliases',
    home_mailbox: '',
    mail_spool_directory: '/var/mail',
    mailbox_size_limit: '51200000',
    recipient_delimiter: '',
    append_at_myorigin: 'yes',
    queue_run_delay: '300s',
    minimal_backoff_time: '300s',
    maximal_backoff_time: '4000s',
    maximal_queue_lifetime: '5d',
    bounce_queue_lifetime: '5d',
    delay_logging_resolution_limit: '2',
    // Outpost: how long a graceful stop lets open SMTP sessions finish before closing them.
    outpost_shutdown_timeout: '10s',
    // Outpost: directory of per-user homes for users without a passwd entry (demo/unprivileged
    // setups). Empty = only passwd users are local users, as in Postfix.
    outpost_mail_home_directory: '',
  };
}
