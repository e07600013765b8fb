// npm run demo on a copy of the bundled demo configuration (own ports): a message sent with
// swaks lands in the user's Maildir and the demo explains how to do it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, needPeer } from '../helpers/peers.js';
import { freePort, root, waitFor } from './helpers.js';

let dir = '';
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('demo: start, swaks to alice, Maildir delivery, Ctrl-C stops', async (t) => {
  if (!needPeer(t, 'swaks', hasCommand('swaks', ['--version']))) return;
  dir = await mkdtemp(join(tmpdir(), 'outpost-demo-'));
  await chmod(dir, 0o755);
  const cfg = join(dir, 'demo');
  await cp(join(root, 'demo'), cfg, {
    recursive: true,
    filter: (src) => !src.includes('/var') && !src.includes('Maildir'),
  });
  const [p1, p2] = [await freePort(), await freePort()];
  const master = (await readFile(join(cfg, 'master.cf'), 'utf8'))
    .replace('2525', String(p1))
    .replace('2587', String(p2));
  await writeFile(join(cfg, 'master.cf'), master);
  const child = spawn(process.execPath, [join(root, 'scripts', 'demo.mjs'), '--config', cfg], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  try {
    await waitFor(
      'demo ready',
      async () => (out.includes('Press Ctrl-C to stop.') ? true : undefined),
      30_000,
    );
    assert.match(out, /postfix\/master\[\d+\]: daemon started -- version [\w.-]+/);
    assert.match(
      out,
      new RegExp(
        `swaks --server 127\\.0\\.0\\.1:${p1} --from you@example\\.org --to alice@outpost\\.demo\\.example`,
      ),
    );
    assert.match(out, /Delivered mail lands in .*mail\/<user>\/Maildir\/new\//);
    const swaks = spawn(
      'swaks',
      [
        '--server',
        `127.0.0.1:${p1}`,
        '--from',
        'you@example.org',
        '--to',
        'alice@outpost.demo.example',
        '--body',
        'demo body',
      ],
      {
        stdio: 'ignore',
      },
    );
    assert.equal(await new Promise((r) => swaks.on('close', r)), 0);
    const newDir = join(cfg, 'mail', 'alice', 'Maildir', 'new');
    const files = await waitFor('maildir file', async () => {
      const f = await readdir(newDir).catch(() => []);
      return f.length ? f : undefined;
    });
    assert.match(
      await readFile(join(newDir, files[0]!), 'utf8'),
      /^Return-Path: <you@example\.org>\nX-Original-To: alice@outpost\.demo\.example\nDelivered-To: alice@outpost\.demo\.example\n[\s\S]*demo body/,
    );
    await waitFor('delivery log line', async () =>
      /status=sent \(delivered to maildir\)/.test(out) ? true : undefined,
    );
    // A name that is neither in demo/local-users nor an alias is refused at RCPT TO.
    const ghost = spawn(
      'swaks',
      ['--server', `127.0.0.1:${p1}`, '--from', 'you@example.org', '--to', 'ghost@outpost.demo.example'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let ghostOut = '';
    ghost.stdout.setEncoding('utf8').on('data', (d: string) => (ghostOut += d));
    assert.notEqual(await new Promise((r) => ghost.on('close', r)), 0);
    assert.match(
      ghostOut,
      /<\*\* 550 5\.1\.1 <ghost@outpost\.demo\.example>: Recipient address rejected: User unknown in local recipient table/,
    );
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
  }
  assert.match(out, /terminating on signal 15/);
});
