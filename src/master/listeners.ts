// The master's listening sockets. They are bound while the master may still be root (ports
// below 1024), but connections are only handed to a service once the master is ready -
// privileges dropped, queue checked, qmgr running - so no session ever runs as root or writes
// a root-owned queue file. Connections that arrive earlier wait, paused, in the kernel's and
// our backlog. A service gets sockets through handleConnection(), as Postfix's master passes
// accepted connections to its smtpd processes.
import { createServer, type Server, type Socket } from 'node:net';
import { describeEndpoint, type ListenEndpoint } from './services.js';

export class BindError extends Error {
  constructor(
    readonly endpoint: ListenEndpoint,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BindError';
  }
}

export class ServiceListener {
  private handler: ((socket: Socket) => void) | undefined;
  private readonly waiting: Socket[] = [];

  private constructor(private readonly servers: Server[]) {}

  /** Bind every endpoint (all or nothing); rejects with a BindError naming the failing one. */
  static async bind(endpoints: ListenEndpoint[]): Promise<ServiceListener> {
    const listener = new ServiceListener([]);
    // Node binds "::" dual-stack unless ipv6Only; Postfix binds each family separately.
    for (const ep of endpoints) {
      const server = createServer({ pauseOnConnect: true }, (socket) => listener.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(
            { host: ep.host, port: ep.port, ipv6Only: ep.ipv6Only ?? false, exclusive: true },
            () => {
              server.removeListener('error', reject);
              resolve();
            },
          );
        });
      } catch (err) {
        listener.close();
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        const reason = code === 'EADDRINUSE' ? 'Address already in use' : (err as Error).message;
        throw new BindError(ep, code, `bind ${describeEndpoint(ep)}: ${reason}`);
      }
      server.on('error', () => undefined); // accept errors (EMFILE) must not crash the master
      listener.servers.push(server);
    }
    return listener;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.handler) this.handler(socket);
    else this.waiting.push(socket);
  }

  /** Start handing connections (including the ones that waited) to `handler`. */
  open(handler: (socket: Socket) => void): void {
    this.handler = handler;
    for (const s of this.waiting.splice(0)) if (!s.destroyed) handler(s);
  }

  /** Stop accepting at once; open connections are the service's business. */
  close(): void {
    for (const server of this.servers) server.close();
    for (const s of this.waiting.splice(0)) s.destroy();
  }
}
