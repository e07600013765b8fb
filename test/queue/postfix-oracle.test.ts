// Differential test against a real Postfix 3.7 instance: the same queue content (same queue
// IDs, envelopes, sizes, arrival times, delay reasons, hold and expiry states) must give
// byte-identical `postqueue -p` and `postqueue -j` output, and the same postsuper reports,
// exit codes and resulting queue states. Also checks that Postfix's short and long queue IDs
// parse to the inode of their file, as Outpost's IDs are built.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needPeer } from '../helpers/peers.js';
import {
  createRealPostfix,
  hasRealPostfix,
  parseJsonLines,
  type PostfixJsonEntry,
  type RealPostfix,
} from './real-postfix.js';
import { text } from 'node:stream/consumers';
import { QueueStore } from '../../src/queue/queue-store.js';
import { CleanupSink } from '../../src/cleanup/cleanup-sink.js';
import { parseQueueId } from '../../src/queue/queue-id.js';
import type { QueueName } from '../../src/queue/layout.js';
import { encodePreamble, END_MARKER, type QueueEnvelope } from '../../src/queue/queue-file.js';
import { SegmentIndex } from '../../src/queue/segment-index.js';
import { SegmentWriter } from '../../src/queue/segment-writer.js';
import { isSegmentQueue } from '../../src/queue/segment-records.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = (name: string): string => join(root, 'bin', name);

let dir = '';
const pfs: RealPostfix[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-oracle-'));
  await chmod(dir, 0o755); // Postfix daemons run as user postfix and must reach their files
});
after(async () => {
  for (const pf of pfs) await pf.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Postfix shows addresses in external form; the queue holds the internal (unquoted) form. */
function internal(address: string): string {
  if (address === 'MAILER-DAEMON') return '';
  const m = /^"((?:[^"\\]|\\.)*)"(@.*)?$/.exec(address);
  return m ? m[1]!.replace(/\\(.)/g, '$1') + (m[2] ?? '') : address;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function findQueueFile(queueDir: string, id: string): Promise<string> {
  for (const q of ['incoming', 'active', 'deferred', 'hold', 'maildrop']) {
    for (const sub of await readdir(join(queueDir, q)).catch(() => [] as string[])) {
      const p = join(queueDir, q, sub);
      if (sub === id) return p;
      if ((await stat(p)).isDirectory() && (await readdir(p)).includes(id)) return join(p, id);
    }
  }
  throw new Error(`queue file ${id} not found`);
}

/** "queue id" for every message file (Postfix hashes into one-letter subdirectories). */
async function queueState(queueDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const q of ['maildrop', 'incoming', 'active', 'deferred', 'hold']) {
    for (const name of await readdir(join(queueDir, q)).catch(() => [] as string[])) {
      const p = join(queueDir, q, name);
      if ((await stat(p)).isDirectory()) for (const sub of await readdir(p)) out.push(`${q} ${sub}`);
      else out.push(`${q} ${name}`);
    }
  }
  return out.sort();
}

function blocks(mailq: string): { head: string; body: string[]; tail: string } {
  const lines = mailq.split('\n');
  const head = lines.shift()!;
  const text = lines.join('\n');
  const cut = text.lastIndexOf('\n\n-- ');
  return { head, body: text.slice(0, cut).split('\n\n').sort(), tail: text.slice(cut) };
}

/** Switch enable_long_queue_ids in both main.cf files (Postfix's and Outpost's). */
async function setLongIds(ourConf: string, on: boolean, real: RealPostfix): Promise<void> {
  const value = on ? 'yes' : 'no';
  await real.postconf(`enable_long_queue_ids = ${value}`);
  const cf = await readFile(join(ourConf, 'main.cf'), 'utf8');
  await writeFile(
    join(ourConf, 'main.cf'),
    cf.replace(/enable_long_queue_ids = \w+/, `enable_long_queue_ids = ${value}`),
  );
}

/**
 * Outpost's queue with the same message as Postfix's: in queue files, or (layout "segments")
 * in a queue segment for the queues segments hold (hold, incoming, active), as the daemon
 * with outpost_queue_segments = yes leaves it.
 */
