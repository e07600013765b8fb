// Differential tests: real Postfix 3.7 postconf and Outpost's bin/postconf run
// on the same configuration directories must print the same stdout, the same
// set of stderr lines and exit with the same status. Edits (-e, -#, -X) must
// leave byte-identical main.cf files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import {
  type Files,
  makeConfigDir,
  normalizeStderr,
  normalizeStdout,
  readMain,
  removeDirs,
  runOutpostInProcess,
  runRealPostconf,
} from './postconf-harness.js';
import {
  BANNER_MAIN_CF,
  FULL_MASTER_CF,
  SOHO_MAIN_CF,
  SOHO_SMTPS_MAIN_CF,
  STOCK_MASTER_CF,
  SUBMISSION_MASTER_CF,
} from './postconf-fixtures.js';

interface Case extends Files {
  name: string;
  /** Arguments after "-c DIR". */
  args: string[];
  /** Edits: run each program on its own copy and compare the resulting main.cf. */
  edit?: boolean;
  /**
   * Number of entries -e appends: Postfix 3.7 appends them in randomized hash
   * order (Outpost sorts them), so that tail is compared as a set.
   */
  appended?: number;
  /** Edits of master.cf: compare the resulting master.cf instead of main.cf. */
  editsMaster?: boolean;
  /** Select the directory with MAIL_CONFIG instead of -c. */
  viaEnv?: boolean;
}

function sortTail(text: string, count: number): string {
  const lines = text.split('\n');
  const last = lines.pop() as string;
  const tail = lines.splice(lines.length - count, count).sort();
  return [...lines, ...tail, last].join('\n');
}

const postfixPresent = hasPostfix();
const created: string[] = [];
after(() => removeDirs(created));

async function check(c: Case): Promise<void> {
  if (c.edit === true) {
    const a = makeConfigDir(c, created);
    const b = makeConfigDir(c, created);
    const real = await runRealPostconf(['-c', a, ...c.args]);
    const ours = runOutpostInProcess(['-c', b, ...c.args]);
    assert.equal(normalizeStdout(ours.stdout, b), normalizeStdout(real.stdout, a), 'stdout');
    assert.deepEqual(normalizeStderr(ours.stderr, b), normalizeStderr(real.stderr, a), 'stderr');
    assert.equal(ours.status, real.status, 'exit status');
    if (c.editsMaster === true) {
      assert.equal(
        readFileSync(join(b, 'master.cf'), 'latin1'),
        readFileSync(join(a, 'master.cf'), 'latin1'),
      );
    } else if (c.main !== null) {
      const n = c.appended ?? 0;
      assert.equal(sortTail(readMain(b), n), sortTail(readMain(a), n), 'edited main.cf');
    }
    return;
  }
  const dir = makeConfigDir(c, created);
  const args = c.viaEnv === true ? c.args : ['-c', dir, ...c.args];
  const env = c.viaEnv === true ? { MAIL_CONFIG: dir } : {};
  const real = await runRealPostconf(args, env);
  const ours = runOutpostInProcess(args, env);
  assert.equal(normalizeStdout(ours.stdout, dir), normalizeStdout(real.stdout, dir), 'stdout');
  assert.deepEqual(normalizeStderr(ours.stderr, dir), normalizeStderr(real.stderr, dir), 'stderr');
  assert.equal(ours.status, real.status, 'exit status');
}

const M = STOCK_MASTER_CF;

