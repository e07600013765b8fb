// Which services master.cf asks for: the SMTP listeners (inet entries running smtpd) with
// their endpoints, and which internal roles (pickup, qmgr, local, ...) exist. Endpoints
// without a host get one per inet_interfaces address, filtered by inet_protocols, as Postfix
// master(8) does.
import { isIP } from 'node:net';
import { ConfigError, serviceDaemonConfig, type DaemonConfig, type MasterService } from './config-adapter.js';

export interface ListenEndpoint {
  host: string;
  port: number;
  /** Set for "::" so the IPv4 wildcard can be bound separately, like Postfix. */
  ipv6Only?: boolean;
}

export interface SmtpServicePlan {
  /** "smtp/inet", "127.0.0.1:2525/inet": the master.cf key, for logs and errors. */
  key: string;
  entry: MasterService;
  endpoints: ListenEndpoint[];
  /** The configuration this service sees (main.cf + its -o overrides). */
  config: DaemonConfig;
}

export interface ServicePlan {
  smtp: SmtpServicePlan[];
  /** Internal roles present in master.cf, by command name: "pickup", "qmgr", "local", ... */
  roles: Map<string, MasterService>;
}

function protocolsEnabled(config: DaemonConfig): { v4: boolean; v6: boolean } {
  const words = config.list('inet_protocols').map((w) => w.toLowerCase());
  if (words.includes('all')) return { v4: true, v6: true };
  for (const w of words) {
    if (w !== 'ipv4' && w !== 'ipv6') throw new ConfigError(`bad inet_protocols value: ${w}`);
  }
  return { v4: words.includes('ipv4'), v6: words.includes('ipv6') };
}

/** Addresses to bind for an endpoint without a host, per inet_interfaces / inet_protocols. */
export function interfaceAddresses(config: DaemonConfig): ListenEndpoint[] {
  const { v4, v6 } = protocolsEnabled(config);
  const words = config.list('inet_interfaces').map((w) => w.replace(/^\[|\]$/g, ''));
  const out: { host: string; ipv6Only?: boolean }[] = [];
  for (const w of words) {
    const lower = w.toLowerCase();
    if (lower === 'all') {
      if (v4) out.push({ host: '0.0.0.0' });
      if (v6) out.push({ host: '::', ipv6Only: true });
    } else if (lower === 'loopback-only') {
      if (v4) out.push({ host: '127.0.0.1' });
      if (v6) out.push({ host: '::1' });
    } else {
      const family = isIP(w);
      if ((family === 4 && v4) || (family === 6 && v6) || family === 0) out.push({ host: w });
    }
  }
  return out.map((e) => ({ ...e, port: 0 }));
}

export function planServices(config: DaemonConfig): ServicePlan {
  const smtp: SmtpServicePlan[] = [];
  const roles = new Map<string, MasterService>();
  for (const entry of config.services) {
    const key = `${entry.service}/${entry.type}`;
    if (entry.type === 'inet') {
      if (entry.command !== 'smtpd') continue; // other inet daemons (e.g. postscreen) are out of scope
      const ep = entry.endpoint!;
      const endpoints = ep.host
        ? [{ host: ep.host, port: ep.port }]
        : interfaceAddresses(config).map((a) => ({ ...a, port: ep.port }));
      smtp.push({ key, entry, endpoints, config: serviceDaemonConfig(config, entry) });
    } else {
      if (!roles.has(entry.command)) roles.set(entry.command, entry);
    }
  }
  return { smtp, roles };
}

/** "127.0.0.1 port 2525" / "[::1] port 25", as in Postfix's bind error messages. */
export function describeEndpoint(ep: { host: string; port: number }): string {
  return `${isIP(ep.host) === 6 ? `[${ep.host}]` : ep.host} port ${ep.port}`;
}
