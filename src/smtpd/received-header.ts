// The Received: header smtpd puts at the top of each message (Postfix smtpd.c):
//   Received: from HELO (NAME [ADDR])
//   <TAB>by MYHOSTNAME (MAIL_NAME) with PROTOCOL id QUEUEID
//   <TAB>for <RCPT>; DATE          (only with exactly one recipient)
// PROTOCOL is SMTP/ESMTP, "UTF8" prefixed with SMTPUTF8, plus RFC 3848 "S" (TLS) and
// "A" (authenticated) for ESMTP.
import { quoteLocalPart } from './address.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ZONE_FORMAT = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
let zoneCache = { offset: NaN, name: '' };

/** The zone abbreviation ("UTC", "CET"); Intl is slow, so it is recomputed only when the offset changes. */
function zoneName(d: Date, offset: number): string {
  if (zoneCache.offset !== offset) {
    const name = ZONE_FORMAT.formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
    zoneCache = { offset, name };
  }
  return zoneCache.name;
}
const pad2 = (n: number): string => String(n).padStart(2, '0');

// Every message gets a Received: date; messages of the same second share the text.
let dateCache = { second: NaN, text: '' };

/** RFC 5322 date as Postfix's mail_date(): "Fri, 27 Nov 2026 11:33:09 +0000 (UTC)". */
export function mailDate(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (dateCache.second !== second) dateCache = { second, text: formatMailDate(d) };
  return dateCache.text;
}

function formatMailDate(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const zone = zoneName(d, off);
  const day = String(d.getDate()).padStart(2, ' ');
  return (
    `${DAYS[d.getDay()]}, ${day} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ` +
    `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)} (${zone === 'GMT' ? 'UTC' : zone})`
  );
}

export interface ReceivedInfo {
  heloName: string | undefined;
  clientName: string;
  clientAddress: string;
  myhostname: string;
  mailName: string;
  protocol: string;
  queueId: string | undefined;
  recipients: string[];
  tlsSummary?: string;
  authenticatedSender?: string;
  when: Date;
}

export function receivedHeader(r: ReceivedInfo): string {
  const rfcAddr = r.clientAddress.includes(':') ? `IPv6:${r.clientAddress}` : r.clientAddress;
  let h = `Received: from ${r.heloName ?? r.clientName} (${r.clientName} [${rfcAddr}])\n`;
  if (r.tlsSummary) h += `\t(${r.tlsSummary})\n`;
  if (r.authenticatedSender)
    h += `\t(Authenticated sender: ${r.authenticatedSender.replace(/[()\\]/g, '')})\n`;
  const id = r.queueId ? ` id ${r.queueId}` : '';
  if (r.recipients.length === 1) {
    h += `\tby ${r.myhostname} (${r.mailName}) with ${r.protocol}${id}\n`;
    h += `\tfor <${quoteLocalPart(r.recipients[0]!)}>; ${mailDate(r.when)}\n`;
  } else {
    h += `\tby ${r.myhostname} (${r.mailName}) with ${r.protocol}${id};\n`;
    h += `\t${mailDate(r.when)}\n`;
  }
  return h;
}
