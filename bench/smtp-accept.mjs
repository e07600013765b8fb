#!/usr/bin/env node
// Benchmark: how fast do Outpost and real Postfix ACCEPT mail over SMTP, durably?
//
//   node bench/smtp-accept.mjs [--messages N] [--sessions S] [--size BYTES] [--rounds R]
//                              [--only outpost|postfix] [--settle SECONDS]
//                              [--outpost-param 'name = value']   (added to Outpost's main.cf,
//                               e.g. 'outpost_queue_segments = no' for one file per message)
//
// Both servers run on this machine with a durable queue (every 250 means the message is on
// disk: Postfix fsyncs one queue file per message; Outpost, with its default
// outpost_queue_segments = yes, appends to a queue segment and fdatasyncs once per batch), both told to put every message on hold (check_sender_access ... HOLD), so that only
// acceptance is measured and nothing is delivered.
// The load comes from Postfix's smtp-source (Debian package postfix), the same client for both.
// Reported: accepted messages/s, CPU ms per message (the server's whole process tree, from
// /proc), idle and peak resident memory. Results are appended to bench/RESULTS.md.
// With --rounds R the two servers run R times each, in alternating order (each run creates
// and later deletes 10,000 files, which makes the file system's inode allocation slower for
// whoever runs next for a while), and the ratios are the medians of the per-round ratios.
// --settle S (default 35) waits S seconds before each round: ext4 without a journal skips
// inodes deleted in the last dirty_expire_centisecs (30 s here) when it allocates new ones, so
// a server that creates a file per message runs slower right after the previous round's
// files were deleted. Waiting gives Postfix (and Outpost with outpost_queue_segments = no)
// an undisturbed file system; --settle 0 shows the disturbed case.
// Needs root (Postfix's master runs as root and drops to the postfix user).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  readFileSync,
  readdirSync,
  rmSync,
  appendFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const MESSAGES = Number(opt('messages', '10000'));
const SESSIONS = Number(opt('sessions', '20'));
const SIZE = Number(opt('size', '4096'));
const ONLY = opt('only', '');
const ROUNDS = Number(opt('rounds', '1'));
const SETTLE = Number(opt('settle', '35'));
const OUTPOST_PARAM = opt('outpost-param', '');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const PAGE = Number(execFileSync('getconf', ['PAGESIZE']).toString().trim());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** All descendants of pid (inclusive), from /proc. */
function tree(root) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* process went away */
    }
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** CPU seconds of a process tree: live processes' own time plus reaped children of each. */
function treeCpu(root) {
  let ticks = 0;
  for (const pid of tree(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after ")" start at index 0 = state; utime=11, stime=12, cutime=13, cstime=14
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* gone */
    }
  }
  return ticks / CLK_TCK;
}

/** Resident memory of a process tree in MiB. */
function treeRss(root) {
  let pages = 0;
  for (const pid of tree(root)) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    } catch {
      /* gone */
    }
  }
  return (pages * PAGE) / 1048576;
}

async function waitForPort(host, port, timeoutMs = 20000) {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${host}:${port}`);
}

/** Run smtp-source against host:port while sampling the server tree; returns the measurements. */
async function drive(name, rootPid, host, port) {
  await sleep(500);
  const idleRss = treeRss(rootPid);
  const cpu0 = treeCpu(rootPid);
  let peakRss = idleRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, treeRss(rootPid));
  }, 100);
  const t0 = process.hrtime.bigint();
  const src = spawn(
    'smtp-source',
    [
      '-s',
      String(SESSIONS),
      '-m',
      String(MESSAGES),
      '-l',
      String(SIZE),
      '-f',
      'bench@example.com',
      '-t',
      'sink@example.net',
      `${host}:${port}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const code = await new Promise((r) => src.on('exit', r));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sampler);
  await sleep(300);
  const cpu = treeCpu(rootPid) - cpu0;
  if (code !== 0) throw new Error(`${name}: smtp-source exited with ${code}`);
  return { name, seconds, rate: MESSAGES / seconds, cpuMsPerMsg: (cpu * 1000) / MESSAGES, idleRss, peakRss };
}

function countFiles(dir) {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}

/** Messages in an Outpost queue as its tools see them: queue files and queue segments. */
async function countOutpostQueue(queueDirectory) {
  const { QueueStore } = await import(join(repo, 'dist', 'src', 'queue', 'queue-store.js'));
  const store = await QueueStore.open({ queueDirectory, enableLongQueueIds: false }, { create: false });
  let n = 0;
  for (const q of ['incoming', 'active', 'deferred', 'hold']) n += (await store.list(q)).length;
  await store.close();
  return n;
}

