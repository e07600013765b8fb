// A fixed-string table held in memory (Postfix's dict_ht), used by inline: and texthash:.
import { foldText } from './fold.js';
import type { LookupTable, OpenOptions } from './types.js';

export class MemoryTable implements LookupTable {
  readonly fixedKeys = true;
  private readonly fold: boolean;
  private readonly utf8: boolean;
  protected map = new Map<string, string>();

  constructor(
    readonly type: string,
    readonly name: string,
    options: OpenOptions = {},
  ) {
    this.fold = options.foldCase ?? true;
    this.utf8 = options.utf8 ?? true;
  }

  /** The key as stored: folded unless folding is off. */
  foldKey(key: string): string {
    return this.fold ? foldText(key, this.utf8) : key;
  }

  has(key: string): boolean {
    return this.map.has(this.foldKey(key));
  }

  /** Stores a value; a later set() of the same key replaces it (dict_ht_update). */
  set(key: string, value: string): void {
    this.map.set(this.foldKey(key), value);
  }

  lookupSync(key: string): string | undefined {
    return this.map.get(this.foldKey(key));
  }

  async lookup(key: string): Promise<string | undefined> {
    return this.lookupSync(key);
  }

  /** Entries in insertion order (Postfix prints hash-table order, which is unspecified). */
  entries(): Iterable<[string, string]> {
    return this.map.entries();
  }

  get size(): number {
    return this.map.size;
  }

  async close(): Promise<void> {
    this.map.clear();
  }
}
