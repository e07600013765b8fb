// local(8): delivers one recipient in $mydestination. Order as in Postfix: loop check
// (Delivered-To), alias_maps, then the user's mailbox (Maildir or mbox). Alias targets can be
// local names (expanded again), remote addresses (forwarded as a new message through
// cleanup), /file/name (mbox, or Maildir when it ends in "/") or |command.
// Results carry Postfix's status texts: "delivered to maildir", "delivered to mailbox",
// "delivered to file: ...", "delivered to command: ...", "forwarded as ID",
// `unknown user: "bob"`, "mail forwarding loop for ...".
import { spawn } from 'node:child_process';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { MailboxReply, MailboxRequest } from '../../master/root-helper.js';
import { Readable } from 'node:stream';
import type { MessageSink } from '../../queue/types.js';
import type { ActiveMessage, QueuedRecipient } from '../../master/queue-adapter.js';
import type { DaemonConfig } from '../../master/config-adapter.js';
import { parseHeaderBlock, headerValue } from '../../master/header-block.js';
import { asctime } from '../../cleanup/mail-date.js';
import { deliverToMaildir } from './maildir.js';
import { deliverToMbox } from './mbox.js';
import { deliveredHeaders, mboxFromLine } from './delivered-headers.js';
import { findLocalUser, mailboxFor, type MailboxSettings } from './users.js';
import { openAliasMaps, splitAliasTargets, type AliasMaps } from './aliases.js';
import { TableError } from '../../maps/types.js';

export interface DeliveryResult {
  /** The address actually delivered to (after alias expansion). */
  to: string;
  status: 'sent' | 'bounced' | 'deferred';
  dsn: string;
  text: string;
}

const MAX_ALIAS_DEPTH = 100;

export class LocalDeliveryAgent {
  private aliases: Promise<AliasMaps>;
  private settings: MailboxSettings;
  private destinations: Set<string>;

  /**
   * `rootHelper`: present when the master was started as root; mailboxes of passwd users are
   * then written by the root helper with the user's own uid/gid (see master/root-helper.ts).
   * `warn`: where table warnings and alias lookup failures go (the daemon's mail log).
   */
  constructor(
    private config: DaemonConfig,
    private readonly forwardSink: MessageSink,
    private readonly rootHelper?: { deliver(request: MailboxRequest): Promise<MailboxReply> },
    private readonly warn: (message: string) => void = (m) => process.stderr.write(`local: warning: ${m}\n`),
  ) {
    this.aliases = this.openAliases(config);
    this.settings = this.mailboxSettings(config);
    this.destinations = new Set(config.list('mydestination').map((d) => d.toLowerCase()));
  }

  /** Open errors surface at lookup time (deferring that mail), not as an unhandled rejection. */
  private openAliases(config: DaemonConfig): Promise<AliasMaps> {
    const p = openAliasMaps(config.get('alias_maps'), config.dir, this.warn);
    p.catch(() => undefined);
    return p;
  }

  private mailboxSettings(config: DaemonConfig): MailboxSettings {
    return {
      homeMailbox: config.get('home_mailbox'),
      mailSpoolDirectory: config.get('mail_spool_directory'),
      mailHomeDirectory: config.get('outpost_mail_home_directory'),
    };
  }

  /** SIGHUP: new settings, alias tables opened afresh. */
  reload(config: DaemonConfig): void {
    this.config = config;
    const old = this.aliases;
    this.aliases = this.openAliases(config);
    // Deliveries already under way finish with the old tables; close them a little later.
    setTimeout(() => void old.then((t) => t.close()).catch(() => undefined), 60_000).unref();
    this.settings = this.mailboxSettings(config);
    this.destinations = new Set(config.list('mydestination').map((d) => d.toLowerCase()));
  }

  /** True when `address` is for this machine (domain in mydestination, or no domain). */
  isLocal(address: string): boolean {
    const at = address.lastIndexOf('@');
    return at < 0 || this.destinations.has(address.slice(at + 1).toLowerCase());
  }

