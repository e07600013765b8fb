// Runs as the mailbox owner (forked by the root helper with the user's uid/gid): copies the
// staged message from stdin into the user's Maildir or mbox. Exit 0 = delivered.
import { deliverToMaildir } from './maildir.js';
import { deliverToMbox } from './mbox.js';

interface Job {
  kind: 'maildir' | 'mbox';
  path: string;
  hostname: string;
  fromLine: string;
}

async function* stdinChunks(): AsyncGenerator<Buffer> {
  for await (const chunk of process.stdin) yield chunk as Buffer;
}

const job = JSON.parse(process.argv[2]!) as Job;
try {
  if (job.kind === 'maildir') await deliverToMaildir(job.path, job.hostname, stdinChunks());
  else await deliverToMbox(job.path, job.fromLine, '', stdinChunks());
  process.exit(0);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(75);
}