const SOHO_CASES: Case[] = [
  { name: 'SOHO main.cf: postconf -n', main: SOHO_MAIN_CF, master: FULL_MASTER_CF, args: ['-n'] },
  { name: 'SOHO main.cf: all parameters', main: SOHO_MAIN_CF, master: FULL_MASTER_CF, args: [] },
  { name: 'SOHO main.cf: all parameters expanded', main: SOHO_MAIN_CF, master: FULL_MASTER_CF, args: ['-x'] },
  {
    name: 'SOHO main.cf: relay and SASL parameters expanded',
    main: SOHO_MAIN_CF,
    master: M,
    args: [
      '-x',
      'relayhost',
      'smtp_sasl_auth_enable',
      'smtp_sasl_password_maps',
      'smtp_sasl_security_options',
      'smtp_sasl_tls_security_options',
      'smtp_sasl_mechanism_filter',
      'smtp_generic_maps',
      'sender_dependent_relayhost_maps',
      'smtp_sender_dependent_authentication',
      'smtp_tls_security_level',
      'smtp_tls_CAfile',
      'smtp_tls_policy_maps',
      'myorigin',
      'mydestination',
      'mynetworks',
      'relay_domains',
      'smtpd_relay_restrictions',
      'append_dot_mydomain',
    ],
  },
  { name: 'SOHO smtps wrapper mode: -n', main: SOHO_SMTPS_MAIN_CF, master: M, args: ['-n'] },
  {
    name: 'SOHO smtps wrapper mode: TLS parameters',
    main: SOHO_SMTPS_MAIN_CF,
    master: M,
    args: [
      '-x',
      'smtp_tls_wrappermode',
      'smtp_tls_security_level',
      'smtp_sasl_tls_security_options',
      'relayhost',
    ],
  },
  { name: 'spec smtpd_banner example', main: BANNER_MAIN_CF, master: M, args: ['-x', 'smtpd_banner'] },
  { name: 'spec smtpd_banner example unexpanded', main: BANNER_MAIN_CF, master: M, args: ['smtpd_banner'] },
  {
    name: 'spec -d example',
    main: '',
    master: M,
    args: ['-d', 'message_size_limit', 'smtp_sasl_security_options'],
  },
  {
    name: 'generic maps example with $names',
    main: 'mydomain = localdomain.local\nmyhostname = pc.$mydomain\nsmtp_generic_maps = hash:$config_directory/generic, regexp:$config_directory/generic.re\n',
    master: M,
    args: ['-x', 'smtp_generic_maps', 'myhostname', 'mydomain', 'myorigin'],
  },
];

