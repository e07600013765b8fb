// POSIX getopt(3) as the Postfix tools use it: clustered flags ("-pv"), option arguments
// attached or separate ("-cDIR", "-c DIR"), "--" ends options, the first non-option ends them.
export interface ParsedOptions {
  options: { flag: string; value?: string }[];
  operands: string[];
}

export class UsageError extends Error {}

/** spec like "c:d:hp": a letter followed by ":" takes an argument. */
export function getopt(argv: string[], spec: string): ParsedOptions {
  const takesArg = new Map<string, boolean>();
  for (let i = 0; i < spec.length; i++) {
    if (spec[i] === ':') continue;
    takesArg.set(spec[i]!, spec[i + 1] === ':');
  }
  const options: ParsedOptions['options'] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j]!;
      const needs = takesArg.get(flag);
      if (needs === undefined) throw new UsageError(`invalid option -- '${flag}'`);
      if (!needs) {
        options.push({ flag });
        continue;
      }
      let value = arg.slice(j + 1);
      if (value === '') {
        if (i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${flag}'`);
        value = argv[++i]!;
      }
      options.push({ flag, value });
      break;
    }
  }
  return { options, operands: argv.slice(i) };
}
