// A private real Postfix 3.7 instance used as the oracle for queue formats: its own config
// and queue directory under a temp dir, no inet listeners (mail enters through sendmail ->
// postdrop -> pickup), smtp deliveries deferred by defer_transports so messages stay queued.
import { execFile, spawn } from 'node:child_process';
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const POSTFIX = '/usr/sbin/postfix';
export const hasRealPostfix = (): boolean =>
  existsSync(POSTFIX) &&
  existsSync('/usr/sbin/sendmail') &&
  existsSync('/usr/share/postfix/master.cf.dist') &&
  process.getuid?.() === 0;

export interface RealPostfix {
  conf: string;
  queue: string;
  maillog: string;
  postconf(...settings: string[]): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  sendmail(args: string[], message: string): Promise<void>;
  /** Run a Postfix tool (postqueue, postsuper, postcat) against this instance. */
  tool(
    cmd: string,
    args: string[],
    stdin?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

export function createRealPostfix(root: string, extraMainCf = ''): RealPostfix {
  const conf = join(root, 'conf');
  const queue = join(root, 'queue');
  const data = join(root, 'data');
  const maillog = join(root, 'maillog');
  mkdirSync(conf, { recursive: true });
  mkdirSync(data, { recursive: true });
  mkdirSync(queue, { recursive: true }); // postfix start creates the subdirectories
  chownSync(data, postfixUid(), postfixGid());
  // Stock master.cf without the inet smtp service: nothing listens on the network.
  copyFileSync('/usr/share/postfix/master.cf.dist', join(conf, 'master.cf'));
  const master = readFileSync(join(conf, 'master.cf'), 'utf8').replace(/^smtp\s+inet.*$/m, '');
  writeFileSync(join(conf, 'master.cf'), master);
  writeFileSync(
    join(conf, 'main.cf'),
    [
      'compatibility_level = 3.7',
      `queue_directory = ${queue}`,
      `data_directory = ${data}`,
      `maillog_file = ${maillog}`,
      `maillog_file_prefixes = ${root}`,
      'myhostname = oracle.example',
      'mydestination =',
      'inet_interfaces = loopback-only',
      'inet_protocols = ipv4',
      'defer_transports = smtp',
      'relayhost = [127.0.0.1]:9',
      extraMainCf,
      '',
    ].join('\n'),
  );
  const settle = (): void =>
    utimesSync(join(conf, 'main.cf'), new Date('2020-01-01'), new Date('2020-01-01'));
  settle();
  const tool = (
    cmd: string,
    args: string[],
    stdin?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.stdin.on('error', () => undefined); // a tool that exits before reading stdin
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(stdin ?? '');
    });
  return {
    conf,
    queue,
    maillog,
    async postconf(...settings: string[]) {
      await run('/usr/sbin/postconf', ['-c', conf, '-e', ...settings]);
      settle();
    },
    async start() {
      await run(POSTFIX, ['-c', conf, 'start']);
    },
    async stop() {
      await run(POSTFIX, ['-c', conf, 'stop']).catch(() => undefined);
    },
    async sendmail(args: string[], message: string) {
      const r = await tool('/usr/sbin/sendmail', ['-C', conf, ...args], message);
      if (r.code !== 0) throw new Error(`sendmail failed: ${r.stderr}`);
    },
    tool,
  };
}

function postfixUid(): number {
  return Number(/^postfix:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1] ?? 0);
}
function postfixGid(): number {
  return Number(/^postfix:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[2] ?? 0);
}

export interface PostfixJsonEntry {
  queue_name: string;
  queue_id: string;
  arrival_time: number;
  message_size: number;
  forced_expire: boolean;
  sender: string;
  recipients: { address: string; delay_reason?: string }[];
}

export function parseJsonLines(text: string): PostfixJsonEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PostfixJsonEntry);
}
