// postconf's line printer: words separated by blanks are joined with single
// spaces; with -f, lines longer than 80 columns continue on lines indented by
// four spaces.
export const LINE_LIMIT = 80;
export const INDENT = '    ';

export function formatLine(text: string, fold: boolean): string {
  let out = '';
  let lineLen = 0;
  for (const word of text.split(/[ \t\r\n]+/)) {
    if (word === '') continue;
    if (lineLen > 0) {
      if (!fold || lineLen + word.length < LINE_LIMIT) {
        out += ' ';
        lineLen += 1;
      } else {
        out += '\n' + INDENT;
        lineLen = INDENT.length;
      }
    }
    out += word;
    lineLen += word.length;
  }
  return out + '\n';
}
