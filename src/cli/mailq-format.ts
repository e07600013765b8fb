// Output formats of postqueue -p (Sendmail mailq style) and postqueue -j (JSON lines),
// byte for byte as Postfix 3.7's postqueue prints them (showq_compat / showq_json), so
// scripts that parse mailq keep working.
import type { QueueListingEntry } from '../queue/queue-listing.js';

const EMPTY_ADDRESS = 'MAILER-DAEMON'; // empty_address_recipient as showq uses it
const DOT_ATOM =
  /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\uffff]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\x80-\uffff]+)*$/;

/** Postfix quote_822_local: quote a local part that is not a dot-atom. */
export function quoteLocalPart(address: string): string {
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  if (local === '' || DOT_ATOM.test(local)) return address;
  return `"${local.replace(/(["\\])/g, '\\$1')}"${at < 0 ? '' : address.slice(at)}`;
}

/** Postfix printable(): control characters become "?". */
function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, '?');
}

function showAddress(address: string): string {
  return printable(quoteLocalPart(address === '' ? EMPTY_ADDRESS : address));
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C asctime() in local time: "Fri Nov  7 09:05:01 2026" (no newline). */
export function asctime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${WEEKDAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

const padRight = (s: string, w: number): string => (s.length >= w ? s : s + ' '.repeat(w - s.length));
const padLeft = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

/** Formats one message block (without the blank line between blocks). */
export function formatMailqEntry(e: QueueListingEntry, longIds: boolean): string {
  let id = e.queueId;
  if (e.queueName === 'active') id += '*';
  else if (e.queueName === 'hold') id += '!';
  if (e.forcedExpire) id += '#';
  // asctime() plus its newline, cut to 20 (short) or 19 (long) characters, as "%20.20s".
  const when = (asctime(e.arrivalTime) + '\n').slice(0, longIds ? 19 : 20);
  const [idW, sizeW] = longIds ? [17, 8] : [11, 7];
  let out = `${padRight(id, idW)} ${padLeft(String(e.messageSize), sizeW)} ${longIds ? when : padRight(when, 20)} ${showAddress(e.sender)}\n`;
  const blank = `${' '.repeat(idW)} ${' '.repeat(sizeW)} ${' '.repeat(longIds ? 19 : 20)} `;
  let saved = '';
  for (const r of e.recipients) {
    if (r.reason !== saved) {
      saved = r.reason;
      const show = saved || 'reason unavailable';
      out += `${' '.repeat(Math.max(0, 76 - show.length))}(${show})\n`;
    }
    out += `${blank}${showAddress(r.address)}\n`;
  }
  return out;
}

export function mailqHeading(longIds: boolean): string {
  return longIds
    ? `${padRight('----Queue ID-----', 17)} ${padRight('--Size--', 8)} ${padRight('---Arrival Time----', 19)} --Sender/Recipient------\n`
    : `${padRight('-Queue ID-', 11)} ${padRight('--Size--', 7)} ${padRight('----Arrival Time----', 20)} -Sender/Recipient-------\n`;
}

export function mailqTrailer(totalSize: number, count: number): string {
  if (count === 0) return 'Mail queue is empty\n';
  return `\n-- ${Math.floor(totalSize / 1024)} Kbytes in ${count} Request${count === 1 ? '' : 's'}.\n`;
}

/** Postfix json_quote: short escapes, other controls as \uXXXX (upper-case hex), DEL too. */
export function jsonQuote(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) {
      if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    } else if (ch === '\\' || ch === '"') out += '\\' + ch;
    else out += ch;
  }
  return out;
}

export function formatJsonEntry(e: QueueListingEntry): string {
  const sender = jsonQuote(quoteLocalPart(e.sender === '' ? EMPTY_ADDRESS : e.sender));
  const rcpts = e.recipients
    .map(
      (r) =>
        `{"address": "${jsonQuote(quoteLocalPart(r.address))}"` +
        (r.reason ? `, "delay_reason": "${jsonQuote(r.reason)}"` : '') +
        '}',
    )
    .join(', ');
  return (
    `{"queue_name": "${jsonQuote(e.queueName)}", "queue_id": "${jsonQuote(e.queueId)}", ` +
    `"arrival_time": ${e.arrivalTime}, "message_size": ${e.messageSize}, ` +
    `"forced_expire": ${e.forcedExpire ? 'true' : 'false'}, "sender": "${sender}", "recipients": [${rcpts}]}\n`
  );
}
