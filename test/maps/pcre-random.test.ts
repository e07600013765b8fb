// Random-pattern differential test for pcre:: a fixed-seed generator builds Perl patterns
// (lookaround, atomic groups, possessive and lazy quantifiers, classes, alternation, flags) and
// compares every answer, including $n captures, with real Postfix. Capture groups are never
// repeated: there PCRE and JS disagree on empty iterations (docs/pattern-tables.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { open } from '../../src/maps/pcre.js';
import { driverQuery, makeConfigDir, postmapQuery } from './pattern-oracle.js';

/** Small deterministic LCG so failures reproduce. */
function generator(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    // The low bits of this generator cycle quickly; use the high ones.
    return Math.floor(state / 65536) % n;
  };
}

const ATOMS = [
  'a',
  'b',
  'A',
  '.',
  '\\w',
  '\\d',
  '[[:alpha:]]',
  '[^b]',
  '(?:a|ab)',
  '(?>a|ab)',
  '(?=a)',
  '(?!b)',
  'x',
  '1',
];
const GROUPS = ['(a|ab)', '(A|aa)', '(b*)', '(a?)', '(?<NAME>x|1)'];
const QUANTIFIERS = ['', '', '', '*', '+', '?', '{1,2}', '*?', '+?', '*+', '?+'];

function pattern(rnd: (n: number) => number): string {
  let s = '';
  const n = 1 + rnd(5);
  for (let i = 0; i < n; i++) {
    if (rnd(4) === 0) {
      s += GROUPS[rnd(GROUPS.length)]!.replace('NAME', `n${i}`);
      continue;
    }
    const atom = ATOMS[rnd(ATOMS.length)]!;
    // Lookaround cannot take a quantifier in a useful way; leave it bare.
    s +=
      atom + (atom.startsWith('(?=') || atom.startsWith('(?!') ? '' : QUANTIFIERS[rnd(QUANTIFIERS.length)]!);
  }
  if (rnd(5) === 0) s = `^${s}`;
  if (rnd(5) === 0) s += '$';
  return s;
}

let dir: string;
let configDir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-pcre-random-'));
  configDir = makeConfigDir(dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('pcre: 60 random patterns agree with Postfix on 20 keys each', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const rnd = generator(20261127);
  const keys: string[] = [];
  for (let i = 0; i < 20; i++) {
    let k = '';
    for (let j = 1 + rnd(6); j > 0; j--) k += 'abAx1-'[rnd(6)];
    keys.push(k);
  }
  let found = 0;
  let captured = 0;
  for (let i = 0; i < 60; i++) {
    const body = pattern(rnd);
    const flags = ['', 'i', 'U', 'A'][rnd(4)]!;
    const groups = (body.match(/\((?!\?)|\(\?</g) ?? []).length - (body.match(/\(\?<[=!]/g) ?? []).length;
    let result = 'm';
    for (let g = 1; g <= Math.min(groups, 9); g++) result += `[$${g}]`;
    const file = join(dir, `random${i}.pcre`);
    writeFileSync(file, `/${body}/${flags} ${result}\n`);
    const expected = postmapQuery(configDir, `pcre:${file}`, keys);
    assert.deepEqual(await driverQuery(open, file, keys), expected, `/${body}/${flags}`);
    found += Object.keys(expected.found).length;
    captured += Object.values(expected.found).filter((v) => /\[[^\]]+\]/.test(v)).length;
  }
  // The corpus must exercise matches and non-empty captures, or it proves nothing.
  process.stderr.write(`random ${'pcre'}: ${found} answers, ${captured} with captured text\n`);
  assert.ok(found >= 200 && captured >= 50, `weak corpus: ${found} answers, ${captured} captures`);
});