async function benchPostfix(base) {
  const conf = join(base, 'conf');
  const q = join(base, 'queue');
  const data = join(base, 'data');
  mkdirSync(conf, { recursive: true });
  mkdirSync(data, { recursive: true });
  mkdirSync(q, { recursive: true });
  execFileSync('chown', ['postfix', data]);
  writeFileSync(
    join(conf, 'main.cf'),
    [
      'compatibility_level = 3.7',
      `queue_directory = ${q}`,
      `data_directory = ${data}`,
      `maillog_file = ${base}/maillog`,
      `maillog_file_prefixes = ${base}`,
      'myhostname = bench.example',
      'mydestination =',
      'mynetworks = 127.0.0.0/8',
      // accept only: every message goes to the hold queue, so nothing is delivered and the
      // queue keeps every message (disabling qmgr instead makes cleanup stall on its trigger)
      'smtpd_sender_restrictions = check_sender_access inline:{bench@example.com=HOLD}',
      'alias_maps =',
      '',
    ].join('\n'),
  );
  // Debian's stock master.cf, with the smtp service on a private loopback address and no chroot
  const master = readFileSync('/etc/postfix/master.cf', 'utf8')
    .replace(/^smtp\s+inet.*$/m, '127.0.0.10:2525 inet n - n - - smtpd')
    .replace(/^(\S+\s+(?:unix|unix-dgram|fifo|inet)\s+\S+\s+\S+\s+)y/gm, '$1n');
  writeFileSync(join(conf, 'master.cf'), master);
  execFileSync('postfix', ['-c', conf, 'start'], { stdio: 'inherit' });
  try {
    await waitForPort('127.0.0.10', 2525);
    const pid = Number(readFileSync(join(q, 'pid', 'master.pid'), 'utf8').trim());
    const r = await drive('Postfix 3.7', pid, '127.0.0.10', 2525);
    r.queued = ['incoming', 'active', 'deferred', 'hold'].reduce((n, d) => n + countFiles(join(q, d)), 0);
    return r;
  } finally {
    spawnSync('postfix', ['-c', conf, 'stop'], { stdio: 'inherit' });
  }
}

async function benchOutpost(base) {
  const conf = join(base, 'conf');
  mkdirSync(conf, { recursive: true });
  writeFileSync(
    join(conf, 'main.cf'),
    [
      'compatibility_level = 3.7',
      `queue_directory = ${base}/queue`,
      `data_directory = ${base}/data`,
      `maillog_file = ${base}/maillog`,
      'myhostname = bench.example',
      'mydestination =',
      'mynetworks = 127.0.0.0/8',
      // As for Postfix: every message is put on hold, so only acceptance is measured.
      'smtpd_sender_restrictions = check_sender_access inline:{bench@example.com=HOLD}',
      'alias_maps =',
      OUTPOST_PARAM,
      '',
    ].join('\n'),
  );
  // Debian's stock master.cf as for Postfix (Outpost runs the services it implements: smtpd,
  // pickup, qmgr, local, ...), with the smtp service on a private loopback address.
  const master = readFileSync('/etc/postfix/master.cf', 'utf8').replace(
    /^smtp\s+inet.*$/m,
    '127.0.0.11:2525 inet n - n - - smtpd',
  );
  writeFileSync(join(conf, 'master.cf'), master);
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the Outpost side.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(repo, 'bin', 'outpost'), '-c', conf, 'start-fg'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForPort('127.0.0.11', 2525);
    const r = await drive('Outpost', child.pid, '127.0.0.11', 2525);
    r.queued = await countOutpostQueue(join(base, 'queue'));
    return r;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}

const results = [];
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  if (SETTLE > 0) await sleep(SETTLE * 1000);
  const base = mkdtempSync(join(tmpdir(), 'outpost-bench-'));
  // Postfix's daemons run as the postfix user and must be able to reach their directories.
  chmodSync(base, 0o755);
  const runs = [];
  try {
    const order = round % 2 === 0 ? ['outpost', 'postfix'] : ['postfix', 'outpost'];
    for (const side of order) {
      if (ONLY && ONLY !== side) continue;
      runs.push(
        side === 'outpost'
          ? await benchOutpost(join(base, 'outpost'))
          : await benchPostfix(join(base, 'postfix')),
      );
    }
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(base, { recursive: true, force: true });
  }
  runs.sort((a, b) => (a.name === 'Outpost' ? -1 : b.name === 'Outpost' ? 1 : 0));
  results.push(...runs.map((r) => ({ ...r, round: round + 1 })));
  rounds.push(runs);
}

const fmt = (n, d = 1) => n.toFixed(d);
const lines = [
  `### SMTP acceptance, ${new Date().toISOString().slice(0, 16)}Z, node ${process.version}`,
  '',
  `smtp-source -s ${SESSIONS} -m ${MESSAGES} -l ${SIZE}; durable queue; delivery off; ${SETTLE} s settle time before each round` +
    (OUTPOST_PARAM ? `; Outpost with \`${OUTPOST_PARAM}\`.` : '.'),
  '',
  '| round | server | seconds | messages/s | CPU ms/message | idle RSS MiB | peak RSS MiB | messages in queue |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.round} | ${r.name} | ${fmt(r.seconds, 2)} | ${fmt(r.rate)} | ${fmt(r.cpuMsPerMsg, 2)} | ${fmt(r.idleRss)} | ${fmt(r.peakRss)} | ${r.queued} |`,
  ),
];
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const pairs = rounds
  .map((runs) => [runs.find((r) => r.name === 'Outpost'), runs.find((r) => r.name !== 'Outpost')])
  .filter(([o, p]) => o && p);
if (pairs.length > 0) {
  const list = (f) => pairs.map(([o, p]) => fmt(f(o, p), 2) + 'x').join(', ');
  const med = (f) => fmt(median(pairs.map(([o, p]) => f(o, p))), 2);
  const rate = (o, p) => o.rate / p.rate;
  const cpu = (o, p) => o.cpuMsPerMsg / p.cpuMsPerMsg;
  const mem = (o, p) => o.peakRss / p.peakRss;
  lines.push(
    '',
    `Ratios (Outpost / Postfix), median of ${pairs.length} round(s): rate ${med(rate)}x (${list(rate)}), ` +
      `CPU per message ${med(cpu)}x (${list(cpu)}), peak memory ${med(mem)}x.`,
  );
}
lines.push('', '');
const text = lines.join('\n');
process.stdout.write(text);
appendFileSync(join(repo, 'bench', 'RESULTS.md'), text);
