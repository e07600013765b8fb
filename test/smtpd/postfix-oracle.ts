// A private, throw-away real Postfix 3.7 instance used as the test oracle: own config
// directory, queue and data directories, maillog_file, and one smtpd listener per service
// (each with its own -o overrides) on a 127.x address no other test uses.
import { mkdtemp, writeFile, readFile, rm, chmod, chown, mkdir, utimes } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import type { Endpoint } from './smtp-dialogue.js';

const run = promisify(execFile);

export interface OracleService {
  name: string;
  overrides?: Record<string, string>;
}

export interface PostfixOracle {
  dir: string;
  endpoints: Record<string, Endpoint>;
  maillog(): Promise<string>;
  /** Message content (headers + body) of a queued message, via postcat. */
  content(queueId: string): Promise<string>;
  stop(): Promise<void>;
}

function canConnect(ep: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ep.host, port: ep.port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startPostfixOracle(
  mainCf: Record<string, string>,
  services: OracleService[],
): Promise<PostfixOracle> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-smtpd-oracle-'));
  await chmod(dir, 0o755);
  const conf = join(dir, 'conf');
  await mkdir(conf);
  await mkdir(join(dir, 'queue'));
  await mkdir(join(dir, 'data'));
  const { stdout: pw } = await run('id', ['-u', 'postfix']);
  const { stdout: pg } = await run('id', ['-g', 'postfix']);
  await chown(join(dir, 'data'), Number(pw), Number(pg));
  const params: Record<string, string> = {
    compatibility_level: '3.7',
    queue_directory: join(dir, 'queue'),
    data_directory: join(dir, 'data'),
    maillog_file: join(dir, 'maillog'),
    maillog_file_prefixes: tmpdir(),
    inet_interfaces: 'loopback-only',
    inet_protocols: 'ipv4',
    alias_maps: '',
    alias_database: '',
    local_recipient_maps: '',
    defer_transports: 'smtp, local, relay, error',
    smtpd_peername_lookup: 'no',
    ...mainCf,
  };
  await writeFile(
    join(conf, 'main.cf'),
    Object.entries(params)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(''),
  );
  const old = new Date('2020-01-01T00:00:00Z');
  await utimes(join(conf, 'main.cf'), old, old);
  // A random 127.61.x.y address and port, so parallel tests and other oracles never collide.
  const host = `127.61.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  const basePort = 20000 + Math.floor(Math.random() * 30000);
  const endpoints: Record<string, Endpoint> = {};
  let master = (await readFile('/etc/postfix/master.cf.proto', 'utf8'))
    .split('\n')
    .filter((l) => !/^smtp\s+inet/.test(l))
    .map((l) => l.replace(/^(\S+\s+\S+\s+[-n]\s+[-n]\s+)y(\s)/, '$1n$2'))
    .join('\n');
  services.forEach((svc, i) => {
    const port = basePort + i;
    endpoints[svc.name] = { host, port };
    const opts = Object.entries(svc.overrides ?? {})
      .map(([k, v]) => ` -o { ${k} = ${v} }`)
      .join('');
    master += `\n${host}:${port} inet n - n - - smtpd${opts}\n`;
  });
  await writeFile(join(conf, 'master.cf'), master);
  await run('postfix', ['-c', conf, 'start']);
  const oracle: PostfixOracle = {
    dir,
    endpoints,
    maillog: () => readFile(join(dir, 'maillog'), 'utf8').catch(() => ''),
    async content(queueId: string): Promise<string> {
      const { stdout } = await run('postcat', ['-c', conf, '-bh', '-q', queueId]);
      return stdout;
    },
    async stop(): Promise<void> {
      await run('postfix', ['-c', conf, 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < 100; i++) {
    if (await canConnect(Object.values(endpoints)[0]!)) return oracle;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = await oracle.maillog();
  await oracle.stop();
  throw new Error(`real Postfix did not start listening; maillog:\n${log}`);
}
