// Addresses from To:/Cc:/Bcc: header values (RFC 5322 section 3.4 address-list): mailboxes
// with or without display names, angle addresses, groups ("team: a@x, b@y;"), comments and
// quoted strings. Returns the addr-spec of each mailbox.
export function extractAddresses(value: string): string[] {
  // Drop comments (nested parentheses allowed), keeping quoted strings intact.
  let text = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) text += c + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && depth > 0) depth--;
    else if (depth === 0) text += c;
  }
  const out: string[] = [];
  // Split at commas, semicolons and group colons outside quotes and angle brackets.
  let cur = '';
  let inQuote = false;
  let inAngle = false;
  const push = (): void => {
    const t = cur.trim();
    cur = '';
    if (!t) return;
    const angle = /<([^>]*)>/.exec(t);
    const addr = (angle ? angle[1]! : t).trim().replace(/^@[^:]+:/, ''); // drop source routes
    if (addr && !/\s/.test(addr.replace(/"[^"]*"/g, ''))) out.push(addr);
    else if (addr) out.push(addr.replace(/\s+/g, ''));
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && inQuote) {
      cur += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"' && !inAngle) inQuote = !inQuote;
    else if (!inQuote && c === '<') inAngle = true;
    else if (!inQuote && c === '>') inAngle = false;
    if (!inQuote && !inAngle && (c === ',' || c === ';')) {
      push();
      continue;
    }
    if (!inQuote && !inAngle && c === ':') {
      cur = ''; // group display name ends here
      continue;
    }
    cur += c;
  }
  push();
  return out;
}
