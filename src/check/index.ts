// `outpost check`: runs every rule against a configuration directory and collects findings.
import { ConfigError, loadConfig } from '../config/index.js';
import { makeContext } from './context.js';
import { checkFantasyHostname } from './rules/fantasy-hostname.js';
import { checkMynetworks } from './rules/mynetworks.js';
import { checkParameterTypos } from './rules/parameter-typo.js';
import { checkRelayRestrictions } from './rules/relay-restrictions.js';
import { checkRelayhostSyntax } from './rules/relayhost-syntax.js';
import { checkSaslPasswdKey } from './rules/sasl-passwd-key.js';
import { checkSaslPasswdPermissions } from './rules/sasl-passwd-permissions.js';
import { checkSaslTls } from './rules/sasl-tls.js';
import { checkSenderRelayAuth } from './rules/sender-relay-auth.js';
import { checkTableFiles } from './rules/table-files.js';
import { checkWrappermode } from './rules/wrappermode.js';
import type { Finding, Rule, Severity } from './types.js';

export type { Finding, Severity, Rule, CheckContext } from './types.js';

/** Every rule, in report order. */
export const RULES: readonly (readonly [name: string, rule: Rule])[] = [
  ['mynetworks', checkMynetworks],
  ['relay-restrictions', checkRelayRestrictions],
  ['relayhost-syntax', checkRelayhostSyntax],
  ['sasl-passwd-key', checkSaslPasswdKey],
  ['sender-relay-auth', checkSenderRelayAuth],
  ['table-files', checkTableFiles],
  ['sasl-passwd-permissions', checkSaslPasswdPermissions],
  ['wrappermode', checkWrappermode],
  ['sasl-tls', checkSaslTls],
  ['fantasy-hostname', checkFantasyHostname],
  ['parameter-typo', checkParameterTypos],
];

export interface CheckOptions {
  /** Effective uid to judge file ownership with (default: this process's). */
  uid?: number;
}

function configErrorFinding(err: ConfigError): Finding {
  const f: Finding = {
    rule: 'config-syntax',
    severity: 'error',
    message: `${err.message}. Fix this line; Postfix and Outpost refuse to start with it`,
  };
  if (err.file !== undefined) f.file = err.file;
  if (err.line !== undefined) f.line = err.line;
  return f;
}

/** Checks the configuration in `configDir`; never throws for a bad configuration. */
export async function checkConfigDir(configDir: string, options: CheckOptions = {}): Promise<Finding[]> {
  let config;
  try {
    config = loadConfig(configDir);
  } catch (err) {
    if (err instanceof ConfigError) return [configErrorFinding(err)];
    throw err;
  }
  const ctx = makeContext(config, options.uid);
  const findings: Finding[] = [];
  for (const w of config.warnings) {
    findings.push({ rule: 'config-warning', severity: 'notice', message: w });
  }
  for (const [name, rule] of RULES) {
    try {
      findings.push(...(await rule(ctx)));
    } catch (err) {
      // A rule that cannot evaluate (e.g. a broken $macro) reports why instead of aborting the run.
      if (err instanceof ConfigError) {
        findings.push(configErrorFinding(err));
      } else {
        findings.push({
          rule: 'check-failed',
          severity: 'error',
          message: `rule ${name}: ${(err as Error).message}`,
        });
      }
    }
  }
  return dedupe(findings);
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.rule}\0${f.file ?? ''}\0${f.line ?? ''}\0${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const n: Record<Severity, number> = { error: 0, warning: 0, notice: 0 };
  for (const f of findings) n[f.severity]++;
  return n;
}
