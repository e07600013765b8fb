// Is a recipient an "authorized destination" (Postfix permit_auth_destination)? This is the
// part of trivial-rewrite's resolve step that relay control needs: strip local domains off
// the right, undo user%host and host!user routing, and classify what remains. A recipient
// whose final local part still holds a routing operator (@ % !) is "routed" and, with
// allow_untrusted_routing = no, never authorized - that is what stops "user%remote@us",
// "remote!user@us" and "user@remote@us" from being relayed.
import { normalizeDomain, type SmtpdSettings } from './settings.js';
import { addressBytes } from './network-list.js';

export type DestinationClass = 'local' | 'virtual' | 'relay' | 'default';

export interface ResolvedDestination {
  /** The recipient after routing operators were applied, "user@domain". */
  address: string;
  domain: string;
  destinationClass: DestinationClass;
  /** Sender-specified routing remains in the local part. */
  routed: boolean;
}

export class DestinationResolver {
  private readonly mydestination: Set<string>;
  private readonly relayDomains: string[];
  private readonly virtualDomains: Set<string>;
  private readonly interfaceBytes: Uint8Array[];

  constructor(private readonly settings: SmtpdSettings) {
    this.mydestination = new Set(settings.mydestination.map(normalizeDomain));
    this.relayDomains = settings.relayDomains.map(normalizeDomain);
    this.virtualDomains = new Set(settings.virtualDomains.map(normalizeDomain));
    this.interfaceBytes = [...settings.inetInterfaces, ...settings.proxyInterfaces]
      .map((a) => addressBytes(a.replace(/^\[|\]$/g, '')))
      .filter((b): b is Uint8Array => b !== undefined);
  }

  /** mydestination, or an address literal of one of our interfaces (inet/proxy_interfaces). */
  isLocalDomain(domain: string): boolean {
    const d = normalizeDomain(domain);
    if (this.mydestination.has(d)) return true;
    if (d.startsWith('[') && d.endsWith(']')) {
      const bytes = addressBytes(d.slice(1, -1).replace(/^ipv6:/, ''));
      if (!bytes) return false;
      return this.interfaceBytes.some((b) => b.length === bytes.length && b.every((v, i) => v === bytes[i]));
    }
    return false;
  }

  /** relay_domains with parent_domain_matches_subdomains: "example.com" also matches "a.example.com". */
  isRelayDomain(domain: string): boolean {
    const d = normalizeDomain(domain);
    for (const r of this.relayDomains) {
      if (r.startsWith('.')) {
        if (d.endsWith(r)) return true;
      } else if (d === r || d.endsWith('.' + r)) {
        return true;
      }
    }
    return false;
  }

  resolve(recipient: string): ResolvedDestination {
    let local = recipient;
    let savedDomain: string | undefined;
    for (let round = 0; round < 20; round++) {
      const at = local.lastIndexOf('@');
      if (at >= 0) {
        const domain = local.slice(at + 1);
        if (!this.isLocalDomain(domain)) break;
        savedDomain = domain;
        local = local.slice(0, at);
      }
      if (local.includes('@')) continue;
      const bang = this.settings.swapBangpath ? local.indexOf('!') : -1;
      if (bang >= 0) {
        // site!user -> user@site (RFC 976 bang path, swap_bangpath = yes)
        local = `${local.slice(bang + 1)}@${local.slice(0, bang)}`;
        continue;
      }
      const percent = this.settings.allowPercentHack ? local.lastIndexOf('%') : -1;
      if (percent >= 0) {
        local = `${local.slice(0, percent)}@${local.slice(percent + 1)}`;
        continue;
      }
      if (local === '') local = 'MAILER-DAEMON';
      if (at < 0 && savedDomain === undefined) {
        local = `${local}@${this.settings.myhostname}`;
        continue;
      }
      break;
    }
    const address = local.includes('@') ? local : `${local}@${savedDomain ?? this.settings.myhostname}`;
    const at = address.lastIndexOf('@');
    const domain = address.slice(at + 1);
    // Routing operators left of the final domain, whatever swap_bangpath/percent_hack say.
    const firstOperator = address.search(/[@!%]/);
    const routed = firstOperator !== at;
    let destinationClass: DestinationClass;
    if (this.isLocalDomain(domain)) destinationClass = 'local';
    else if (this.virtualDomains.has(normalizeDomain(domain))) destinationClass = 'virtual';
    else if (this.isRelayDomain(domain)) destinationClass = 'relay';
    else destinationClass = 'default';
    return { address, domain, destinationClass, routed };
  }

  /** Postfix permit_auth_destination: final delivery here or a relay_domains destination. */
  isAuthorizedDestination(recipient: string): boolean {
    const r = this.resolve(recipient);
    if (!this.settings.allowUntrustedRouting && r.routed) return false;
    return r.destinationClass !== 'default';
  }
}
