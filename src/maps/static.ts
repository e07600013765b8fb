// static:value and static:{value with spaces}: every key resolves to the same value.
import { stripBraces } from './braces.js';
import { TableError, type LookupTable } from './types.js';

class StaticTable implements LookupTable {
  readonly type = 'static';
  readonly fixedKeys = true;
  constructor(
    readonly name: string,
    readonly value: string,
  ) {}
  lookupSync(_key: string): string {
    return this.value;
  }
  async lookup(_key: string): Promise<string> {
    return this.value;
  }
  async close(): Promise<void> {}
}

export async function open(name: string): Promise<LookupTable> {
  let value = name;
  if (name.startsWith('{')) {
    const stripped = stripBraces(name);
    if (stripped.error !== undefined) {
      throw new TableError(`bad static:name syntax: ${stripped.error}`, `static:${name}`);
    }
    value = stripped.text;
  }
  return new StaticTable(name, value);
}
