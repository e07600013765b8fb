// EntryStore.append() + dedupe() (whole builds) must leave the same live entries, values and
// duplicate list as add() entry by entry, for every duplicate policy: checked on keys with many
// repeats and on two different keys with the same hash (found by search, so a hash run holding
// different keys is exercised).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryStore, hashBytes } from '../../src/maps/entry-store.js';

type Entry = [key: string, value: string];

function colliding(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const k = `k${i}`;
    const h = hashBytes(Buffer.from(k), 0, k.length);
    const other = seen.get(h);
    if (other !== undefined) return [other, k];
    seen.set(h, k);
  }
}

function live(store: EntryStore): Entry[] {
  return [...store.order()].map((i) => [store.keyBytes(i).toString(), store.valueBytes(i).toString()]);
}

function byAdd(entries: Entry[], replace: boolean): { live: Entry[]; dups: number[] } {
  const store = new EntryStore();
  const dups: number[] = [];
  entries.forEach(([k, v], n) => {
    const [seg, off] = store.copyIn(Buffer.from(k + v), 0, k.length + v.length);
    const r = store.add(seg, off, k.length, off + k.length, v.length, replace);
    if (r !== 'added') dups.push(n);
  });
  return { live: live(store), dups };
}

function byDedupe(entries: Entry[], replace: boolean): { live: Entry[]; dups: number[] } {
  const store = new EntryStore();
  for (const [k, v] of entries) {
    const [seg, off] = store.copyIn(Buffer.from(k + v), 0, k.length + v.length);
    store.append(
      seg,
      off,
      k.length,
      off + k.length,
      v.length,
      hashBytes(store.segments[seg]!, off, k.length),
    );
  }
  const dupEntries = [...store.dedupe(replace)];
  // Entry numbers of duplicates (append() numbers entries in order, add() skips them).
  return { live: live(store), dups: dupEntries };
}

test('dedupe() after append() agrees with add() entry by entry', () => {
  const [c1, c2] = colliding();
  assert.notEqual(c1, c2);
  let seed = 11;
  const rand = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  const entries: Entry[] = [];
  for (let i = 0; i < 5000; i++) entries.push([`key${rand(1500)}`, `v${i}`]);
  entries.push([c1, 'first'], [c2, 'second'], [c1, 'third'], [c2, 'fourth']);
  for (const replace of [false, true]) {
    const a = byAdd(entries, replace);
    const d = byDedupe(entries, replace);
    assert.deepEqual(d.live, a.live, `live entries, replace=${replace}`);
    assert.deepEqual(d.dups, a.dups, `duplicates, replace=${replace}`);
  }
  // The colliding keys stay apart: both are there, with their first (or last) values.
  const kept = new Map(byDedupe(entries, false).live);
  assert.equal(kept.get(c1), 'first');
  assert.equal(kept.get(c2), 'second');
  const replaced = new Map(byDedupe(entries, true).live);
  assert.equal(replaced.get(c1), 'third');
  assert.equal(replaced.get(c2), 'fourth');
});

test('add() after dedupe() still finds the kept entries', () => {
  const store = new EntryStore();
  for (const k of ['a', 'b', 'a']) {
    const [seg, off] = store.copyIn(Buffer.from(k), 0, 1);
    store.append(seg, off, 1, off, 0, hashBytes(store.segments[seg]!, off, 1));
  }
  assert.deepEqual([...store.dedupe(false)], [2]);
  const [seg, off] = store.copyIn(Buffer.from('b'), 0, 1);
  assert.equal(store.add(seg, off, 1, off, 0, false), 'duplicate');
  const [seg2, off2] = store.copyIn(Buffer.from('c'), 0, 1);
  assert.equal(store.add(seg2, off2, 1, off2, 0, false), 'added');
});