  async deliver(message: ActiveMessage, recipient: QueuedRecipient): Promise<DeliveryResult[]> {
    const deliveredTo = await readDeliveredTo(message);
    const results: DeliveryResult[] = [];
    await this.deliverAddress(
      message,
      recipient.address,
      recipient.original ?? recipient.address,
      deliveredTo,
      new Set(),
      0,
      results,
    );
    return results;
  }

  private async deliverAddress(
    message: ActiveMessage,
    address: string,
    original: string,
    deliveredTo: Set<string>,
    expanded: Set<string>,
    depth: number,
    results: DeliveryResult[],
  ): Promise<void> {
    const result = (status: DeliveryResult['status'], dsn: string, text: string): void => {
      results.push({ to: address, status, dsn, text });
    };
    if (deliveredTo.has(address.toLowerCase()))
      return result('bounced', '5.4.6', `mail forwarding loop for ${address}`);
    if (depth > MAX_ALIAS_DEPTH) return result('bounced', '5.4.6', `alias expansion loop for ${address}`);
    const at = address.lastIndexOf('@');
    let localpart = (at < 0 ? address : address.slice(0, at)).toLowerCase();
    // recipient_delimiter: "user+ext" is looked up as "user+ext", then "user" (Postfix order).
    const delimiters = this.config.get('recipient_delimiter');
    const candidates = [localpart];
    if (delimiters) {
      const idx = [...localpart].findIndex((c) => delimiters.includes(c));
      if (idx > 0) candidates.push(localpart.slice(0, idx));
    }
    if (!expanded.has(localpart)) {
      for (const key of candidates) {
        let value: string | undefined;
        try {
          value = await (await this.aliases).lookup(key);
        } catch (err) {
          // Postfix: a warning naming the table and the name, and the mail is deferred.
          const table = err instanceof TableError ? err.table : 'alias_maps';
          this.warn(`${table}: lookup of '${key}' failed: ${(err as Error).message}`);
          return result('deferred', '4.3.0', 'alias database unavailable');
        }
        if (value === undefined) continue;
        const next = new Set(expanded).add(key);
        for (const target of splitAliasTargets(value)) {
          await this.deliverTarget(message, target, original, deliveredTo, next, depth + 1, results, address);
        }
        return;
      }
    }
    if (candidates.length > 1) localpart = candidates[candidates.length - 1]!;
    const user = await findLocalUser(localpart, this.settings);
    if (!user) return result('bounced', '5.1.1', `unknown user: "${localpart}"`);
    const mailbox = mailboxFor(user, this.settings);
    const headers = deliveredHeaders({ sender: message.sender, recipient: address, original });
    if (user.passwd && this.rootHelper) {
      const reply = await this.viaRootHelper(message, user.name, headers);
      if (reply.ok) return result('sent', '2.0.0', reply.text);
      return reply.temporary
        ? result('deferred', '4.2.0', reply.text)
        : result('bounced', '5.1.1', reply.text);
    }
    try {
      if (mailbox.kind === 'maildir') {
        await deliverToMaildir(mailbox.path, hostname(), withPrefix(headers, message.openContent()));
        result('sent', '2.0.0', 'delivered to maildir');
      } else {
        await deliverToMbox(
          mailbox.path,
          mboxFromLine(message.sender, asctime(new Date())),
          headers,
          toChunks(message.openContent()),
        );
        result('sent', '2.0.0', 'delivered to mailbox');
      }
    } catch (err) {
      result(
        'deferred',
        '4.2.0',
        `cannot update mailbox ${mailbox.path} for user ${user.name}. ${(err as Error).message}`,
      );
    }
  }

