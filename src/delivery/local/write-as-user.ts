// Forked by the root helper as root; becomes the mailbox owner (supplementary groups, gid,
// uid - irreversibly) before it opens anything, then copies the staged message from stdin
// into the user's Maildir or mbox. Exit 0 = delivered.
import { deliverToMaildir } from './maildir.js';
import { deliverToMbox } from './mbox.js';

interface Job {
  kind: 'maildir' | 'mbox';
  path: string;
  hostname: string;
  fromLine: string;
  uid: number;
  gid: number;
}

async function* stdinChunks(): AsyncGenerator<Buffer> {
  for await (const chunk of process.stdin) yield chunk as Buffer;
}

const job = JSON.parse(process.argv[2]!) as Job;
if (!Number.isInteger(job.uid) || job.uid <= 0 || !Number.isInteger(job.gid)) {
  process.stderr.write('refusing to write a mailbox as root\n');
  process.exit(75);
}
process.setgroups?.([job.gid]);
process.setgid?.(job.gid);
process.setuid?.(job.uid);
if (process.getuid?.() !== job.uid || process.geteuid?.() !== job.uid) {
  process.stderr.write('cannot switch to the mailbox owner\n');
  process.exit(75);
}
try {
  if (job.kind === 'maildir') await deliverToMaildir(job.path, job.hostname, stdinChunks());
  else await deliverToMbox(job.path, job.fromLine, '', stdinChunks());
  process.exit(0);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(75);
}
