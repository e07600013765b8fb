// The Outpost master: what Postfix's master(8) plus its resident daemons do, in one process.
// Start-up order matters for privilege separation:
//   1. read main.cf/master.cf (errors name file and line)
//   2. as root: resolve mail_owner/setgid_group; prepare the queue tree and its permissions
//   3. PID file; bind every SMTP endpoint and the trigger socket (ports < 1024 need root)
//   4. as root: drop to mail_owner for good
//   5. check the queue is writable as the running user; start qmgr, pickup, local delivery
// SIGHUP re-reads the configuration without closing open sessions; SIGTERM stops accepting,
// lets sessions finish for outpost_shutdown_timeout, finishes the delivery in progress, exits.
import type { Server } from 'node:net';
import { join } from 'node:path';
import { flushMailLogs, openMailLogFile, type MailLog } from '../log/maillog.js';
import { ConfigError, loadDaemonConfig, type DaemonConfig, type LoadOptions } from './config-adapter.js';
import { planServices, type SmtpServicePlan } from './services.js';
import { createSmtpService, type SmtpService } from './smtpd-adapter.js';
import { BindError, ServiceListener } from './listeners.js';
import { openQueue, type QueueAdapter } from './queue-adapter.js';
import { listenForFlush } from '../queue/flush-trigger.js';
import { deferredFlushHandler } from '../queue/flush-actions.js';
import { createPidFile, pidFilePath, removePidFile } from './pidfile.js';
import { dropPrivileges, resolveMailOwner, runningAsRoot, type MailOwner } from './privileges.js';
import { checkQueueWritable, prepareQueueDirectory } from './queue-layout.js';
import { listenForTriggers, triggerSocketPath } from './trigger.js';
import { mailLogFor } from './logging.js';
import { Pickup } from '../pickup/pickup.js';
import { QueueManager } from '../qmgr/qmgr.js';
import { LocalDeliveryAgent } from '../delivery/local/agent.js';
import { chown } from 'node:fs/promises';
import { RootHelperClient } from './root-helper.js';

/** A start-up failure with the text a person needs; the CLI prints it and exits 1. */
export class StartupError extends Error {}

interface RunningService {
  plan: SmtpServicePlan;
  listener: ServiceListener;
  service: SmtpService;
}

function endpointsKey(plan: SmtpServicePlan): string {
  return plan.endpoints.map((e) => `${e.host}:${e.port}`).join(',');
}

export class Master {
  private services = new Map<string, RunningService>();
  private triggerServer: Server | undefined;
  private flushService: { close(): Promise<void> } | undefined;
  private pickup: Pickup | undefined;
  private qmgr: QueueManager | undefined;
  private local: LocalDeliveryAgent | undefined;
  private stopping: Promise<void> | undefined;
  private queue!: QueueAdapter;
  private log!: MailLog;
  private owner: MailOwner | undefined;
  private rootHelper: RootHelperClient | undefined;

  private constructor(
    private config: DaemonConfig,
    private readonly loadOptions: LoadOptions,
  ) {}

  get pidFile(): string {
    return pidFilePath(this.config.get('queue_directory'));
  }

  static async start(dir: string, loadOptions: LoadOptions = {}): Promise<Master> {
    let config: DaemonConfig;
    try {
      config = await loadDaemonConfig(dir, loadOptions);
    } catch (err) {
      throw err instanceof ConfigError ? new StartupError(err.message) : err;
    }
    const master = new Master(config, loadOptions);
    await master.startUp();
    return master;
  }