const EXPANSION_CASES: Case[] = [
  {
    name: '$name, ${name}, $(name)',
    main: 'myhostname = a.example\nmyorigin = $myhostname ${myhostname} $(myhostname)\n',
    master: M,
    args: ['-x', 'myorigin'],
  },
  {
    name: '$$ is a literal dollar',
    main: 'smtpd_banner = cost $$5 $$$myhostname\nmyhostname = h.example\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'undefined $name expands to empty with warning',
    main: 'smtpd_banner = [$nosuch] x\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: '${name?value} and ${name:value}',
    main: 'relayhost = r.example\nsmtpd_banner = ${relayhost?yes} ${relayhost:no} ${transport_maps?set} ${transport_maps:unset}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'ternary ${name?{a}:{b}} both ways',
    main: 'smtpd_banner = ${relayhost?{a}:{b}}\nmyorigin = ${mydomain?{a} : {b}}\n',
    master: M,
    args: ['-x', 'smtpd_banner', 'myorigin'],
  },
  {
    name: 'text with colon after ? stays literal',
    main: 'relayhost = r\nsmtpd_banner = ${relayhost?x:y} z\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'relational string and numeric',
    main: 'smtpd_banner = ${{a} == {a} ? {eq} : {ne}} ${{10} < {9} ? {lt} : {ge}} ${{abc} < {abd} ? {slt} : {sge}} ${{x} != {y} ? {ne}}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'relational <= >= >',
    main: 'smtpd_banner = ${{5} <= {5}?{le}} ${{5} >= {6}?{ge}:{nge}} ${{b} > {a}?{gt}}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'compatibility level comparisons',
    main: 'smtpd_banner = ${{3.10} <level {3.9} ? {lt} : {ge}} ${{3.6} ==level {3.6.0} ? {eq} : {ne}} ${{2} >level {1} ? {gt}}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'relational value exposed',
    main: 'smtpd_banner = [${{a} == {a}}] [${{a} == {b}}]\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'recursive expansion through several parameters',
    main: 'a1 = $a2 x\na2 = $a3 y\na3 = z\nsmtpd_banner = $a1\n',
    master: M,
    args: ['-x', 'smtpd_banner', 'a1'],
  },
  {
    name: 'compatibility_level 0 defaults',
    main: '',
    master: M,
    args: [
      '-x',
      'mynetworks_style',
      'relay_domains',
      'smtpd_relay_restrictions',
      'append_dot_mydomain',
      'smtputf8_enable',
      'smtp_tls_fingerprint_digest',
    ],
  },
  {
    name: 'compatibility_level 3.7 defaults',
    main: 'compatibility_level = 3.7\n',
    master: M,
    args: [
      '-x',
      'mynetworks_style',
      'mynetworks',
      'relay_domains',
      'smtpd_relay_restrictions',
      'append_dot_mydomain',
      'smtputf8_enable',
      'smtp_tls_fingerprint_digest',
    ],
  },
  {
    name: 'compatibility_level 2 defaults',
    main: 'compatibility_level = 2\n',
    master: M,
    args: ['-x', 'relay_domains', 'smtp_tls_fingerprint_digest', 'respectful_logging'],
  },
  { name: 'mynetworks_style class', main: 'mynetworks_style = class\n', master: M, args: ['mynetworks'] },
  { name: 'mynetworks_style host', main: 'mynetworks_style = host\n', master: M, args: ['mynetworks'] },
  {
    name: 'mynetworks with inet_protocols = ipv4',
    main: 'inet_protocols = ipv4\n',
    master: M,
    args: ['mynetworks'],
  },
  {
    name: 'myhostname completed with explicit mydomain',
    main: 'mydomain = example.org\n',
    master: M,
    args: ['-x', 'myhostname', 'mydomain', 'mydestination'],
  },
  {
    name: 'raw parameters are not expanded',
    main: 'smtpd_reject_footer = $myhostname\nforward_path = $home/.forward\nsmtpd_banner = $smtpd_reject_footer\n',
    master: M,
    args: ['-x', 'smtpd_reject_footer', 'forward_path', 'smtpd_banner'],
  },
  {
    name: 'expansion in -d uses defaults only',
    main: 'myhostname = set.example\n',
    master: M,
    args: ['-dx', 'smtpd_banner', 'myorigin'],
  },
  {
    name: '-n -x expands with defaults',
    main: 'myorigin = $mydomain\nmyhostname = h.example.net\n',
    master: M,
    args: ['-nx'],
  },
];

