// Next-hop destinations as written in relayhost, transport and sender_dependent_relayhost_maps:
// "[host]:port", "[host]", "host:port", "host" (smtp-client spec, "Destination syntax").
import { resolveServicePort } from '../config/index.js';

export interface Nexthop {
  /** Exactly as written (the sasl_passwd key Postfix tries last). */
  text: string;
  /** The host without brackets and port (the sasl_passwd key Postfix tries first). */
  host: string;
  /** "[...]" suppresses the MX lookup. */
  bracketed: boolean;
  /** Port or service name as written; undefined = default (smtp, 25). */
  service?: string;
  /** Numeric port; undefined when `service` is not a known name. */
  port?: number;
}

/** Parses one destination; undefined for text that is not a destination at all. */
export function parseNexthop(text: string): Nexthop | undefined {
  let host: string;
  let rest: string;
  const bracketed = text.startsWith('[');
  if (bracketed) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return undefined;
    rest = rest.slice(1);
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? '' : text.slice(colon + 1);
  }
  if (host === '') return undefined;
  const hop: Nexthop = { text, host, bracketed };
  if (rest !== '') {
    hop.service = rest;
    const port = resolveServicePort(rest);
    if (port !== undefined) hop.port = port;
  } else {
    hop.port = 25;
  }
  return hop;
}

/** relayhost is a list since Postfix 3.5 ("a:587, b:587"). */
export function parseNexthopList(value: string): Nexthop[] {
  return value
    .split(/[\s,]+/)
    .filter((w) => w !== '')
    .map((w) => parseNexthop(w))
    .filter((h): h is Nexthop => h !== undefined);
}

/** The keys smtp_sasl_password_maps is searched with for this destination (smtp_sasl_glue.c). */
export function saslKeysFor(hop: Nexthop): string[] {
  // Unbracketed names are looked up in DNS (MX): the host key is the MX host's name, which a
  // static check cannot know; the destination as written is still tried.
  return hop.bracketed ? [hop.host, hop.text] : [hop.text];
}

/** Other spellings of the same destination, to recognise a key written in the wrong form. */
export function alternativeForms(hop: Nexthop): string[] {
  const services = ['25', 'smtp', '587', 'submission', '465', 'submissions', 'smtps', '2525'];
  const forms = new Set<string>([hop.host, `[${hop.host}]`]);
  for (const s of services) {
    forms.add(`[${hop.host}]:${s}`);
    forms.add(`${hop.host}:${s}`);
  }
  for (const k of saslKeysFor(hop)) forms.delete(k);
  return [...forms];
}