  private async startUp(): Promise<void> {
    const config = this.config;
    this.log = mailLogFor(config);
    const queueDirectory = config.get('queue_directory');
    if (!queueDirectory.startsWith('/')) {
      throw new StartupError(
        `file ${join(config.dir, 'main.cf')}: parameter queue_directory: not an absolute path: ${queueDirectory}`,
      );
    }
    let plan;
    try {
      plan = planServices(config);
      if (runningAsRoot()) {
        this.owner = await resolveMailOwner(
          config.get('mail_owner'),
          config.get('setgid_group'),
          join(config.dir, 'main.cf'),
        );
      }
    } catch (err) {
      throw err instanceof ConfigError ? new StartupError(err.message) : err;
    }
    try {
      await prepareQueueDirectory(queueDirectory, this.owner);
    } catch (err) {
      throw new StartupError(
        `cannot create queue directory tree ${queueDirectory}: ${(err as Error).message}`,
      );
    }
    try {
      await createPidFile(this.pidFile);
    } catch (err) {
      throw new StartupError(`${(err as Error).message}`);
    }
    try {
      // Recovery (tmp/ emptied, active/ back to incoming/) before anything accepts or delivers.
      this.queue = await openQueue(config, this.log);
      for (const p of plan.smtp) await this.startService(p);
      const triggerPath = triggerSocketPath(queueDirectory);
      this.triggerServer = await listenForTriggers(triggerPath, (word) => this.onTrigger(word));
      // public/flush: postqueue -f/-i (deferred -> incoming, then qmgr runs) and the showq
      // listing for mailq/postqueue -p.
      const store = this.queue.store;
      this.flushService = await listenForFlush(
        queueDirectory,
        deferredFlushHandler(store, () => this.qmgr?.trigger()),
        { store },
      );
      await openMailLogFile(config.get('maillog_file'));
      for (const p of plan.smtp) await openMailLogFile(p.config.get('maillog_file'));
      if (this.owner) {
        await chown(triggerPath, this.owner.uid, this.owner.setgidGroup);
        await chown(join(queueDirectory, 'public', 'flush'), this.owner.uid, this.owner.setgidGroup);
        this.rootHelper = RootHelperClient.start({
          queueDirectory,
          homeMailbox: config.get('home_mailbox'),
          mailSpoolDirectory: config.get('mail_spool_directory'),
        });
        dropPrivileges(this.owner);
      }
      const userName = this.owner?.name ?? process.env.USER ?? String(process.getuid?.() ?? '');
      await checkQueueWritable(queueDirectory, userName);
      this.local = new LocalDeliveryAgent(config, this.queue.sink, this.rootHelper, (m) =>
        this.log.warn('local', m),
      );
      const qmgrEntry = plan.roles.get('qmgr') ?? plan.roles.get('oqmgr');
      if (qmgrEntry) {
        this.qmgr = new QueueManager(config, this.queue, this.local, this.log, qmgrEntry.wakeup);
        this.queue.onCommitted(() => this.qmgr?.trigger());
        await this.qmgr.start();
      }
      const pickupEntry = plan.roles.get('pickup');
      if (pickupEntry) {
        this.pickup = new Pickup(this.queue.store, this.queue.sink, this.log, pickupEntry.wakeup, {
          myhostname: config.get('myhostname'),
          mailName: config.get('mail_name'),
        });
        this.pickup.start();
      }
      // Only now, unprivileged and with the queue ready, do connections reach smtpd.
      for (const s of this.services.values()) this.openService(s);
    } catch (err) {
      await this.abandonStartup();
      throw err instanceof StartupError ? err : new StartupError((err as Error).message);
    }
    this.log.info(
      'master',
      `daemon started -- version ${config.get('mail_version')}, configuration ${config.dir}`,
    );
  }

  private async abandonStartup(): Promise<void> {
    for (const s of this.services.values()) {
      s.listener.close();
      await s.service.close(0).catch(() => undefined);
    }
    this.services.clear();
    this.triggerServer?.close();
    await this.flushService?.close();
    this.rootHelper?.stop();
    await this.queue?.close();
    await removePidFile(this.pidFile);
    await flushMailLogs();
  }

  /** Bind the service's endpoints (as root when started so); connections wait until openService. */
  private async startService(plan: SmtpServicePlan): Promise<RunningService> {
    // Settings first: bad smtpd settings fail before anything is bound.
    const service = await createSmtpService(plan.config, this.queue.sink, mailLogFor(plan.config)).catch(
      (err: Error) => {
        throw err instanceof ConfigError
          ? new ConfigError(`${err.message} (master.cf service "${plan.key}")`)
          : err;
      },
    );
    let listener: ServiceListener;
    try {
      listener = await ServiceListener.bind(plan.endpoints);
    } catch (err) {
      if (err instanceof BindError) {
        const fix =
          err.code === 'EADDRINUSE'
            ? 'another program (or another Outpost/Postfix) already listens there; stop it or change the port in master.cf'
            : err.code === 'EACCES'
              ? `ports below 1024 need root; start Outpost as root (it drops to mail_owner) or use a port above 1023`
              : err.code === 'EADDRNOTAVAIL'
                ? 'no network interface has that address; fix inet_interfaces or the master.cf host'
                : 'check the address and port';
        throw new BindError(
          err.endpoint,
          err.code,
          `${err.message} (master.cf service "${plan.key}"${plan.entry.where ? `, ${plan.entry.where}` : ''}); fix: ${fix}`,
        );
      }
      throw err;
    }
    const running = { plan, listener, service };
    this.services.set(plan.key, running);
    return running;
  }