const SYNTAX_CASES: Case[] = [
  {
    name: 'continuation lines joined',
    main: 'mydestination = a.example,\n    b.example,\n\tc.example\n',
    master: M,
    args: ['-n'],
  },
  {
    name: 'comments and blank lines inside a continued value',
    main: 'relayhost = a\n # comment\n\n   b,\tc\n',
    master: M,
    args: ['-n'],
  },
  {
    name: '# inside a value is data',
    main: 'smtpd_banner = hi # not a comment\n',
    master: M,
    args: ['smtpd_banner'],
  },
  {
    name: 'spaces around = and at end of line',
    main: 'relayhost=x   \nmyorigin   =    y.example   \n',
    master: M,
    args: ['-n'],
  },
  {
    name: 'duplicate entry: last wins with warning',
    main: 'relayhost = a\nrelayhost = b\nrelayhost = b\n',
    master: M,
    args: ['-n'],
  },
  { name: 'continuation without an entry', main: '  orphan\nrelayhost = a\n', master: M, args: ['-n'] },
  { name: 'empty value', main: 'relayhost =\n', master: M, args: ['-n'] },
  {
    name: 'long values folded with -f',
    main: 'smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, check_policy_service unix:private/policy, reject_unknown_recipient_domain\n',
    master: M,
    args: ['-nf'],
  },
  {
    name: '-h and -H',
    main: 'relayhost = [r.example]:587\n',
    master: M,
    args: ['-h', 'relayhost', 'mail_name'],
  },
  { name: '-H all names', main: 'relayhost = [r.example]:587\n', master: M, args: ['-H'] },
  { name: '-nH', main: 'relayhost = [r.example]:587\nmyorigin = x\n', master: M, args: ['-nH'] },
  { name: 'unknown parameter name', main: '', master: M, args: ['no_such_parameter', 'relayhost'] },
  {
    name: 'legacy parameter names are known',
    main: 'virtual_maps = hash:/x\n',
    master: M,
    args: ['virtual_maps', 'virtual_alias_maps', 'fallback_relay'],
  },
  {
    name: 'user-defined parameters: used, unused, restriction classes',
    main: 'my_list = a, b\nrelay_domains = $my_list\nunused_thing = 1\nsmtpd_restriction_classes = my_class\nmy_class = permit\n',
    master: M,
    args: [],
  },
  {
    name: 'user-defined parameter referenced from master.cf',
    main: 'my_banner = hello\n',
    master: M + 'x  inet n - n - - smtpd -o smtpd_banner=$my_banner -o local_only=1\n',
    args: ['-n'],
  },
  {
    name: 'read-only parameter assignment',
    main: 'process_id = 5\nrelayhost = r\n',
    master: M,
    args: ['-n'],
  },
  { name: 'no master.cf: warning only', main: 'relayhost = r\n', args: ['-n'] },
  { name: '-d listing', main: 'relayhost = ignored\n', master: M, args: ['-d'] },
  {
    name: 'per-transport parameters from master.cf',
    main: 'relay_destination_concurrency_limit = 5\n',
    master: M + 'mypipe unix - n n - - pipe flags=R user=x argv=/bin/true\n',
    args: [
      '-x',
      'relay_destination_concurrency_limit',
      'mypipe_time_limit',
      'mypipe_destination_recipient_limit',
      'local_destination_concurrency_limit',
    ],
  },
  {
    name: '-C user and -C builtin',
    main: 'my_list = a\nrelay_domains = $my_list\n',
    master: M,
    args: ['-C', 'user'],
  },
  {
    name: '-o overrides',
    main: 'relayhost = a\n',
    master: M,
    args: ['-o', 'relayhost=b', '-o', 'myorigin = c.example', '-n'],
  },
  {
    name: '-c: config_directory in -n',
    main: 'relayhost = a\n',
    master: M,
    args: ['-n', 'config_directory'],
  },
  {
    name: 'MAIL_CONFIG selects the directory',
    main: 'relayhost = a\n',
    master: M,
    args: ['-n'],
    viaEnv: true,
  },
  {
    name: 'database client tables: unknown settings and legacy names',
    main: 'virtual_alias_maps = mysql:$config_directory/v.cf, proxy:pgsql:legacy, { sqlite:$config_directory/none.cf }\nlegacy_hosts = h\nlegacy_bogus = 1\n',
    master: M,
    extra: { 'v.cf': 'hosts = 127.0.0.1\nuser = u\nquery = SELECT 1\nbogus = 2\n' },
    args: ['-n'],
  },
  {
    name: 'value starting with { in a built-in parameter',
    main: 'smtpd_banner = {\nrelayhost = {a}\n',
    master: M,
    args: ['-n'],
  },
];

