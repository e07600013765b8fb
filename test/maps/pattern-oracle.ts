// Differential-test helper for the pattern tables: runs real Postfix `postmap -q - TYPE:NAME`
// and an Outpost driver on the same table and keys, and returns both sides in one shape so a
// test can compare results and warning lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasPostfix, needPeer, POSTMAP } from '../helpers/peers.js';
import type { LookupTable } from '../../src/maps/types.js';
import type { PatternOpenOptions } from '../../src/maps/pattern-source.js';

export interface Observed {
  /** key -> value for every key found (keys not found are absent). */
  found: Record<string, string>;
  /** Warning texts after "postmap: warning: " (postmap's own result-policy warnings removed). */
  warnings: string[];
  /** Fatal error text (table could not be opened), if any. */
  fatal?: string;
  /** postmap's exit status for `-q -`: 0 when some key was found, else 1. */
  status: number;
}

/** A config directory with an empty main.cf that postmap accepts without complaint. */
export function makeConfigDir(base: string): string {
  const dir = join(base, 'postfix-config');
  mkdirSync(dir, { recursive: true });
  const mainCf = join(dir, 'main.cf');
  writeFileSync(mainCf, '');
  // postmap warns about a main.cf modified within the last second; age it.
  utimesSync(mainCf, new Date('2020-01-01'), new Date('2020-01-01'));
  return dir;
}

/** Ask real Postfix. Keys must not contain newlines (they are sent one per line). */
export function postmapQuery(configDir: string, map: string, keys: string[]): Observed {
  const r = spawnSync(POSTMAP, ['-c', configDir, '-q', '-', map], {
    input: keys.map((k) => `${k}\n`).join(''),
    encoding: 'utf8',
    timeout: 20_000,
  });
  const found: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    found[line.slice(0, tab)] = line.slice(tab + 1);
  }
  const warnings: string[] = [];
  let fatal: string | undefined;
  for (const line of r.stderr.split('\n')) {
    if (line.startsWith('postmap: warning: ')) {
      const text = line.slice('postmap: warning: '.length);
      // Policy of postmap's own lookup wrapper, not of the table driver.
      if (!text.startsWith('table ')) warnings.push(text);
    } else if (line.startsWith('postmap: fatal: ')) {
      fatal = line.slice('postmap: fatal: '.length);
    }
  }
  const status = r.status ?? -1;
  return fatal === undefined ? { found, warnings, status } : { found, warnings, fatal, status };
}

/** Ask an Outpost driver the same questions. */
export async function driverQuery(
  open: (name: string, options: PatternOpenOptions) => Promise<LookupTable>,
  name: string,
  keys: string[],
): Promise<Observed> {
  const warnings: string[] = [];
  let table: LookupTable;
  try {
    table = await open(name, { warn: (m) => warnings.push(m) });
  } catch (e) {
    return { found: {}, warnings, fatal: (e as Error).message, status: 1 };
  }
  const found: Record<string, string> = {};
  for (const key of keys) {
    const value = await table.lookup(key);
    if (value !== undefined) found[key] = value;
  }
  await table.close();
  // What postmap -q - would exit with for these answers.
  return { found, warnings, status: Object.keys(found).length > 0 ? 0 : 1 };
}

/** The inline form Postfix 3.7 accepts: "{ {rule1}, {rule2} }". */
export function inlineForm(rules: string[]): string {
  return `{ ${rules.map((r) => `{${r}}`).join(', ')} }`;
}

/** One differential case: the same rules and keys for real postmap and Outpost's driver. */
export interface PatternCase {
  title: string;
  rules: string[];
  keys: string[];
  /** The rules can also be written in the inline "{ {rule}, ... }" form. Default true. */
  inline?: boolean;
}

export interface OracleSandbox {
  dir: string;
  configDir: string;
}

/**
 * Registers a temp directory with a Postfix config (before/after hooks) and one test per case,
 * each comparing the driver's answers and warnings with real `postmap -q` for the file form and,
 * unless the case says otherwise, the inline form. Returns the sandbox for further tests.
 */
export function differentialCases(
  type: 'regexp' | 'pcre' | 'cidr',
  open: (name: string, options: PatternOpenOptions) => Promise<LookupTable>,
  cases: PatternCase[],
): OracleSandbox {
  const box = {} as OracleSandbox;
  before(() => {
    box.dir = mkdtempSync(join(tmpdir(), `outpost-${type}-`));
    box.configDir = makeConfigDir(box.dir);
  });
  after(() => rmSync(box.dir, { recursive: true, force: true }));
  cases.forEach((c, index) => {
    test(`${type}: ${c.title}`, async (t) => {
      if (!needPeer(t, 'postfix', hasPostfix())) return;
      const file = join(box.dir, `case${index}.${type}`);
      writeFileSync(file, c.rules.map((r) => `${r}\n`).join(''));
      const expected = postmapQuery(box.configDir, `${type}:${file}`, c.keys);
      assert.deepEqual(await driverQuery(open, file, c.keys), expected);
      if (c.inline !== false) {
        const name = inlineForm(c.rules);
        const expectedInline = postmapQuery(box.configDir, `${type}:${name}`, c.keys);
        assert.deepEqual(await driverQuery(open, name, c.keys), expectedInline);
        // Same answers as the file form.
        assert.deepEqual(expectedInline.found, expected.found);
      }
    });
  });
  return box;
}