  private openService(running: RunningService): void {
    running.listener.open((socket) => running.service.handleConnection(socket));
  }

  private onTrigger(word: 'pickup' | 'flush' | 'wakeup'): void {
    if (word === 'pickup') this.pickup?.trigger();
    else if (word === 'flush') void this.qmgr?.flush();
    else this.qmgr?.trigger();
  }

  /** postqueue -f: retry deferred mail now, and look into maildrop. */
  async flush(): Promise<void> {
    this.pickup?.trigger();
    await this.qmgr?.flush();
  }

  /** Wait until pickup and qmgr have nothing in progress (tests, demo). */
  async idle(): Promise<void> {
    await this.pickup?.idle();
    await this.qmgr?.idle();
  }

  /** SIGHUP: re-read main.cf, master.cf and tables; open sessions continue. */
  async reload(): Promise<void> {
    let config: DaemonConfig;
    let plan;
    try {
      config = await loadDaemonConfig(this.config.dir, this.loadOptions);
      plan = planServices(config);
    } catch (err) {
      this.log.log(
        'master',
        'error',
        `reload failed, keeping the running configuration: ${(err as Error).message}`,
      );
      return;
    }
    if (config.get('queue_directory') !== this.config.get('queue_directory')) {
      this.log.warn(
        'master',
        'queue_directory changed: this takes effect only after "outpost stop" and "outpost start"',
      );
    }
    this.config = config;
    this.log = mailLogFor(config);
    const wanted = new Map(plan.smtp.map((p) => [p.key, p]));
    for (const [key, running] of this.services) {
      const next = wanted.get(key);
      if (!next || endpointsKey(next) !== endpointsKey(running.plan)) {
        // Removed or moved: stop accepting there; its open sessions finish on their own.
        this.services.delete(key);
        running.listener.close();
        void running.service.close(config.time('outpost_shutdown_timeout') * 1000);
      } else {
        running.service.reload(next.config);
        running.plan = next;
      }
    }
    for (const [key, p] of wanted) {
      if (this.services.has(key)) continue;
      try {
        this.openService(await this.startService(p));
      } catch (err) {
        this.log.log('master', 'error', `reload: service ${key} not started: ${(err as Error).message}`);
      }
    }
    this.local?.reload(config);
    this.qmgr?.reload(config, (plan.roles.get('qmgr') ?? plan.roles.get('oqmgr'))?.wakeup ?? 0);
    this.pickup?.reconfigure(plan.roles.get('pickup')?.wakeup ?? 0);
    this.log.info('master', `reload -- version ${config.get('mail_version')}, configuration ${config.dir}`);
  }

  /** Graceful stop (SIGTERM). Safe to call more than once. */
  stop(signal?: number): Promise<void> {
    this.stopping ??= this.doStop(signal);
    return this.stopping;
  }

  private async doStop(signal?: number): Promise<void> {
    if (signal !== undefined) this.log.info('master', `terminating on signal ${signal}`);
    this.triggerServer?.close();
    await this.flushService?.close();
    const grace = this.config.time('outpost_shutdown_timeout') * 1000;
    for (const s of this.services.values()) s.listener.close();
    await Promise.all([...this.services.values()].map((s) => s.service.close(grace)));
    this.services.clear();
    await this.pickup?.stop();
    await this.qmgr?.stop();
    this.rootHelper?.stop();
    await this.queue.close();
    await removePidFile(this.pidFile);
    await flushMailLogs();
  }

  /** For tests: the endpoints actually bound (port 0 resolved is not used; ports are fixed). */
  get serviceKeys(): string[] {
    return [...this.services.keys()];
  }

  get sink(): QueueAdapter['sink'] {
    return this.queue.sink;
  }
}