const MASTER_CASES: Case[] = [
  { name: '-M all entries', main: '', master: FULL_MASTER_CF, args: ['-M'] },
  { name: '-Mf folded', main: '', master: FULL_MASTER_CF, args: ['-Mf'] },
  { name: '-M submission/inet', main: '', master: FULL_MASTER_CF, args: ['-M', 'submission/inet'] },
  { name: '-M by name and by type', main: '', master: FULL_MASTER_CF, args: ['-M', 'smtp', '*/inet'] },
  { name: '-M unmatched request', main: '', master: FULL_MASTER_CF, args: ['-M', 'nosuch/unix'] },
  { name: '-Mx expands -o values', main: '', master: FULL_MASTER_CF, args: ['-Mx', 'relay/unix'] },
  { name: '-F all fields', main: '', master: FULL_MASTER_CF, args: ['-F'] },
  { name: '-F smtp/inet/chroot', main: '', master: FULL_MASTER_CF, args: ['-F', 'smtp/inet/chroot'] },
  {
    name: '-F submission/inet/command',
    main: '',
    master: FULL_MASTER_CF,
    args: ['-F', 'submission/inet/command'],
  },
  {
    name: '-Fh and -FH',
    main: '',
    master: FULL_MASTER_CF,
    args: ['-Fh', 'pickup/unix/wakeup', 'tlsmgr/unix/*'],
  },
  { name: '-P all', main: '', master: FULL_MASTER_CF, args: ['-P'] },
  { name: '-P submission/inet', main: '', master: FULL_MASTER_CF, args: ['-P', 'submission/inet'] },
  {
    name: '-P one parameter',
    main: '',
    master: FULL_MASTER_CF,
    args: ['-P', 'submission/inet/smtpd_tls_security_level', 'submissions/inet/smtpd_tls_wrappermode'],
  },
  { name: '-Px expands $service_name', main: '', master: FULL_MASTER_CF, args: ['-Px'] },
  {
    name: 'master.cf -o { name = value with spaces } and { args }',
    main: '',
    master: 'x unix - n n - - pipe -o { syslog_name = post fix } flags=R { argv=/bin/echo a b } c\n',
    args: ['-M'],
  },
  {
    name: 'master.cf long form -F command',
    main: '',
    master: 'x unix - n n - - pipe -o { syslog_name = post fix } flags=R { argv=/bin/echo a b } c\n',
    args: ['-F', 'x/unix/command'],
  },
  {
    name: 'master.cf with -oname=value glued',
    main: '',
    master: 'y unix - - n - - smtp -osyslog_name=glued -v\n',
    args: ['-M', '-P'],
  },
  {
    name: 'unused parameter in master.cf -o',
    main: '',
    master: 'z unix - - n - - smtp -o no_such_param=1\n',
    args: ['-P'],
  },
];

const EDIT_CASES: Case[] = [
  {
    name: '-e replaces and appends',
    main: '# head\nrelayhost = a\n# mid\nmyorigin = x\n',
    args: ['-e', 'relayhost=[b.example]:587', 'zz_new = 1', 'aa_new=2', 'mm_new =  spaced   value  '],
    edit: true,
    appended: 3,
  },
  {
    name: '-e with SOHO relay settings',
    main: SOHO_SMTPS_MAIN_CF,
    args: [
      '-e',
      'relayhost = [smtp.isp.example]:submission',
      'smtp_tls_wrappermode = no',
      'smtp_tls_security_level=encrypt',
    ],
    edit: true,
  },
  { name: 'name=value without -e', main: 'relayhost = a\n', args: ['relayhost = b'], edit: true },
  {
    name: '-e replaces a continued entry',
    main: 'mydestination = a,\n   b,\n # c\n   d\nrelayhost = r\n',
    args: ['-e', 'mydestination = x'],
    edit: true,
  },
  {
    name: '-e multiple entries warning',
    main: 'relayhost = a\nrelayhost = b\n',
    args: ['-e', 'relayhost=c'],
    edit: true,
  },
  {
    name: '-e repeated request',
    main: '',
    args: ['-e', 'relayhost=a', 'relayhost=b', 'relayhost=b'],
    edit: true,
  },
  {
    name: '-e into a file without final newline',
    main: 'relayhost = a',
    args: ['-e', 'myorigin=b'],
    edit: true,
  },
  {
    name: '-# comments out',
    main: 'relayhost = a\n   b\nmyorigin = x\n',
    args: ['-#', 'relayhost', 'nosuch'],
    edit: true,
  },
  {
    name: '-X removes',
    main: 'relayhost = a\n   b\n# keep\nmyorigin = x\n',
    args: ['-X', 'relayhost', 'myorigin'],
    edit: true,
  },
  { name: '-e missing main.cf', main: null, args: ['-e', 'relayhost=a'], edit: true },
];

