// Splits message content into its header block and body, and parses header fields
// (RFC 5322 section 2.2: "Name: value", folded lines start with white space). Used by the
// sendmail -t and by local delivery (Delivered-To loop check).

export interface HeaderField {
  name: string;
  /** The whole field as it appeared, including folded lines, each ending in "\n". */
  raw: string;
}

/** Header fields of `text` up to the first empty or non-header line, and where the body starts. */
export function parseHeaderBlock(text: string): { fields: HeaderField[]; bodyStart: number } {
  const fields: HeaderField[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    const line = text.slice(pos, end);
    if (/^[ \t]/.test(line) && fields.length > 0) {
      fields[fields.length - 1]!.raw += line;
    } else {
      const m = /^([!-9;-~]+):/.exec(line);
      if (!m) break;
      fields.push({ name: m[1]!, raw: line.endsWith('\n') ? line : line + '\n' });
    }
    pos = end;
  }
  return { fields, bodyStart: pos };
}

/** The unfolded value of a field ("Name: value" -> "value"). */
export function headerValue(field: HeaderField): string {
  return field.raw
    .slice(field.name.length + 1)
    .replace(/\r?\n[ \t]/g, ' ')
    .trim();
}

export function hasHeader(fields: HeaderField[], name: string): boolean {
  const lower = name.toLowerCase();
  return fields.some((f) => f.name.toLowerCase() === lower);
}
