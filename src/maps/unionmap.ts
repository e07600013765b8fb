// unionmap:{t1, t2, ...}: queries every table and joins the values found with "," (Postfix
// 3.0+ dict_union). A member's error fails the whole lookup.
import { asCompositeError, openMembers } from './composite.js';
import type { LookupTable, OpenOptions } from './types.js';

class UnionTable implements LookupTable {
  readonly type = 'unionmap';
  constructor(
    readonly name: string,
    private readonly members: LookupTable[],
  ) {}
  /** The first member decides, as in Postfix. */
  get fixedKeys(): boolean {
    return this.members[0]!.fixedKeys;
  }
  async lookup(key: string): Promise<string | undefined> {
    const found: string[] = [];
    try {
      for (const t of this.members) {
        const v = await t.lookup(key);
        if (v !== undefined) found.push(v);
      }
    } catch (err) {
      throw asCompositeError(err, `unionmap:${this.name}`);
    }
    const joined = found.join(',');
    return joined === '' ? undefined : joined;
  }
  async close(): Promise<void> {
    await Promise.all(this.members.map((t) => t.close()));
  }
}

export async function open(name: string, options: OpenOptions = {}): Promise<LookupTable> {
  return new UnionTable(name, await openMembers('unionmap', name, options));
}