const MYNETWORKS_CASES: Case[] = [
  { name: 'style is case-sensitive', main: 'mynetworks_style = HOST\n', master: M, args: ['mynetworks'] },
  {
    name: 'style with two values',
    main: 'mynetworks_style = host subnet\n',
    master: M,
    args: ['mynetworks'],
  },
  {
    name: 'inet_interfaces = loopback-only',
    main: 'inet_interfaces = loopback-only\n',
    master: M,
    args: ['mynetworks'],
  },
  {
    name: 'inet_interfaces by name and address',
    main: 'inet_interfaces = localhost, [::1]\nmynetworks_style = host\n',
    master: M,
    args: ['mynetworks'],
  },
  {
    name: 'inet_protocols = ipv6, class style',
    main: 'inet_protocols = ipv6\nmynetworks_style = class\n',
    master: M,
    args: ['mynetworks'],
  },
];

const F = FULL_MASTER_CF;
const MASTER_EDIT_CASES: Case[] = [
  {
    name: '-Me replaces an entry',
    main: '',
    master: F,
    args: [
      '-Me',
      'submission/inet = submission inet n - y - - smtpd -o syslog_name=postfix/submission -o { smtpd_banner = hi there }',
    ],
  },
  {
    name: '-Me appends a new entry',
    main: '',
    master: F,
    args: ['-Me', 'x/unix = x unix - n n - - pipe flags=R user=nobody argv=/bin/cat ${recipient}'],
  },
  { name: '-M# comments out an entry', main: '', master: F, args: ['-M#', 'submission/inet'] },
  { name: '-MX removes an entry', main: '', master: F, args: ['-MX', 'submissions/inet', 'relay/unix'] },
  {
    name: '-Fe changes a field',
    main: '',
    master: F,
    args: ['-Fe', 'smtp/inet/chroot=n', 'pickup/unix/wakeup = 30'],
  },
  {
    name: '-Fe changes the command',
    main: '',
    master: F,
    args: ['-Fe', 'submission/inet/command=smtpd -o smtpd_tls_security_level=may -v'],
  },
  {
    name: '-Pe changes and adds -o parameters',
    main: '',
    master: F,
    args: [
      '-Pe',
      'submission/inet/smtpd_tls_security_level=may',
      'submission/inet/smtpd_client_restrictions=permit_sasl_authenticated,reject',
    ],
  },
  {
    name: '-PX removes a -o parameter',
    main: '',
    master: F,
    args: ['-PX', 'submission/inet/milter_macro_daemon_name'],
  },
  { name: '-Pe unmatched service', main: '', master: F, args: ['-Pe', 'nosuch/inet/x=y'] },
  {
    name: '-Fe whitespace in a non-command field',
    main: '',
    master: F,
    args: ['-Fe', 'smtp/inet/chroot=a b'],
  },
  { name: '-Fe invalid field value', main: '', master: F, args: ['-Fe', 'smtp/inet/chroot=maybe'] },
  { name: '-Pe whitespace in value', main: '', master: F, args: ['-Pe', 'smtp/inet/smtpd_banner=a b'] },
  { name: '-Me bad entry', main: '', master: F, args: ['-Me', 'x/unix = x unix - -'] },
  { name: '-Me without type', main: '', master: F, args: ['-Me', 'x = x unix - - n - - smtpd'] },
];

