#!/usr/bin/env node
// npm run demo: runs Outpost in the foreground on the bundled demo configuration (demo/),
// logging to the terminal, and explains how to send a test message and where it lands.
// Usage: node scripts/demo.mjs [--config DIR]   (default: ./demo)
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, chownSync, statSync } from 'node:fs';
import { resolve, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const configDir = resolve(args[0] === '--config' && args[1] ? args[1] : join(repo, 'demo'));
const cli = join(repo, 'dist', 'src', 'cli', 'outpost.js');
if (!existsSync(cli)) {
  console.error('demo: dist/ is missing; run "npm run build" first');
  process.exit(1);
}
const { loadDaemonConfig } = await import(join(repo, 'dist', 'src', 'master', 'config-adapter.js'));
const { planServices } = await import(join(repo, 'dist', 'src', 'master', 'services.js'));
const config = await loadDaemonConfig(configDir);
const mailHomes = config.get('outpost_mail_home_directory');

// Started as root, the daemon drops to mail_owner: let that user write the demo mailboxes.
if (process.getuid?.() === 0 && mailHomes && existsSync(mailHomes)) {
  const [uid, gid] = execFileSync('getent', ['passwd', config.get('mail_owner')], { encoding: 'utf8' })
    .split(':')
    .slice(2, 4)
    .map(Number);
  const chownTree = (p) => {
    chownSync(p, uid, gid);
    if (statSync(p).isDirectory()) for (const n of readdirSync(p)) chownTree(join(p, n));
  };
  chownTree(mailHomes);
}

// demo/aliases is compiled into demo/aliases.db, as after editing /etc/aliases on a Postfix
// machine (local delivery reads the compiled table).
execFileSync(join(repo, 'bin', 'newaliases'), ['-C', configDir], { stdio: 'inherit' });

const child = spawn(process.execPath, [cli, '-c', configDir, 'start-fg'], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
child.on('message', (m) => {
  if (m.type !== 'ready') return;
  const plan = planServices(config);
  const endpoints = plan.smtp.flatMap((s) => s.endpoints.map((e) => `${e.host}:${e.port}`));
  const [first] = endpoints;
  const users = mailHomes ? readdirSync(mailHomes).filter((n) => !n.startsWith('.')) : [];
  const rel = (p) => relative(process.cwd(), p) || '.';
  const host = config.get('myhostname');
  const lines = [
    '',
    `Outpost demo is running (configuration ${rel(configDir)}), SMTP on ${endpoints.join(', ')}.`,
    'Send a test message, for example:',
    `  swaks --server ${first} --from you@example.org --to alice@${host}`,
    `  printf 'Subject: hello\\n\\nHi Bob!\\n' | bin/sendmail -C ${rel(configDir)} bob`,
    `Local users: ${users.join(', ') || '(none)'}; aliases in ${rel(join(configDir, 'aliases'))} (run bin/newaliases -C ${rel(configDir)} after editing it).`,
    `Delivered mail lands in ${rel(mailHomes || '.')}/<user>/${config.get('home_mailbox') || ''}new/`,
    `Mail for other domains stays deferred ("mail transport unavailable"): bin/sendmail -C ${rel(configDir)} -bp`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
});
