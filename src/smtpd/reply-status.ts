// Reply texts and enhanced status codes of the restrictions: the "what is rejected" names
// Postfix uses in its replies, and its DSN helpers (dsn_valid, dsn_split, smtpd_dsn_fix).

export const CLIENT = 'Client host';
export const HELO = 'Helo command';
export const SENDER = 'Sender address';
export const RECIPIENT = 'Recipient address';
export const DATA = 'Data command';

const SENDER_DSN: Record<string, string> = {
  '1': '4.1.7',
  '2': '4.1.8',
  '3': '4.1.7',
  '4': '4.1.7',
  '5': '4.1.0',
  '6': '4.1.7',
  '7': '4.1.7',
  '8': '4.1.8',
};
const RECIPIENT_DSN: Record<string, string> = {
  '1': '4.1.1',
  '2': '4.1.2',
  '3': '4.1.3',
  '4': '4.1.4',
  '5': '4.1.5',
  '6': '4.1.6',
  '7': '4.1.3',
  '8': '4.1.2',
};

/** dsn_valid(): "D.DDD.DDD" followed by the end or white space. */
export function validDsn(text: string): boolean {
  return /^[245]\.\d{1,3}\.\d{1,3}(?:\s|$)/.test(text);
}

/** dsn_split(): an optional leading enhanced status code, else the default. */
export function splitDsn(def: string, text: string): { dsn: string; text: string } {
  const t = text.replace(/^\s+/, '');
  const m = /^([245]\.\d{1,3}\.\d{1,3})(?=\s|$)/.exec(t);
  if (m) return { dsn: m[1]!, text: t.slice(m[1]!.length).replace(/^\s+/, '') };
  return { dsn: def, text: t };
}

/**
 * smtpd_dsn_fix(): an address status (X.1.Y) must fit what is rejected: a recipient status
 * becomes the matching sender status when a sender is refused and vice versa; anything that is
 * not an address gets 4.0.0. The caller sets the class digit from the reply code.
 */
export function fixAddressDsn(dsn: string, replyClass: string): string {
  if (!/^\d\.1\./.test(dsn)) return dsn;
  const micro = dsn.slice(4);
  if (replyClass === SENDER) return SENDER_DSN[micro] ?? '4.1.0';
  if (replyClass === RECIPIENT) return RECIPIENT_DSN[micro] ?? '4.1.0';
  return '4.0.0';
}
