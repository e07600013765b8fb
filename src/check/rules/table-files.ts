// Tables named in main.cf that cannot work: a type Outpost lacks, a file that cannot be read,
// or a compiled table that postmap was not run for ("Use the postmap command whenever you
// change the /etc/postfix/sasl_passwd file", SASL_README).
import { stat } from 'node:fs/promises';
import { DRIVER_MODULES, openTable } from '../../maps/registry.js';
import { nisDomain } from '../../maps/nis.js';
import { COMPILED_SUFFIX, tablesInMainCf, type TableRef } from '../tables.js';
import type { CheckContext, Finding } from '../types.js';

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The command that builds the table: newaliases for alias databases, else postmap. */
function buildCommand(t: TableRef): string {
  return t.parameter === 'alias_maps' || t.parameter === 'alias_database'
    ? 'newaliases'
    : `postmap ${t.spec}`;
}

async function checkCompiled(ctx: CheckContext, t: TableRef, suffix: string): Promise<Finding | undefined> {
  const db = t.name + suffix;
  const [src, compiled] = await Promise.all([mtime(t.name), mtime(db)]);
  if (src !== undefined && compiled === undefined) {
    return {
      rule: 'table-not-compiled',
      severity: 'error',
      ...ctx.at(t.parameter),
      message: `${t.parameter} uses ${t.spec}, but ${db} does not exist, so every lookup fails and mail is deferred. Run "${buildCommand(t)}"`,
    };
  }
  if (src !== undefined && compiled !== undefined && src > compiled) {
    return {
      rule: 'table-stale',
      severity: 'warning',
      ...ctx.at(t.parameter),
      message: `${t.name} was changed after ${db} was built, so the changes are not in effect. Run "${buildCommand(t)}"`,
    };
  }
  return undefined;
}

function fixFor(t: TableRef): string {
  if (t.type in COMPILED_SUFFIX) return `Fix or rebuild it with "${buildCommand(t)}"`;
  return 'Create the file or fix its permissions or contents';
}

async function tryOpen(ctx: CheckContext, t: TableRef): Promise<Finding | undefined> {
  try {
    const table = await openTable(t.spec, {
      warn: () => {},
      configDir: ctx.configDir,
      param: (n) => ctx.config.get(n),
    });
    await table.close();
    return undefined;
  } catch (err) {
    return {
      rule: 'table-unreadable',
      severity: 'error',
      ...ctx.at(t.parameter),
      message: `${t.parameter}: cannot open ${t.spec}: ${(err as Error).message}. ${fixFor(t)}`,
    };
  }
}

export async function checkTableFiles(ctx: CheckContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const t of tablesInMainCf(ctx.config)) {
    // alias_maps and alias_database usually name the same table: report it once.
    const key = t.spec;
    if (seen.has(key)) continue;
    seen.add(key);
    if (t.type === 'nis') {
      // Without an NIS domain, nis: tables answer "not found" (in Postfix too): the default
      // alias_maps names nis:mail.aliases and is fine. With one, Outpost (no NIS client) defers.
      const domain = nisDomain();
      if (domain !== undefined) {
        findings.push({
          rule: 'table-type-unsupported',
          severity: 'error',
          ...ctx.at(t.parameter),
          message:
            `${t.parameter} uses ${t.spec}, but Outpost has no NIS client: with the NIS domain ` +
            `"${domain}" set, every lookup in it fails and mail is deferred. Remove it, or copy the map ` +
            'into a local file and use "hash:FILE" (aliases: "newaliases")',
        });
      }
      continue;
    }
    if (!Object.hasOwn(DRIVER_MODULES, t.type)) {
      findings.push({
        rule: 'table-type-unsupported',
        severity: 'error',
        ...ctx.at(t.parameter),
        message:
          `${t.parameter} uses ${t.spec}, but Outpost has no "${t.type}" tables. Convert it to one of ` +
          `${Object.keys(DRIVER_MODULES)
            .filter((type) => type !== 'nis')
            .sort()
            .join(', ')} (e.g. "postmap lmdb:FILE" for a file of key value lines)`,
      });
      continue;
    }
    const suffix = COMPILED_SUFFIX[t.type];
    const compiled = suffix === undefined ? undefined : await checkCompiled(ctx, t, suffix);
    if (compiled !== undefined) {
      findings.push(compiled);
      if (compiled.rule === 'table-not-compiled') continue;
    }
    // Nested tables of unionmap/pipemap are listed on their own; open only the leaves.
    if (t.type === 'unionmap' || t.type === 'pipemap') continue;
    const open = await tryOpen(ctx, t);
    if (open !== undefined) findings.push(open);
  }
  return findings;
}
