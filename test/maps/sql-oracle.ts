// Test helpers for the SQL table drivers: run real Postfix `postmap -q` and Outpost's driver
// on the same configuration file and compare the outcomes (found value / not found / error).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POSTCONF, POSTMAP } from '../helpers/peers.js';
import { TableError, type LookupTable, type OpenOptions } from '../../src/maps/types.js';

/**
 * True when Postfix's postmap can open `type:` tables (its dict plugin package is installed).
 * `dir` holds a main.cf (makeWorkDir): postconf refuses to run without one.
 */
export function postfixHasMapType(dir: string, type: string): boolean {
  const r = spawnSync(POSTCONF, ['-c', dir, '-m'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.split('\n').includes(type);
}

export type Outcome = { found: string } | 'notfound' | 'error';

/** A temp directory with an empty main.cf for postmap -c; removed by cleanup(). */
export async function makeWorkDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-sql-'));
  const maincf = join(dir, 'main.cf');
  await writeFile(maincf, 'compatibility_level = 3.6\n');
  // postmap repeats main.cf warnings when the file is younger than a second (COMMON.md).
  const old = new Date('2020-01-01T00:00:00Z');
  await utimes(maincf, old, old);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes a table configuration file and returns its path. The file is dated in the past:
 * Postfix's dict_load_file() sleeps and rereads a file modified within the last second.
 */
export async function writeConfig(dir: string, name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.join('\n') + '\n');
  const old = new Date('2020-01-01T00:00:00Z');
  await utimes(path, old, old);
  return path;
}

/** `postmap -c dir -q key map`: exit 0 prints the value, 1 without "fatal" is not found. */
export function postmapQuery(
  dir: string,
  map: string,
  key: string,
): Promise<{ outcome: Outcome; stderr: string }> {
  return new Promise((resolveQuery, reject) => {
    const child = spawn(POSTMAP, ['-c', dir, '-q', key, map], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolveQuery({ outcome: { found: stdout.replace(/\n$/, '') }, stderr });
      else if (code === 1 && !/fatal:/.test(stderr)) resolveQuery({ outcome: 'notfound', stderr });
      else resolveQuery({ outcome: 'error', stderr });
    });
  });
}

/**
 * `postmap -q - map` with one key per line: one process for many keys. Returns undefined when
 * postmap stopped on an error, so the caller asks key by key to see which key failed.
 */
export function postmapBatch(
  dir: string,
  map: string,
  keys: string[],
): Promise<Map<string, Outcome> | undefined> {
  return new Promise((resolveBatch, reject) => {
    const child = spawn(POSTMAP, ['-c', dir, '-q', '-', map], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (/fatal:/.test(stderr) || (code !== 0 && code !== 1)) return resolveBatch(undefined);
      const found = new Map<string, string>();
      for (const line of stdout.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab >= 0) found.set(line.slice(0, tab), line.slice(tab + 1));
      }
      const outcomes = new Map<string, Outcome>();
      for (const key of keys) {
        const value = found.get(key);
        outcomes.set(key, value === undefined ? 'notfound' : { found: value });
      }
      resolveBatch(outcomes);
    });
    child.stdin.end(keys.map((k) => `${k}\n`).join(''));
  });
}

/** Outpost's outcome for one key. Any error other than TableError fails the test. */
export async function outpostQuery(table: LookupTable, key: string): Promise<Outcome> {
  try {
    const value = await table.lookup(key);
    return value === undefined ? 'notfound' : { found: value };
  } catch (err) {
    if (err instanceof TableError) return 'error';
    throw err;
  }
}

export type Opener = (name: string, options: OpenOptions) => Promise<LookupTable>;

/** Runs every key through postmap and the driver; returns one line per key that differs. */
export async function compareKeys(
  dir: string,
  type: string,
  configPath: string,
  open: Opener,
  keys: string[],
): Promise<{ differences: string[]; outcomes: Map<string, Outcome> }> {
  const table = await open(configPath, {});
  const differences: string[] = [];
  const outcomes = new Map<string, Outcome>();
  const map = `${type}:${configPath}`;
  const batch = keys.some((k) => /[\n\t]/.test(k) || k === '')
    ? undefined
    : await postmapBatch(dir, map, keys);
  try {
    for (const key of keys) {
      const expected = batch?.get(key) ?? (await postmapQuery(dir, map, key)).outcome;
      const actual = await outpostQuery(table, key);
      outcomes.set(key, actual);
      if (JSON.stringify(expected) !== JSON.stringify(actual)) {
        differences.push(
          `${configPath} key ${JSON.stringify(key)}: postmap ${JSON.stringify(expected)} vs outpost ${JSON.stringify(actual)}`,
        );
      }
    }
  } finally {
    await table.close();
  }
  return { differences, outcomes };
}

/** Compares every scenario; fails with all differences and any unmet Outpost expectation. */
export async function checkScenarios(
  dir: string,
  type: string,
  open: Opener,
  list: {
    name: string;
    lines: string[];
    expect: Record<string, string | undefined | 'error'>;
    keys?: string[];
  }[],
  keys: string[],
  knownDifference: (scenario: string, key: string) => boolean = () => false,
): Promise<string[]> {
  const problems: string[] = [];
  let index = 0;
  for (const scenario of list) {
    const path = await writeConfig(dir, `${type}-${index++}.cf`, scenario.lines);
    const allKeys = [...new Set([...(scenario.keys ?? keys), ...Object.keys(scenario.expect)])];
    const { differences, outcomes } = await compareKeys(dir, type, path, open, allKeys);
    for (const d of differences) {
      const key = JSON.parse(d.slice(d.indexOf(' key ') + 5, d.indexOf(': postmap'))) as string;
      if (!knownDifference(scenario.name, key)) problems.push(`[${scenario.name}] ${d}`);
    }
    for (const [key, want] of Object.entries(scenario.expect)) {
      const got = outcomes.get(key);
      const wanted: Outcome = want === undefined ? 'notfound' : want === 'error' ? 'error' : { found: want };
      if (JSON.stringify(got) !== JSON.stringify(wanted)) {
        problems.push(
          `[${scenario.name}] key ${JSON.stringify(key)}: want ${JSON.stringify(wanted)}, got ${JSON.stringify(got)}`,
        );
      }
    }
  }
  return problems;
}
