// One record of SMTP input, with Postfix's smtp_get() discipline:
// - a record ends at LF; at most `limit` (line_length_limit) bytes are taken, a longer line
//   yields a "continued" piece and the rest comes as further pieces;
// - with bare-newline detection on (smtpd_forbid_bare_newline != no), only CRLF is stripped
//   and an LF without CR is reported as a bare LF (the line is still a line);
// - with detection off, the LF and every CR before it are stripped (Postfix is liberal there).
// Bare CR elsewhere is left alone, as Postfix 3.7 does.

export interface ScannedLine {
  /** Content start and end (terminator excluded) in the scanned buffer. */
  start: number;
  end: number;
  /** Offset just after the consumed bytes. */
  next: number;
  /** False for a piece of an over-long line (no terminator yet). */
  complete: boolean;
  /** The line ended in LF without CR (only reported when detection is on). */
  bareLf: boolean;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Scan one record of buf starting at pos. Returns undefined when more input is needed. With
 * `eof` a trailing unterminated fragment is never returned (the caller handles lost input).
 */
export function scanLine(
  buf: Buffer,
  pos: number,
  limit: number,
  detectBareLf: boolean,
): ScannedLine | undefined {
  const avail = buf.length - pos;
  const searchEnd = avail > limit ? pos + limit : buf.length;
  const nl = buf.indexOf(LF, pos);
  if (nl >= 0 && nl < searchEnd) return terminated(buf, pos, nl, detectBareLf);
  if (avail <= limit) {
    return undefined;
  }
  // Over-long: `limit` bytes form a piece, unless they end in CR and an LF follows.
  const pieceEnd = pos + limit;
  if (buf[pieceEnd - 1] === CR) {
    if (pieceEnd >= buf.length) return undefined;
    if (buf[pieceEnd] === LF) return terminated(buf, pos, pieceEnd, detectBareLf);
  }
  return { start: pos, end: pieceEnd, next: pieceEnd, complete: false, bareLf: false };
}

function terminated(buf: Buffer, pos: number, nl: number, detectBareLf: boolean): ScannedLine {
  let end = nl;
  let bareLf = false;
  if (detectBareLf) {
    if (end > pos && buf[end - 1] === CR) end--;
    else bareLf = true;
  } else {
    while (end > pos && buf[end - 1] === CR) end--;
  }
  return { start: pos, end, next: nl + 1, complete: true, bareLf };
}
