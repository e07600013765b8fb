// Wake-up requests to a running master, like Postfix's public/pickup and public/qmgr
// triggers: a UNIX-domain stream socket $queue_directory/public/trigger that takes one word
// per connection - "pickup" (scan maildrop), "flush" (retry deferred mail now), "wakeup".
// Anyone who can reach public/ (owner and setgid_group) can ask; a request only makes the
// daemon look earlier, so it grants nothing.
import { createConnection, createServer, type Server } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export type TriggerWord = 'pickup' | 'flush' | 'wakeup';

export function triggerSocketPath(queueDirectory: string): string {
  return join(queueDirectory, 'public', 'trigger');
}

export async function listenForTriggers(
  path: string,
  onTrigger: (word: TriggerWord) => void,
): Promise<Server> {
  await unlink(path).catch(() => undefined);
  const server = createServer((socket) => {
    socket.setEncoding('latin1');
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 64) socket.destroy();
      if (!text.includes('\n')) return;
      const word = text.trim();
      if (word === 'pickup' || word === 'flush' || word === 'wakeup') {
        onTrigger(word);
        socket.end('ok\n');
      } else socket.end('error unknown request\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o666); // access is controlled by the public/ directory mode
  return server;
}

/** Ask a running master; resolves false when no master answers (not running). */
export function sendTrigger(path: string, word: TriggerWord, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(`${word}\n`));
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer.startsWith('ok'));
    });
  });
}
