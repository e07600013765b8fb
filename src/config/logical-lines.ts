// Logical-line reader shared by main.cf and master.cf (Postfix readllines()):
// comment lines (first non-blank is '#') and blank lines are dropped anywhere; a
// line that starts with whitespace continues the previous logical line, with the
// newline removed and the leading whitespace kept.

export interface LogicalLine {
  /** Joined text of the logical line. */
  text: string;
  /** 1-based number of the first physical line. */
  firstLine: number;
  /** 1-based number of the last physical line. */
  lastLine: number;
}

export interface LogicalLineResult {
  lines: LogicalLine[];
  /** Non-fatal problems in Postfix wording (without the "program: warning: " prefix). */
  warnings: string[];
  /** First line of the logical line each warning is about (parallel to warnings). */
  warningLines: number[];
}

const SPACE = /[ \t\n\v\f\r]/;

function isBlankOrComment(line: string): boolean {
  const m = /^[ \t\v\f\r]*/.exec(line);
  const rest = line.slice(m ? m[0].length : 0);
  return rest === '' || rest.startsWith('#');
}

export function readLogicalLines(text: string, path: string): LogicalLineResult {
  const physical = text.split('\n');
  // A final newline does not start another (empty) line.
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  const lines: LogicalLine[] = [];
  const warnings: string[] = [];
  const warningLines: number[] = [];
  let current: LogicalLine | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    if (SPACE.test(current.text[0] ?? '')) {
      const shown = current.text.slice(0, 30) + (current.text.length > 30 ? '...' : '');
      warnings.push(`${path}: logical line must not start with whitespace: "${shown}"`);
      warningLines.push(current.firstLine);
    } else {
      lines.push(current);
    }
    current = undefined;
  };
  physical.forEach((raw, index) => {
    const lineNo = index + 1;
    if (isBlankOrComment(raw)) return;
    if (current !== undefined && SPACE.test(raw[0] ?? '')) {
      current.text += raw;
      current.lastLine = lineNo;
      return;
    }
    finish();
    current = { text: raw, firstLine: lineNo, lastLine: lineNo };
  });
  finish();
  return { lines, warnings, warningLines };
}
