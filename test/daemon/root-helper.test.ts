// Privilege separation when started as root: the master runs as mail_owner, the mailbox of a
// passwd user is written by a process with that user's uid/gid (via the root helper), and the
// queue tree carries Postfix's ownership and modes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeInstance, outpost, sendmail, waitFor, waitForLog, type TestInstance } from './helpers.js';
import { lookupUser, lookupGroup } from '../../src/master/privileges.js';
import { hasCommand, needPeer } from '../helpers/peers.js';

const instances: TestInstance[] = [];
after(async () => {
  for (const i of instances) await i.cleanup();
});

const asRoot = process.getuid?.() === 0;

test(
  'root start: master as mail_owner, mailbox written as the recipient, queue permissions',
  { skip: !asRoot && 'needs root' },
  async () => {
    const inst = await makeInstance({
      main: 'home_mailbox =\nmail_spool_directory = $config_directory/spool-mail/',
      noSmtp: true,
    });
    instances.push(inst);
    const spool = join(inst.dir, 'spool-mail');
    await mkdir(spool);
    await chmod(spool, 0o1777);
    const postfix = (await lookupUser('postfix'))!;
    const nobody = (await lookupUser('nobody'))!;
    const postdrop = (await lookupGroup('postdrop'))!;

    assert.equal(outpost(inst.dir, 'start').status, 0);
    const pid = Number((await readFile(join(inst.queue, 'pid', 'master.pid'), 'utf8')).trim());
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    assert.match(
      status,
      new RegExp(`\\nUid:\\s+${postfix.uid}\\s+${postfix.uid}\\s+${postfix.uid}\\s+${postfix.uid}\\n`),
    );

    const incoming = await stat(join(inst.queue, 'incoming'));
    assert.equal(incoming.uid, postfix.uid);
    assert.equal(incoming.mode & 0o7777, 0o700);
    const maildrop = await stat(join(inst.queue, 'maildrop'));
    assert.equal(maildrop.uid, postfix.uid);
    assert.equal(maildrop.gid, postdrop);
    assert.equal(maildrop.mode & 0o7777, 0o1730);
    const pub = await stat(join(inst.queue, 'public'));
    assert.equal(pub.mode & 0o7777, 0o711);
    assert.equal(pub.gid, postdrop);

    const r = await sendmail(['-C', inst.dir, 'nobody', 'root'], 'Subject: as nobody\n\nhello\n');
    assert.equal(r.status, 0, r.stderr);
    const newDir = join(spool, 'nobody', 'new');
    const files = await waitFor('delivery as nobody', async () => {
      const f = await readdir(newDir).catch(() => []);
      return f.length ? f : undefined;
    });
    const st = await stat(join(newDir, files[0]!));
    assert.equal(st.uid, nobody.uid);
    assert.equal(st.gid, nobody.gid);
    assert.match(
      await readFile(join(newDir, files[0]!), 'utf8'),
      /^Return-Path: <root@mx\.test\.example>\nX-Original-To: nobody\nDelivered-To: nobody@mx\.test\.example\n/,
    );
    const log = await waitForLog(inst, /to=<root@mx\.test\.example>.*status=deferred/);
    assert.match(
      log,
      /to=<nobody@mx\.test\.example>, orig_to=<nobody>, relay=local, .*status=sent \(delivered to maildir\)/,
    );
    assert.match(
      log,
      /to=<root@mx\.test\.example>, orig_to=<root>, relay=local, .*dsn=4\.2\.0, status=deferred \(mail for root must be aliased to a person\)/,
    );
    // The staged copy for the helper is gone.
    assert.deepEqual(await readdir(join(inst.queue, 'private')), []);
  },
);

test(
  'who may submit: postdrop members can, other users get 75; pickup logs the file owner uid',
  { skip: !asRoot && 'needs root' },
  async (t) => {
    if (!needPeer(t, 'setpriv (util-linux)', hasCommand('setpriv', ['--version']))) return;
    const { spawnSync } = await import('node:child_process');
    const { SENDMAIL } = await import('./helpers.js');
    const inst = await makeInstance({ noSmtp: true });
    instances.push(inst);
    assert.equal(outpost(inst.dir, 'start').status, 0);
    const nobody = (await lookupUser('nobody'))!;
    const as = (groups: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(
        'setpriv',
        ['--reuid=nobody', '--regid=nogroup', ...groups, process.execPath, SENDMAIL, '-C', inst.dir, 'alice'],
        {
          input: 'Subject: from nobody\n\nhi\n',
          encoding: 'utf8',
        },
      );
    const member = as(['--groups=postdrop']);
    assert.equal(member.status, 0, String(member.stderr));
    const outsider = as(['--clear-groups']);
    assert.equal(outsider.status, 75);
    assert.match(
      String(outsider.stderr),
      /sendmail: fatal: cannot create file in .*\/maildrop: EACCES.*only root and members of group postdrop may submit/,
    );
    await waitForLog(
      inst,
      new RegExp(`postfix/pickup\\[\\d+\\]: [0-9A-F]+: uid=${nobody.uid} from=<nobody>`),
    );
  },
);
