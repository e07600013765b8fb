// pipemap:{t1, t2, ...}: the value from t1 is the key for t2, and so on (Postfix 3.0+
// dict_pipe). Not found as soon as one stage has no value.
import { asCompositeError, openMembers } from './composite.js';
import type { LookupTable, OpenOptions } from './types.js';

class PipeTable implements LookupTable {
  readonly type = 'pipemap';
  constructor(
    readonly name: string,
    private readonly members: LookupTable[],
  ) {}
  get fixedKeys(): boolean {
    return this.members[0]!.fixedKeys;
  }
  async lookup(key: string): Promise<string | undefined> {
    let current = key;
    try {
      for (const t of this.members) {
        const v = await t.lookup(current);
        if (v === undefined) return undefined;
        current = v;
      }
    } catch (err) {
      throw asCompositeError(err, `pipemap:${this.name}`);
    }
    return current;
  }
  async close(): Promise<void> {
    await Promise.all(this.members.map((t) => t.close()));
  }
}

export async function open(name: string, options: OpenOptions = {}): Promise<LookupTable> {
  return new PipeTable(name, await openMembers('pipemap', name, options));
}
