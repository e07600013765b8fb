// "make the file read+write only for root" (SASL_README): the password table and its
// compiled form hold passwords in clear text.
import { stat } from 'node:fs/promises';
import { COMPILED_SUFFIX, FILE_TYPES, tableSpecsIn } from '../tables.js';
import type { CheckContext, Finding } from '../types.js';

export async function checkSaslPasswdPermissions(ctx: CheckContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const maps = ctx.config.get('smtp_sasl_password_maps');
  for (const t of tableSpecsIn(maps)) {
    if (!FILE_TYPES.has(t.type) || t.type === 'mysql' || t.type === 'pgsql') continue;
    const suffix = COMPILED_SUFFIX[t.type];
    const files = suffix === undefined ? [t.name] : [t.name, t.name + suffix];
    for (const file of files) {
      let st;
      try {
        st = await stat(file);
      } catch {
        continue; // missing files are table-not-compiled / table-unreadable findings
      }
      const mode = st.mode & 0o777;
      const octal = mode.toString(8).padStart(4, '0');
      if (mode & 0o044) {
        const who = mode & 0o004 ? 'every user on this host' : 'members of its group';
        findings.push({
          rule: 'sasl-passwd-readable',
          severity: mode & 0o004 ? 'error' : 'warning',
          file,
          parameter: 'smtp_sasl_password_maps',
          message: `${file} (mode ${octal}) holds relay passwords and is readable by ${who}. Run "chmod 0600 ${file}"`,
        });
      }
      if (ctx.uid === 0 && st.uid !== 0) {
        findings.push({
          rule: 'sasl-passwd-owner',
          severity: 'warning',
          file,
          parameter: 'smtp_sasl_password_maps',
          message: `${file} holds relay passwords but is owned by uid ${st.uid}, who can read and change them. Run "chown root:root ${file}"`,
        });
      }
    }
  }
  return findings;
}