const ERROR_CASES: Case[] = [
  { name: 'main.cf: missing =', main: 'relayhost a\n', master: M, args: ['-n'] },
  { name: 'main.cf: missing name', main: '= a\n', master: M, args: ['-n'] },
  {
    name: 'main.cf: error line number of a continued entry',
    main: 'relayhost = a\n\n# c\nfoo bar\n  baz\n',
    master: M,
    args: ['-n'],
  },
  {
    name: 'recursion loop',
    main: 'a1 = $a2\na2 = $a1\nsmtpd_banner = $a1\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'self reference',
    main: 'smtpd_banner = x $smtpd_banner\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'truncated macro reference',
    main: 'smtpd_banner = abc ${x\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  { name: 'empty macro name', main: 'smtpd_banner = abc $ x\n', master: M, args: ['-x', 'smtpd_banner'] },
  {
    name: 'attribute name syntax error',
    main: 'smtpd_banner = ${a b}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'bad relational operator',
    main: 'smtpd_banner = ${{a} ~ {b} ? {x}}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'malformed compatibility level',
    main: 'smtpd_banner = ${{abc} <level {3.9} ? {x}}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  {
    name: 'garbage after ?{...}',
    main: 'relayhost = r\nsmtpd_banner = ${relayhost?{x} junk}\n',
    master: M,
    args: ['-x', 'smtpd_banner'],
  },
  { name: 'macro error in myhostname is fatal early', main: 'myhostname = $\n', master: M, args: ['-n'] },
  { name: 'bad mynetworks_style', main: 'mynetworks_style = foo\n', master: M, args: ['mail_name'] },
  { name: 'missing config directory', main: null, args: ['-n'] },
  { name: 'missing main.cf with -d still works', main: null, args: ['-d', 'mail_name'] },
  { name: 'missing master.cf with -M', main: '', args: ['-M'] },
  { name: 'master.cf: bad field count', main: '', master: M + 'broken unix - - n\n', args: ['-M'] },
  { name: 'master.cf: bad type', main: '', master: 'x tcp - - n - - smtpd\n', args: ['-M'] },
  { name: 'master.cf: bad private field', main: '', master: 'x unix yes - n - - smtpd\n', args: ['-M'] },
  { name: 'master.cf: bad wakeup field', main: '', master: 'x unix - - n 5x - smtpd\n', args: ['-M'] },
  { name: 'master.cf: bad maxproc field', main: '', master: 'x unix - - n - many smtpd\n', args: ['-M'] },
  {
    name: 'master.cf: unbalanced braces',
    main: '',
    master: 'x unix - - n - - smtpd -o { a = b\n',
    args: ['-M'],
  },
  {
    name: 'master.cf: -o {} without =',
    main: '',
    master: 'x unix - - n - - smtpd -o { ab }\n',
    args: ['-M'],
  },
  { name: '-e without argument', main: '', master: M, args: ['-e'] },
  { name: '-e bad argument', main: '', master: M, args: ['-e', 'ab'] },
  { name: '-e missing name', main: '', master: M, args: ['-e', '=b'] },
  { name: '-e comment input', main: '', master: M, args: ['-e', '# a=b'] },
  { name: '-X with value', main: '', master: M, args: ['-X', 'a=b'] },
  { name: '-X without names', main: '', master: M, args: ['-X'] },
  { name: 'conflicting -d -n', main: '', master: M, args: ['-d', '-n'] },
  { name: 'conflicting -h -H', main: '', master: M, args: ['-h', '-H'] },
  { name: '-M with -n', main: '', master: M, args: ['-M', '-n'] },
  { name: 'bad -M pattern', main: '', master: M, args: ['-M', 'a/b/c'] },
  { name: 'bad -F field name', main: '', master: M, args: ['-F', 'smtp/inet/nosuch'] },
  { name: 'bad -C class', main: '', master: M, args: ['-C', 'bogus'] },
  { name: 'bad -o override', main: '', master: M, args: ['-o', 'novalue', '-n'] },
  { name: 'unknown option', main: '', master: M, args: ['-z'] },
  { name: 'options stop at the first name', main: 'relayhost = r\n', master: M, args: ['relayhost', '-n'] },
];

for (const [group, cases] of [
  ['SOHO examples', SOHO_CASES],
  ['expansion', EXPANSION_CASES],
  ['main.cf syntax and display', SYNTAX_CASES],
  ['master.cf', MASTER_CASES],
  ['mynetworks', MYNETWORKS_CASES],
  ['edits', EDIT_CASES],
  ['master.cf edits', MASTER_EDIT_CASES.map((c) => ({ ...c, edit: true, editsMaster: true }))],
  ['errors', ERROR_CASES],
] as const) {
  describe(`postconf differential: ${group}`, { concurrency: 4 }, () => {
    for (const c of cases) {
      test(c.name, async (t) => {
        if (!needPeer(t, 'postfix', postfixPresent)) return;
        await check(c);
      });
    }
  });
}

// Keep the submission fixture exported for other tests to reuse.
export { SUBMISSION_MASTER_CF };
