// Test plumbing for `outpost check`: temp configuration directories and a captured runCheck.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/check.js';
import type { Finding } from '../../src/check/index.js';
import { OUR_POSTMAP } from '../maps/helpers.js';

export interface ConfDir {
  dir: string;
  /** Writes DIR/name ("@D@" in the text becomes the directory), mode 0600 unless given. */
  write(name: string, text: string, mode?: number): string;
  /** Copies another directory's main.cf here (for checking an oracle's configuration). */
  copyMainCf(fromDir: string): void;
  /** Builds a compiled table with Outpost's postmap. */
  postmap(spec: string): void;
  cleanup(): void;
}

export function makeConfDir(prefix = 'check'): ConfDir {
  const dir = mkdtempSync(join(tmpdir(), `outpost-${prefix}-`));
  const write = (name: string, text: string, mode = 0o600): string => {
    const path = join(dir, name);
    writeFileSync(path, text.replaceAll('@D@', dir));
    chmodSync(path, mode);
    return path;
  };
  return {
    dir,
    write,
    copyMainCf(fromDir: string): void {
      copyFileSync(join(fromDir, 'main.cf'), join(dir, 'main.cf'));
    },
    postmap(spec: string): void {
      const r = spawnSync(OUR_POSTMAP, ['-c', dir, spec.replaceAll('@D@', dir)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`postmap ${spec}: ${r.stderr}`);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Sets a file's modification time `secondsAgo` in the past. */
export function age(path: string, secondsAgo: number): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, t, t);
}

export interface CheckRun {
  code: number;
  findings: Finding[];
  stdout: string;
  stderr: string;
}

/** runCheck with --json, output captured. */
export async function check(dir: string, extra: string[] = []): Promise<CheckRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCheck(['-c', dir, '--json', ...extra], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
  });
  const findings = stdout === '' ? [] : (JSON.parse(stdout) as { findings: Finding[] }).findings;
  return { code, findings, stdout, stderr };
}

/** The findings of one rule. */
export function byRule(run: CheckRun, rule: string): Finding[] {
  return run.findings.filter((f) => f.rule === rule);
}

/** A SOHO main.cf that follows SOHO_README and SASL_README (the "clean" baseline). */
export const CLEAN_MAIN_CF = `compatibility_level = 3.7
myhostname = pc.localdomain.local
mydomain = localdomain.local
myorigin = $mydomain
inet_interfaces = loopback-only
mydestination = $myhostname, localhost.$mydomain, localhost
mynetworks = 127.0.0.0/8 [::1]/128 192.168.1.0/24
relayhost = [mail.isp.example]:submission
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:@D@/sasl_passwd
smtp_tls_security_level = encrypt
smtp_sasl_tls_security_options = noanonymous
smtp_generic_maps = hash:@D@/generic
`;

export const CLEAN_MASTER_CF = `smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
local     unix  -       n       n       -       -       local
`;

/** Writes the clean SOHO configuration (main.cf, master.cf, compiled sasl_passwd and generic). */
export function writeCleanConfig(c: ConfDir, mainCf = CLEAN_MAIN_CF): void {
  c.write('main.cf', mainCf, 0o644);
  c.write('master.cf', CLEAN_MASTER_CF, 0o644);
  c.write('sasl_passwd', '[mail.isp.example]:submission username:password\n');
  c.write(
    'generic',
    'his@localdomain.local hisaccount@hisisp.example\n@localdomain.local hisaccount+local@hisisp.example\n',
    0o644,
  );
  for (const f of ['sasl_passwd', 'generic']) age(join(c.dir, f), 60);
  c.postmap('hash:@D@/sasl_passwd');
  c.postmap('hash:@D@/generic');
  chmodSync(join(c.dir, 'sasl_passwd.db'), 0o600);
}

/** Start of a main.cf for rule tests: a real-looking host name, so only the rule under test fires. */
export const BASE = 'compatibility_level = 3.7\nmyhostname = host.example.com\n';
