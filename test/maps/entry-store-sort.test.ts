// EntryStore.sortedOrder() (the key order of lmdb files) must be memcmp order with the shorter
// key first on a tie, like liblmdb's default comparator: checked against Buffer.compare on keys
// built to hit every case of the radix sort (shared prefixes, ties past the sorted bytes, keys
// that are prefixes of others, NUL and high bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryStore } from '../../src/maps/entry-store.js';

function sortedKeys(keys: Buffer[]): string[] {
  const store = new EntryStore();
  for (const k of keys) {
    const [seg, off] = store.copyIn(k, 0, k.length);
    store.add(seg, off, k.length, off, 0, false);
  }
  return [...store.sortedOrder()].map((i) => store.keyBytes(i).toString('hex'));
}

test('sortedOrder is memcmp order, shorter first', () => {
  let seed = 7;
  const rand = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  const keys: Buffer[] = [];
  const seen = new Set<string>();
  const push = (b: Buffer): void => {
    if (seen.has(b.toString('hex'))) return;
    keys.push(b);
    seen.add(b.toString('hex'));
  };

  for (let i = 0; i < 3000; i++) {
    const len = 1 + rand(24);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = [0, 1, 0x61, 0x62, 0xff][rand(5)]!;
    push(Buffer.concat([Buffer.from('common-prefix-'), b]));
  }
  for (let i = 0; i < 500; i++) push(Buffer.from(`user${i}@domain${i % 7}.example.com\0`));
  push(Buffer.from('common-prefix-'));
  push(Buffer.from('common-prefix-\0'));
  const want = [...keys].sort(Buffer.compare).map((b) => b.toString('hex'));
  assert.deepEqual(sortedKeys(keys), want);
  // All keys sharing everything but the last byte, and a single key.
  const tail = Array.from({ length: 300 }, (_, i) =>
    Buffer.from(`abcdefghijklmnop${String.fromCharCode(32 + (i % 90))}${i}`),
  );
  assert.deepEqual(
    sortedKeys(tail),
    [...tail].sort(Buffer.compare).map((b) => b.toString('hex')),
  );
  assert.deepEqual(sortedKeys([Buffer.from('x')]), ['78']);
});