async function addMessage(
  store: QueueStore,
  segments: SegmentWriter | undefined,
  queue: QueueName,
  id: string,
  envelope: QueueEnvelope,
  content: Buffer,
): Promise<void> {
  if (segments && isSegmentQueue(queue)) {
    await segments.append(id, queue, [
      encodePreamble(envelope, content.length),
      content,
      Buffer.from(END_MARKER),
    ]);
    return;
  }
  const w = await store.create(envelope);
  w.write(content);
  const ourId = await w.commit();
  await rename(store.path('incoming', ourId), store.path(queue, id));
}

/** "queue id" for every message, as the queue tools see it (files and segments). */
async function ourQueueState(queueDirectory: string): Promise<string[]> {
  const store = await QueueStore.open({ queueDirectory, enableLongQueueIds: false }, { create: false });
  const out: string[] = [];
  for (const q of ['maildrop', 'incoming', 'active', 'deferred', 'hold'] as QueueName[])
    for (const id of await store.list(q)) out.push(`${q} ${id}`);
  await store.close();
  return out.sort();
}

for (const layout of ['files', 'segments'] as const)
  test(
    `postqueue and postsuper match real Postfix on an equivalent queue (${layout})`,
    { timeout: 90000 },
    async (t) => {
      if (!needPeer(t, 'real Postfix (postfix, sendmail; tests run as root)', hasRealPostfix())) return;
      const base = join(dir, layout);
      await mkdir(base);
      await chmod(base, 0o755);
      const real = createRealPostfix(
        join(base, 'pf'),
        `header_checks = regexp:${join(base, 'pf', 'conf', 'header_checks')}`,
      );
      pfs.push(real);
      await writeFile(join(real.conf, 'header_checks'), '/^Subject: hold me/ HOLD\n');
      await real.start();

      // Four messages with short IDs: two recipients, the null sender with no header at all,
      // a quoted local part put on hold before any delivery (no delay reason), a bigger one.
      await real.sendmail(
        ['-f', 'alice@example.com', 'bob@remote.example', 'carol@remote.example'],
        'Subject: one\n\nbody\n',
      );
      await real.sendmail(['-f', '<>', 'dave@remote.example'], 'no header here\n');
      await real.sendmail(
        ['-f', '"john doe"@example.com', 'erin@remote.example'],
        'Subject: hold me\n\nheld\n',
      );
      await real.sendmail(
        ['-f', 'frank@example.com', 'gina@remote.example'],
        `Subject: four\n\n${'x'.repeat(76)}\n`.repeat(40),
      );
      const settled = (want: number) => async (): Promise<PostfixJsonEntry[] | undefined> => {
        const e = parseJsonLines((await real.tool('/usr/sbin/postqueue', ['-c', real.conf, '-j'])).stdout);
        const done = e.filter(
          (m) =>
            m.queue_name === 'hold' ||
            (m.queue_name === 'deferred' && m.recipients.every((r) => r.delay_reason)),
        );
        return done.length === want ? e : undefined;
      };
      await real.sendmail(
        ['-F', 'Kate Q. Sender', '-f', 'kate@example.com', 'lena@remote.example'],
        'Return-Path: <x@y>\nBCC: secret@example.com,\n  other@example.com\nContent-Length: 5\nSubject: drop\n  folded\nTo: lena@remote.example\n\nBcc: body line\n',
      );
      await waitFor('5 queued messages', settled(5));
      // One more with a long queue ID.
      await real.postconf('enable_long_queue_ids = yes');
      await real.tool('/usr/sbin/postfix', ['-c', real.conf, 'reload']);
      await new Promise((r) => setTimeout(r, 500));
      await real.sendmail(['-f', 'harry@example.com', 'ivan@remote.example'], 'Subject: five\n\nlong id\n');
      const entries = await waitFor('6 queued messages', settled(6));
      await real.stop();
      // With the daemon stopped, postsuper writes maillog_file itself and refuses one it does not own.
      await real.postconf('maillog_file =');

      // Postfix's own IDs decode to their file's inode, in both forms.
      for (const e of entries) {
        const parsed = parseQueueId(e.queue_id);
        assert.ok(parsed, `Postfix ID ${e.queue_id} parses`);
        const st = await stat(await findQueueFile(real.queue, e.queue_id), { bigint: true });
        assert.equal(parsed.inode, st.ino, `inode of ${e.queue_id}`);
      }
      assert.equal(entries.filter((e) => parseQueueId(e.queue_id)!.long).length, 1);

      const byRcpt = (addr: string): PostfixJsonEntry =>
        entries.find((e) => e.recipients.some((r) => r.address === addr))!;

      // cleanup: what Postfix stored for two local submissions equals what CleanupSink stores for
      // the same input, apart from pickup's Received: header, the queue ID and the time stamps.
      const cleanupCases = [
        { rcpt: 'dave@remote.example', sender: '', fullName: 'root', input: 'no header here\n' },
        {
          rcpt: 'lena@remote.example',
          sender: 'kate@example.com',
          fullName: 'Kate Q. Sender',
          input:
            'Return-Path: <x@y>\nBCC: secret@example.com,\n  other@example.com\nContent-Length: 5\nSubject: drop\n  folded\nTo: lena@remote.example\n\nBcc: body line\n',
        },
      ];
      const cleanupStore = await QueueStore.open({
        queueDirectory: join(base, 'cleanup-q'),
        enableLongQueueIds: false,
        segmentCommit: layout === 'segments',
      });
      const sink = new CleanupSink(cleanupStore, {
        myhostname: 'oracle.example',
        messageSizeLimit: 10240000,
      });
      for (const c of cleanupCases) {
        const theirId = byRcpt(c.rcpt).queue_id;
        const cat = await real.tool('/usr/sbin/postcat', ['-c', real.conf, '-h', '-b', '-q', theirId]);
        assert.equal(cat.code, 0, cat.stderr);
        const w = await sink.open(
          { sender: c.sender, recipients: [{ address: c.rcpt }] },
          { service: 'pickup', localRewriteContext: true, uid: 0, senderFullName: c.fullName },
        );
        await w.write(Buffer.from(c.input));
        const ourId = await w.commit();
        const ourText = await text(await cleanupStore.openContent('incoming', ourId));
        const normalise = (s: string, id: string): string =>
          s
            .replace(/^Received: .*\n(?:[ \t].*\n)*/, '')
            .replaceAll(id, 'QUEUEID')
            .replace(/<\d{14}\.QUEUEID@/, '<STAMP.QUEUEID@')
            .replace(/^Date: .*$/m, 'Date: DATE');
        assert.equal(
          normalise(ourText, ourId),
          normalise(cat.stdout, theirId),
          `cleanup output for ${c.rcpt}`,
        );
      }
      await cleanupStore.close();
      // Force expiry of one message while the system is down (the "#" marker).
      const expire = await real.tool('/usr/sbin/postsuper', [
        '-c',
        real.conf,
        '-e',
        byRcpt('gina@remote.example').queue_id,
      ]);
      assert.equal(expire.code, 0, expire.stderr);
      const before = parseJsonLines((await real.tool('/usr/sbin/postqueue', ['-c', real.conf, '-j'])).stdout);

      // Build the same queue in Outpost: same IDs, envelopes, sizes, times, reasons, states.
      const ourConf = join(base, 'ours');
      const ourQueue = join(base, 'ours-queue');
      await mkdir(ourConf);
      await writeFile(
        join(ourConf, 'main.cf'),
        `queue_directory = ${ourQueue}\nenable_long_queue_ids = no\n`,
      );
      const store = await QueueStore.open({ queueDirectory: ourQueue, enableLongQueueIds: false });
      const index = new SegmentIndex(join(ourQueue, 'segment'));
      const segments =
        layout === 'segments' ? new SegmentWriter(join(ourQueue, 'segment'), index) : undefined;
      for (const e of before) {
        const head = 'Subject: x\n\n';
        const q = e.queue_name as QueueName;
        await addMessage(
          store,
          segments,
          q,
          e.queue_id,
          {
            sender: internal(e.sender),
            recipients: e.recipients.map((r) => ({ address: internal(r.address) })),
            arrivalTime: e.arrival_time * 1000,
            context: { service: 'pickup', localRewriteContext: true },
          },
          Buffer.from(head + 'y'.repeat(e.message_size - head.length - 1) + '\n'),
        );
        const statuses = e.recipients
          .map((r, i) => ({
            rcpt: i,
            status: 'deferred' as const,
            reason: r.delay_reason ?? '',
            time: 1000 + i,
          }))
          .filter((s) => s.reason);
        if (statuses.length) await store.recordStatus(q, e.queue_id, statuses);
        if (e.forced_expire) await store.markExpired(q, e.queue_id);
      }
      await segments?.seal();
      if (segments)
        assert.ok((await ourQueueState(ourQueue)).includes(`hold ${byRcpt('erin@remote.example').queue_id}`));
      assert.ok(
        layout === 'files' || (await readdir(join(ourQueue, 'hold'))).length === 0,
        'held message in a segment',
      );
      await store.close();

      const ours = (tool: string, args: string[], stdin?: string) => real.tool(bin(tool), args, stdin);
      for (const longIds of [false, true]) {
        await setLongIds(ourConf, longIds, real);
        const theirP = await real.tool('/usr/sbin/postqueue', ['-c', real.conf, '-p']);
        const ourP = await ours('postqueue', ['-c', ourConf, '-p']);
        assert.equal(ourP.code, 0, ourP.stderr);
        const a = blocks(ourP.stdout);
        const b = blocks(theirP.stdout);
        assert.equal(a.head, b.head, `heading, long IDs ${longIds}`);
        assert.deepEqual(a.body, b.body, `message blocks, long IDs ${longIds}`);
        assert.equal(a.tail, b.tail, 'trailer');
        assert.match(theirP.stdout, /!/);
        assert.match(theirP.stdout, /#/);
        assert.match(theirP.stdout, /"john doe"@example\.com/);
        const ourMailq = await ours('mailq', ['-C', ourConf]);
        assert.equal(ourMailq.stdout, ourP.stdout);
      }
      const theirJ = (await real.tool('/usr/sbin/postqueue', ['-c', real.conf, '-j'])).stdout
        .split('\n')
        .sort();
      const ourJ = (await ours('postqueue', ['-c', ourConf, '-j'])).stdout.split('\n').sort();
      assert.deepEqual(ourJ, theirJ);

      // The same postsuper commands on both queues: same report, exit status and resulting queue.
      const id = (rcpt: string): string => byRcpt(rcpt).queue_id;
      const steps: { args: string[]; stdin?: string; noConf?: boolean }[] = [
        { args: ['-h', id('bob@remote.example')] },
        { args: ['-h', id('bob@remote.example')] },
        { args: ['-H', id('bob@remote.example')] },
        { args: ['-e', id('dave@remote.example')] },
        { args: ['-f', id('erin@remote.example')] },
        { args: ['-r', id('gina@remote.example')] },
        { args: ['-d', id('bob@remote.example')] },
        { args: ['-d', 'NOSUCHID'] },
        { args: ['-d', '-'], stdin: `${id('dave@remote.example')}\n` },
        { args: ['-d', id('ivan@remote.example'), 'badqueue'] },
        { args: ['-y'] },
        { args: ['-h', 'ALL'] },
        { args: ['-H', 'ALL'] },
        { args: ['-d', 'ALL', 'deferred'] },
        { args: ['-c', 'relative/dir', '-d', 'ALL'], noConf: true },
        { args: [] },
      ];
      for (const step of steps) {
        const [theirs, mine] = await Promise.all([
          real.tool(
            '/usr/sbin/postsuper',
            step.noConf ? step.args : ['-c', real.conf, ...step.args],
            step.stdin,
          ),
          ours('postsuper', step.noConf ? step.args : ['-c', ourConf, ...step.args], step.stdin),
        ]);
        assert.equal(mine.stderr, theirs.stderr, `postsuper ${step.args.join(' ')}: report`);
        assert.equal(mine.code, theirs.code, `postsuper ${step.args.join(' ')}: exit status`);
        assert.deepEqual(
          await ourQueueState(ourQueue),
          await queueState(real.queue),
          `queue after postsuper ${step.args.join(' ')}`,
        );
      }
      const expired = async (conf: string, tool: string): Promise<string[]> =>
        parseJsonLines((await real.tool(tool, ['-c', conf, '-j'])).stdout)
          .map((e) => `${e.queue_name} ${e.queue_id} ${e.forced_expire}`)
          .sort();
      assert.deepEqual(
        await expired(ourConf, bin('postqueue')),
        await expired(real.conf, '/usr/sbin/postqueue'),
      );

      // Flush with the daemon down: same message and status (69).
      const theirF = await real.tool('/usr/sbin/postqueue', ['-c', real.conf, '-f']);
      const ourF = await ours('postqueue', ['-c', ourConf, '-f']);
      assert.equal(ourF.stderr, theirF.stderr);
      assert.equal(ourF.code, theirF.code);
      const theirUsage = await real.tool('/usr/sbin/postqueue', ['-c', real.conf]);
      const ourUsage = await ours('postqueue', ['-c', ourConf]);
      assert.equal(ourUsage.stderr, theirUsage.stderr);
      assert.equal(ourUsage.code, theirUsage.code);
    },
  );
