// Configuration errors. Postfix reports fatal configuration problems as
// "<file>, line <n>: <what>"; ConfigError keeps the parts so callers can print
// them in Postfix wording ("postconf: fatal: ...") or attach them to a log line.

export class ConfigError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  /** Warnings Postfix would have printed before this error (e.g. for earlier lines). */
  readonly warningsBefore: string[];

  constructor(message: string, file?: string, line?: number, warningsBefore: string[] = []) {
    super(message);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.warningsBefore = warningsBefore;
  }
}

/** Postfix's "path, line N: what" prefix, or just "what" when no location is known. */
export function located(what: string, file?: string, line?: number): string {
  if (file === undefined) return what;
  return line === undefined ? `${file}: ${what}` : `${file}, line ${line}: ${what}`;
}

/** A ConfigError as one message in Postfix wording ("file, line N: what" when located). */
export function describeConfigError(err: ConfigError): string {
  if (err.file === undefined || err.message.startsWith(err.file) || err.message.startsWith('open '))
    return err.message;
  return located(err.message, err.file, err.line);
}
