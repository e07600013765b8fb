#!/usr/bin/env node
// Benchmark (not a test): Outpost's postmap against Postfix's on the same input, in one run.
// For hash, lmdb and cdb: build a 1,000,000-line table, then answer 100,000 keys with `-q -`
// (about half of them present). Each measurement alternates the two implementations and takes
// the median of REPEAT runs, so load on a shared machine hits both alike. Results (wall and
// CPU seconds, keys/s, ratios) go to bench/RESULTS.md, section "postmap".
//
// Usage: npm run build && [TYPES=cdb,lmdb] node bench/postmap.mjs [lines] [queries] [repeat]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OURS = [join(ROOT, 'bin', 'postmap')];
const POSTFIX = ['/usr/sbin/postmap'];
const LINES = Number(process.argv[2] ?? 1_000_000);
const QUERIES = Number(process.argv[3] ?? 100_000);
const REPEAT = Number(process.argv[4] ?? 3);
// TYPES=cdb,lmdb (environment) measures only those types; RESULTS.md is then left alone.
const ALL_TYPES = ['hash', 'lmdb', 'cdb'];
const TYPES = process.env.TYPES ? process.env.TYPES.split(',') : ALL_TYPES;
for (const t of TYPES) if (!ALL_TYPES.includes(t)) throw new Error(`TYPES: unknown type ${t}`);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const work = mkdtempSync(join(tmpdir(), 'outpost-bench-'));
const conf = join(work, 'conf');
mkdirSync(conf);
writeFileSync(join(conf, 'main.cf'), 'compatibility_level = 3.7\n');
utimesSync(join(conf, 'main.cf'), new Date('2020-01-01'), new Date('2020-01-01'));

// Deterministic pseudo-random input (LCG): relay-style keys and values.
let seed = 12345;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const parts = [];
for (let i = 0; i < LINES; i++)
  parts.push(`user${i}@domain${i % 1000}.example.com\tsmtp:[relay${i % 97}.example.net]:25\n`);
const source = parts.join('');
const keys = [];
for (let i = 0; i < QUERIES; i++) {
  const n = Math.floor(rand() * LINES * 2);
  keys.push(`user${n}@domain${n % 1000}.example.com`);
}
const queryInput = keys.join('\n') + '\n';
for (const side of ['ours', 'postfix']) {
  mkdirSync(join(work, side));
  for (const type of TYPES) writeFileSync(join(work, side, `${type}-table`), source);
}

/** Runs a command; returns wall seconds, CPU seconds (user+sys, via GNU time) and stdout digest. */
function measure(cmd, args, cwd, input) {
  const timed = TIME ? [TIME, ['-f', '%U %S', cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(timed[0], timed[1], {
    cwd,
    input: input ?? '',
    env: { ...process.env, MAIL_CONFIG: conf },
    maxBuffer: 1 << 30,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const err = r.stderr.toString();
  let cpu = NaN;
  if (TIME) {
    const m = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(err);
    if (m) cpu = Number(m[1]) + Number(m[2]);
  }
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} failed: ${err}`);
  return {
    wall,
    cpu,
    digest: createHash('md5').update(r.stdout).digest('hex'),
    lines: r.stdout.toString().split('\n').length - 1,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = [];
const load0 = loadavg();
const started = new Date();
for (const type of TYPES) {
  const build = { ours: [], postfix: [] };
  const query = { ours: [], postfix: [] };
  const digests = {};
  for (let rep = 0; rep < REPEAT; rep++) {
    for (const [side, cmd] of [
      ['postfix', POSTFIX],
      ['ours', OURS],
    ]) {
      const dir = join(work, side);
      build[side].push(measure(cmd[0], [...cmd.slice(1), `${type}:${type}-table`], dir));
      const q = measure(cmd[0], [...cmd.slice(1), '-q', '-', `${type}:${type}-table`], dir, queryInput);
      query[side].push(q);
      digests[side] = q;
    }
  }
  const row = { type };
  for (const side of ['ours', 'postfix']) {
    row[`${side}BuildWall`] = median(build[side].map((m) => m.wall));
    row[`${side}BuildCpu`] = median(build[side].map((m) => m.cpu));
    row[`${side}QueryWall`] = median(query[side].map((m) => m.wall));
    row[`${side}QueryCpu`] = median(query[side].map((m) => m.cpu));
  }
  row.sameAnswers = digests.ours.digest === digests.postfix.digest;
  row.found = digests.ours.lines;
  results.push(row);
  console.log(JSON.stringify(row));
}
const load1 = loadavg();

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const kps = (s) => (Number.isFinite(s) && s > 0 ? Math.round(QUERIES / s).toLocaleString('en-US') : 'n/a');
const lines = [];
lines.push('## postmap');
lines.push('');
lines.push(
  `Run ${started.toISOString()} by \`node bench/postmap.mjs ${LINES} ${QUERIES} ${REPEAT}\`: ${LINES.toLocaleString('en-US')}-line ` +
    `source, ${QUERIES.toLocaleString('en-US')} \`-q -\` keys (${results[0]?.found ?? '?'} found), median of ${REPEAT} ` +
    `alternating runs per cell. Postfix 3.7 \`/usr/sbin/postmap\` vs Outpost \`bin/postmap\` (Node ${process.version}), ` +
    `${cpus().length} CPUs, load average ${load0.map((x) => x.toFixed(1)).join('/')} at start, ` +
    `${load1.map((x) => x.toFixed(1)).join('/')} at end. Wall times include process start-up (Node ~0.1 s). ` +
    `CPU = user + system seconds from GNU time.`,
);
lines.push('');
lines.push(
  '| type | build wall Postfix | build wall Outpost | build speed-up | build CPU Postfix | build CPU Outpost | query keys/s Postfix | query keys/s Outpost | query ratio | query CPU Postfix | query CPU Outpost | same answers |',
);
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  lines.push(
    `| ${r.type} | ${f(r.postfixBuildWall)} s | ${f(r.oursBuildWall)} s | ${f(r.postfixBuildWall / r.oursBuildWall)}x | ` +
      `${f(r.postfixBuildCpu)} s | ${f(r.oursBuildCpu)} s | ${kps(r.postfixQueryWall)} | ${kps(r.oursQueryWall)} | ` +
      `${f(r.postfixQueryWall / r.oursQueryWall)}x | ${f(r.postfixQueryCpu)} s | ${f(r.oursQueryCpu)} s | ${r.sameAnswers ? 'yes' : 'NO'} |`,
  );
}
lines.push('');
lines.push(
  'Speed-up and ratio > 1 mean Outpost is faster. "hash" is Berkeley DB for Postfix and Outpost\'s own format for ' +
    'Outpost (docs/tables.md); lmdb and cdb files are the same formats on both sides.',
);
lines.push('');
const section = lines.join('\n');

const resultsPath = join(ROOT, 'bench', 'RESULTS.md');
if (TYPES.length !== ALL_TYPES.length) {
  rmSync(work, { recursive: true, force: true });
  console.log(section);
  console.log('(TYPES given: bench/RESULTS.md not updated)');
  process.exit(0);
}
let doc = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n\n';
// Up to the next heading (the next section may be a ### one: it stays).
const re = /## postmap\n[\s\S]*?(?=\n##+ |$)/;
doc = re.test(doc) ? doc.replace(re, section) : doc.replace(/\n*$/, '\n\n') + section;
writeFileSync(resultsPath, doc);
rmSync(work, { recursive: true, force: true });
console.log(section);
