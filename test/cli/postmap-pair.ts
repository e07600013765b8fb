// Two postmap working directories with the same source file: one for the real
// /usr/sbin/postmap and one for Outpost's, and helpers that run both and compare.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox, ourPostmap, realPostmap, writeSource } from '../maps/helpers.js';

export interface PostmapPair {
  box: ReturnType<typeof makeSandbox>;
  realDir: string;
  ourDir: string;
  real(args: string[], input?: string): ReturnType<typeof realPostmap>;
  ours(args: string[], input?: string): ReturnType<typeof ourPostmap>;
  /** Run both with the same arguments; stdout, stderr and exit code must be identical. */
  same(args: string[], input?: string, what?: string): void;
}

/** Registers before/after hooks that create and remove the sandbox; `source` is written as "src". */
export function postmapPair(name: string, source: string): PostmapPair {
  const pair = {
    real: (args: string[], input?: string) => realPostmap(args, pair.box.conf, pair.realDir, input),
    ours: (args: string[], input?: string) => ourPostmap(args, pair.box.conf, pair.ourDir, input),
    same(args: string[], input?: string, what = args.join(' ')): void {
      const r = pair.real(args, input);
      const o = pair.ours(args, input);
      assert.equal(o.stdout, r.stdout, `stdout of ${what}`);
      assert.equal(o.stderr, r.stderr, `stderr of ${what}`);
      assert.equal(o.status, r.status, `exit code of ${what}`);
    },
  } as PostmapPair;
  before(() => {
    pair.box = makeSandbox(name);
    pair.realDir = join(pair.box.root, 'real');
    pair.ourDir = join(pair.box.root, 'ours');
    mkdirSync(pair.realDir);
    mkdirSync(pair.ourDir);
    // writeSource dates the file in the past: Postfix re-reads a texthash file modified within
    // the last second (and repeats its warnings); an older mtime keeps runs comparable.
    for (const d of [pair.realDir, pair.ourDir]) writeSource(join(d, 'src'), source);
  });
  after(() => pair.box.cleanup());
  return pair;
}
