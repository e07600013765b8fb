// inline:{key=value, {key = value with spaces}, ...}: a fixed table written in main.cf
// (Postfix 3.0+ dict_inline). A later duplicate key replaces an earlier one, as in Postfix.
import { balancedBraces, splitNameValue, splitOutsideBraces, stripBraces } from './braces.js';
import { MemoryTable } from './memory-table.js';
import { TableError, type OpenOptions } from './types.js';

export async function open(name: string, options: OpenOptions = {}): Promise<MemoryTable> {
  const spec = `inline:${name}`;
  const len = balancedBraces(name);
  const inner = len > 0 ? name.slice(1, len - 1) : '';
  if (len === 0 || len !== name.length || inner === '') {
    throw new TableError(`bad syntax: "${spec}"; need "inline:{name=value...}"`, spec);
  }
  const table = new MemoryTable('inline', name, options);
  for (let token of splitOutsideBraces(inner)) {
    if (token.startsWith('{')) {
      const stripped = stripBraces(token);
      if (stripped.error !== undefined) {
        throw new TableError(`${stripped.error}: "${spec}"; need "inline:{name=value...}"`, spec);
      }
      token = stripped.text;
    }
    const nv = splitNameValue(token);
    if ('error' in nv) throw new TableError(`${nv.error}: "${spec}"; need "inline:{name=value...}"`, spec);
    table.set(nv.name, nv.value);
  }
  if (table.size === 0) throw new TableError(`empty table: "${spec}"; need "inline:{name=value...}"`, spec);
  return table;
}
