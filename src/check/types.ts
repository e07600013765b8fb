// What a check rule reports, and what it gets to look at.
import type { Config } from '../config/index.js';

export type Severity = 'error' | 'warning' | 'notice';

/** One problem found in the configuration. `message` always names the fix. */
export interface Finding {
  /** Stable identifier (documented in docs/check.md); scripts may match on it. */
  rule: string;
  severity: Severity;
  message: string;
  /** The file the problem is in (main.cf, a table source, ...), when there is one. */
  file?: string;
  /** Line in `file`, when known. */
  line?: number;
  /** The main.cf parameter the problem concerns. */
  parameter?: string;
}

/** Where a finding points: a file/line and/or a parameter. */
export type Location = Pick<Finding, 'file' | 'line' | 'parameter'>;

export interface CheckContext {
  readonly config: Config;
  readonly configDir: string;
  /** Effective uid of the checker (permission rules care whether it is root). */
  readonly uid: number;
  /** Where a main.cf parameter is set: main.cf and its line, or just the name for a default. */
  at(parameter: string): Location;
}

/** A rule: looks at the configuration, returns what is wrong. Never throws for bad config. */
export type Rule = (ctx: CheckContext) => Promise<Finding[]> | Finding[];
