// `sendmail -bp` / `mailq`. The queue helper's src/queue provides postqueue -p; until it is
// wired in, this lists the stand-in queue in Postfix's mailq format.
//
// WIRING POINT (lead): replace listQueue() with a call into src/queue's postqueue -p.
import { readdir, stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonConfig } from '../master/config-adapter.js';

function arrival(d: Date): string {
  const s = d.toString(); // "Fri Nov 27 2026 11:00:00 GMT+0000 (...)"
  const [dow, mon, day, , time] = s.split(' ');
  return `${dow} ${mon} ${day!.padStart(2, ' ')} ${time}`;
}

export async function listQueue(config: DaemonConfig): Promise<string> {
  const root = config.get('queue_directory');
  const lines: string[] = [];
  let total = 0;
  let count = 0;
  const marks: Record<string, string> = { active: '*', hold: '!', incoming: ' ', deferred: ' ' };
  for (const q of ['active', 'incoming', 'deferred', 'hold']) {
    let names: string[] = [];
    try {
      names = (await readdir(join(root, q))).filter((n) => !n.startsWith('.'));
    } catch {
      continue;
    }
    for (const id of names) {
      const path = join(root, q, id);
      try {
        const data = await readFile(path);
        const len = Number(data.subarray(data.length - 21, data.length - 1).toString('latin1'));
        const env = JSON.parse(data.subarray(len, data.length - 21).toString('utf8')) as {
          sender: string;
          recipients: { address: string }[];
          arrival: number;
        };
        const st = await stat(path);
        void st;
        total += len;
        count++;
        lines.push(
          `${(id + marks[q]).padEnd(11)} ${String(len).padStart(8)} ${arrival(new Date(env.arrival))}  ${env.sender || 'MAILER-DAEMON'}`,
        );
        if (q === 'deferred') lines.push('(deferred)');
        for (const r of env.recipients) lines.push(`${' '.repeat(41)}${r.address}`);
        lines.push('');
      } catch {
        continue;
      }
    }
  }
  if (count === 0) return 'Mail queue is empty\n';
  return (
    '-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n' +
    lines.join('\n') +
    `\n-- ${Math.ceil(total / 1024)} Kbytes in ${count} Request${count === 1 ? '' : 's'}.\n`
  );
}
