// fail:name: every lookup fails with a temporary error (Postfix dict_fail, for testing how
// callers handle table errors).
import { TableError, type LookupTable } from './types.js';

class FailTable implements LookupTable {
  readonly type = 'fail';
  /** dict_fail is flagged as a pattern table. */
  readonly fixedKeys = false;
  constructor(readonly name: string) {}
  lookupSync(_key: string): string | undefined {
    // Postfix prints errno 0 through %m here; this is that text.
    throw new TableError('Application error', `fail:${this.name}`);
  }
  async lookup(key: string): Promise<string | undefined> {
    return this.lookupSync(key);
  }
  async close(): Promise<void> {}
}

export async function open(name: string): Promise<LookupTable> {
  return new FailTable(name);
}
