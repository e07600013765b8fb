// Benchmark (not a test): how many messages per second the durable queue commits through
// cleanup, with C concurrent writers, 4 KiB messages, every commit fsync'd.
//   npm run build && node dist/bench/queue-commit.js [messages=3000] [concurrency=20] [dir]
// Compare: Postfix 3.7 on this class of machine ~300 messages/s end to end; the disk does
// ~600 write+fsync+rename cycles/s from one writer (docs/queue.md, "Group commit").
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueStore } from '../src/queue/queue-store.js';
import { CleanupSink } from '../src/cleanup/cleanup-sink.js';

const total = Number(process.argv[2] ?? 3000);
const concurrency = Number(process.argv[3] ?? 20);
const base = process.argv[4] ?? tmpdir();

const body = Buffer.from(
  'Subject: bench\nFrom: bench@example.com\nTo: sink@example.net\n\n' +
    'x'.repeat(76).concat('\n').repeat(52),
);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(base, 'outpost-bench-'));
  const store = await QueueStore.open({ queueDirectory: dir, enableLongQueueIds: false });
  const sink = new CleanupSink(store, { myhostname: 'bench.example', messageSizeLimit: 10240000 });
  let started = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  async function worker(): Promise<void> {
    while (started < total) {
      started++;
      const t = performance.now();
      const w = await sink.open(
        { sender: 'bench@example.com', recipients: [{ address: 'sink@example.net' }] },
        { service: 'smtpd', localRewriteContext: false, clientName: 'localhost', clientAddress: '127.0.0.1' },
      );
      await w.write(body);
      await w.commit();
      latencies.push(performance.now() - t);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const dirSyncs = store.syncer('incoming').syncCount;
  console.log(
    `${total} messages, concurrency ${concurrency}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}: ` +
      `${(total / secs).toFixed(0)} messages/s, ${(((cpu.user + cpu.system) / 1000 / total) as number).toFixed(2)} ms CPU/message, ` +
      `p50 ${latencies[Math.floor(total / 2)]!.toFixed(1)} ms, p99 ${latencies[Math.floor(total * 0.99)]!.toFixed(1)} ms, ` +
      `${dirSyncs} directory fsyncs (${(total / dirSyncs).toFixed(1)} commits each)`,
  );
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

/** Baseline without group commit: each message pays its own file and directory fsync. */
async function naive(): Promise<void> {
  const dir = await mkdtemp(join(base, 'outpost-bench-naive-'));
  await mkdir(join(dir, 'tmp'));
  await mkdir(join(dir, 'incoming'));
  let started = 0;
  const t0 = performance.now();
  async function worker(): Promise<void> {
    while (started < total) {
      const n = started++;
      const tmp = join(dir, 'tmp', String(n));
      const fh = await open(tmp, 'wx', 0o600);
      await fh.write(body);
      await fh.datasync();
      await fh.close();
      await rename(tmp, join(dir, 'incoming', String(n)));
      const d = await open(join(dir, 'incoming'), 'r');
      await d.sync();
      await d.close();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - t0) / 1000;
  console.log(`baseline (one directory fsync per message): ${(total / secs).toFixed(0)} messages/s`);
  await rm(dir, { recursive: true, force: true });
}

await main();
if (process.env.BENCH_BASELINE !== '0') await naive();
