// sendmail -t: recipients from the message header. To:, Cc: and Bcc: - unless the message
// has Resent-To:/Resent-Cc:/Resent-Bcc: (it is being resent), then only those (RFC 5322
// section 3.6.6; Postfix cleanup's extract_recipients).
import { headerValue, type HeaderField } from '../master/header-block.js';
import { extractAddresses } from './address-list.js';

const NORMAL = new Set(['to', 'cc', 'bcc']);
const RESENT = new Set(['resent-to', 'resent-cc', 'resent-bcc']);

export function recipientsFromHeaders(fields: HeaderField[]): string[] {
  const resent = fields.some((f) => RESENT.has(f.name.toLowerCase()));
  const wanted = resent ? RESENT : NORMAL;
  return fields
    .filter((f) => wanted.has(f.name.toLowerCase()))
    .flatMap((f) => extractAddresses(headerValue(f)));
}
