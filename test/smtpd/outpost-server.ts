// Starts Outpost's SMTP server for a test, from main.cf-style parameters (through
// settingsFromParams, the same path the Config engine will use), with a FileSink and a
// maillog file in a temp directory.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSmtpServer, settingsFromParams, type SmtpServer } from '../../src/smtpd/index.js';
import type { RuntimeOptions } from '../../src/smtpd/runtime.js';
import { flushMailLogs, MailLog } from '../../src/log/maillog.js';
import { FileSink } from './file-sink.js';
import type { Endpoint } from './smtp-dialogue.js';

export interface OutpostUnderTest {
  dir: string;
  server: SmtpServer;
  sink: FileSink;
  endpoint: Endpoint;
  maillog(): Promise<string>;
  stop(): Promise<void>;
}

export async function startOutpost(
  params: Record<string, string>,
  options: RuntimeOptions = {},
): Promise<OutpostUnderTest> {
  const all: Record<string, string> = {
    smtpd_peername_lookup: 'no',
    inet_interfaces: 'loopback-only',
    // As the Postfix oracle (postfix-oracle.ts): no recipient validation unless a test sets it.
    local_recipient_maps: '',
    ...params,
  };
  const settings = settingsFromParams((name) => all[name]);
  const dir = await mkdtemp(join(tmpdir(), 'outpost-smtpd-'));
  const sink = new FileSink(dir);
  const logFile = join(dir, 'maillog');
  const server = createSmtpServer(settings, sink, new MailLog({ file: logFile, host: 'test' }), options);
  const host = `127.62.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  try {
    await server.listen({ host, port: 0 });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const endpoint = { host, port: server.addresses()[0]!.port };
  return {
    dir,
    server,
    sink,
    endpoint,
    // The mail log is written asynchronously; flush it so the test sees every line so far.
    maillog: async () => {
      await flushMailLogs();
      return readFile(logFile, 'utf8').catch(() => '');
    },
    async stop() {
      await server.close(false);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
