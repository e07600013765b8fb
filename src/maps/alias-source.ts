// The aliases(5) source format as postalias reads it (Postfix 3.7, checked against the real
// postalias by test/cli/postalias-differential.test.ts):
//  - logical lines as in every table source (comments, blank lines, continuation lines that
//    start with white space: forEachLogicalLine);
//  - the line is split into RFC 822 tokens; the name is everything before the first ":"
//    operator, the value everything after it. A line without a name, without a value, or with
//    a "," in the name is skipped with "need name:value pair"; an "@" or "%" in the name with
//    "name must be local";
//  - the name is written without quotes ("a b": x has the name `a b`), the value in canonical
//    form: `b,c , d` becomes `b, c, d`, quoted strings keep their quotes, comments stay.
// Case folding, NUL conventions and duplicates are the table builder's business, as for postmap.
import { checkUtf8, forEachLogicalLine } from './source.js';
import { externalize, internalize, scanTokens } from './rfc822-tokens.js';

export interface AliasSourceOptions {
  /** The name used in warnings (the path as given, or "stdin"). */
  displayName: string;
  /** smtputf8_enable: skip lines that are not UTF-8. */
  utf8: boolean;
  warn: (message: string) => void;
}

/** One alias: name and value as bytes (binary strings turned back into the source bytes). */
export type AliasHandler = (name: Buffer, value: Buffer, lineNo: number) => void;

/** Name and value of one logical line, or the reason it is skipped. */
export function parseAliasLine(
  line: string,
): { name: string; value: string } | { problem: string } | undefined {
  const tokens = scanTokens(line);
  if (tokens.length === 0) return undefined;
  const colon = tokens.findIndex((t) => t.kind === 'op' && t.text === ':');
  const isOp = (c: string) => (n: number) => tokens[n]!.kind === 'op' && tokens[n]!.text === c;
  const before = [...Array(Math.max(colon, 0)).keys()];
  if (colon <= 0 || colon === tokens.length - 1 || before.some(isOp(','))) {
    return { problem: 'need name:value pair' };
  }
  if (before.some(isOp('@')) || before.some(isOp('%'))) return { problem: 'name must be local' };
  return { name: internalize(tokens.slice(0, colon)), value: externalize(tokens.slice(colon + 1)) };
}

/** Parses bytes [0, end) of an aliases(5) source. */
export function parseAliasSource(
  buf: Buffer,
  options: AliasSourceOptions,
  onAlias: AliasHandler,
  end: number = buf.length,
): void {
  forEachLogicalLine(
    buf,
    options,
    (b, s, e, lineNo, allAscii) => {
      if (!checkUtf8(b, s, e, lineNo, options, allAscii)) return;
      const parsed = parseAliasLine(b.toString('latin1', s, e));
      if (parsed === undefined) return;
      if ('problem' in parsed) {
        options.warn(`${options.displayName}, line ${lineNo}: ${parsed.problem}`);
        return;
      }
      onAlias(Buffer.from(parsed.name, 'latin1'), Buffer.from(parsed.value, 'latin1'), lineNo);
    },
    end,
  );
}
