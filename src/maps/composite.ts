// Shared parsing for unionmap:{t1, t2} and pipemap:{t1, t2}: the braces, the member list and
// the member tables (each opened through the registry with the caller's options).
import { balancedBraces, splitOutsideBraces } from './braces.js';
import { openTable } from './registry.js';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

export async function openMembers(type: string, name: string, options: OpenOptions): Promise<LookupTable[]> {
  const spec = `${type}:${name}`;
  const bad = new TableError(`bad syntax: "${spec}"; need "${type}:{type:name...}"`, spec);
  const len = balancedBraces(name);
  if (len === 0 || len !== name.length) throw bad;
  const inner = name.slice(1, len - 1);
  const members = inner === '' ? [] : splitOutsideBraces(inner);
  if (members.length === 0 || members.some((m) => !m.includes(':'))) throw bad;
  const tables: LookupTable[] = [];
  try {
    for (const m of members) tables.push(await openTable(m, options));
  } catch (err) {
    await Promise.all(tables.map((t) => t.close()));
    throw err;
  }
  return tables;
}

/** Rethrows a member's TableError under the composite table's name, as Postfix reports it. */
export function asCompositeError(err: unknown, spec: string): unknown {
  return err instanceof TableError ? new TableError(err.message, spec) : err;
}