  private async deliverTarget(
    message: ActiveMessage,
    target: string,
    original: string,
    deliveredTo: Set<string>,
    expanded: Set<string>,
    depth: number,
    results: DeliveryResult[],
    aliasAddress: string,
  ): Promise<void> {
    const headers = deliveredHeaders({ sender: message.sender, recipient: aliasAddress, original });
    const push = (status: DeliveryResult['status'], dsn: string, text: string): void => {
      results.push({ to: aliasAddress, status, dsn, text });
    };
    if (target.startsWith('/')) {
      try {
        if (target.endsWith('/')) {
          await deliverToMaildir(target, hostname(), withPrefix(headers, message.openContent()));
        } else {
          await deliverToMbox(
            target,
            mboxFromLine(message.sender, asctime(new Date())),
            headers,
            toChunks(message.openContent()),
          );
        }
        push('sent', '2.0.0', `delivered to file: ${target}`);
      } catch (err) {
        push('deferred', '4.2.0', `cannot append message to file ${target}: ${(err as Error).message}`);
      }
    } else if (target.startsWith('|')) {
      const command = target.slice(1).trim();
      const code = await runCommand(command, withPrefix(headers, message.openContent()), message);
      if (code === 0) push('sent', '2.0.0', `delivered to command: ${command}`);
      else if (code === 75) push('deferred', '4.3.0', `temporary failure. Command output: ${command}`);
      else push('bounced', '5.3.0', `Command died with status ${code}: "${command}"`);
    } else if (/^:include:/i.test(target)) {
      push('deferred', '4.3.0', `:include: alias targets are not supported yet: ${target}`);
    } else {
      const address = target.includes('@') ? target : `${target}@${this.config.get('myorigin')}`;
      if (this.isLocal(address)) {
        await this.deliverAddress(message, address, original, deliveredTo, expanded, depth, results);
      } else {
        try {
          const id = await this.forward(message, address, aliasAddress);
          push('sent', '2.0.0', `forwarded as ${id}`);
        } catch (err) {
          push('deferred', '4.3.0', `cannot forward to ${address}: ${(err as Error).message}`);
        }
      }
    }
  }

  /** Stage delivered headers + content under private/ and let the root helper write it as `user`. */
  private async viaRootHelper(message: ActiveMessage, user: string, headers: string): Promise<MailboxReply> {
    const staged = join(
      this.config.get('queue_directory'),
      'private',
      `${message.id}.${randomBytes(4).toString('hex')}`,
    );
    const fh = await open(staged, 'wx', 0o600);
    try {
      for await (const chunk of withPrefix(headers, message.openContent())) await fh.write(chunk);
      await fh.close();
      return await this.rootHelper!.deliver({
        user,
        stagedFile: staged,
        fromLine: mboxFromLine(message.sender, asctime(new Date())),
      });
    } finally {
      await fh.close().catch(() => undefined);
      await unlink(staged).catch(() => undefined);
    }
  }

  /** A remote alias target: a new message through cleanup, with Delivered-To for loop detection. */
  private async forward(message: ActiveMessage, to: string, via: string): Promise<string> {
    const writer = await this.forwardSink.open(
      { sender: message.sender, recipients: [{ address: to }] },
      { service: 'local', localRewriteContext: false },
    );
    try {
      await writer.write(Buffer.from(`Delivered-To: ${via}\n`, 'latin1'));
      for await (const chunk of message.openContent()) await writer.write(chunk as Buffer);
      return await writer.commit();
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }
}

async function* toChunks(stream: Readable): AsyncGenerator<Buffer> {
  for await (const chunk of stream) yield chunk as Buffer;
}

async function* withPrefix(prefix: string, stream: Readable): AsyncGenerator<Buffer> {
  yield Buffer.from(prefix, 'latin1');
  yield* toChunks(stream);
}

/** Delivered-To: values of the message (lower-case), read from its header block. */
async function readDeliveredTo(message: ActiveMessage): Promise<Set<string>> {
  let text = '';
  for await (const chunk of message.openContent()) {
    text += (chunk as Buffer).toString('latin1');
    if (/\n\r?\n/.test(text) || text.length > 1 << 20) break;
  }
  const { fields } = parseHeaderBlock(text);
  return new Set(
    fields.filter((f) => f.name.toLowerCase() === 'delivered-to').map((f) => headerValue(f).toLowerCase()),
  );
}

function runCommand(command: string, input: AsyncIterable<Buffer>, message: ActiveMessage): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: '/usr/bin:/bin', SENDER: message.sender, SHELL: '/bin/sh' },
    });
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code ?? 1));
    child.stdin.on('error', () => undefined);
    Readable.from(input).pipe(child.stdin);
  });
}
