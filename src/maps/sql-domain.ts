// The `domain` setting of the SQL tables: a Postfix match list (match_list.c with
// match_string) of literal domains, /file/names whose lines are more patterns, and type:table
// lookups, each optionally negated with `!`. The first pattern that matches decides. Only keys
// of the form user@domain with a non-empty user are queried when the list is set
// (db_common_check_domain).
import { readFile } from 'node:fs/promises';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

type Pattern =
  | { kind: 'literal'; negate: boolean; text: string }
  | { kind: 'table'; negate: boolean; table: LookupTable }
  | { kind: 'unreadable'; negate: boolean; message: string };

export class DomainList {
  private constructor(
    private readonly patterns: Pattern[],
    private readonly owner: string,
  ) {}

  /** Parses the list; `type:table` entries are opened with the driver module of that type. */
  static async parse(value: string, owner: string, options: OpenOptions): Promise<DomainList> {
    const patterns: Pattern[] = [];
    await addPatterns(patterns, value, false, owner, options);
    return new DomainList(patterns, owner);
  }

  /**
   * True when `key` may be queried: it has a non-empty localpart and its domain matches.
   * Throws TableError when a table in the list cannot answer.
   */
  async allows(key: string): Promise<boolean> {
    const at = key.lastIndexOf('@');
    if (at <= 0) return false;
    const domain = key.slice(at + 1).toLowerCase();
    for (const p of this.patterns) {
      let hit: boolean;
      if (p.kind === 'literal') hit = p.text === domain;
      else if (p.kind === 'table') hit = (await p.table.lookup(domain)) !== undefined;
      else throw new TableError(`${this.owner}: domain list: ${p.message}`, this.owner);
      if (hit) return !p.negate;
    }
    return false;
  }

  async close(): Promise<void> {
    for (const p of this.patterns) if (p.kind === 'table') await p.table.close();
  }
}

/** Splits on commas and whitespace, keeping `{...}` groups whole (mystrtokq). */
function tokens(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let depth = 0;
  for (const ch of value) {
    if (depth === 0 && /[\s,]/.test(ch)) {
      if (current !== '') out.push(current);
      current = '';
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    current += ch;
  }
  if (current !== '') out.push(current);
  return out;
}

async function addPatterns(
  patterns: Pattern[],
  value: string,
  negated: boolean,
  owner: string,
  options: OpenOptions,
): Promise<void> {
  for (const token of tokens(value)) {
    if (token.startsWith('#')) break; // Postfix warns: comment at end of line is not supported
    let negate = negated;
    let item = token;
    while (item.startsWith('!')) {
      negate = !negate;
      item = item.slice(1);
    }
    if (item === '') throw new Error(`${owner}: domain: no pattern after '!'`);
    if (item.startsWith('/')) {
      let text: string;
      try {
        text = await readFile(item, 'utf8');
      } catch (err) {
        // Graceful degradation as in Postfix: every lookup that reaches this entry fails.
        patterns.push({
          kind: 'unreadable',
          negate,
          message: `open file ${item}: ${(err as Error).message}`,
        });
        continue;
      }
      for (const line of text.split('\n')) {
        if (!line.startsWith('#')) await addPatterns(patterns, line, negate, owner, options);
      }
    } else if (!item.startsWith('[') && item.includes(':')) {
      patterns.push({ kind: 'table', negate, table: await openTable(item, owner, options) });
    } else {
      patterns.push({ kind: 'literal', negate, text: item.toLowerCase() });
    }
  }
}

/** Opens `type:name` through the driver module src/maps/<type>.ts (the LookupTable contract). */
async function openTable(spec: string, owner: string, options: OpenOptions): Promise<LookupTable> {
  const colon = spec.indexOf(':');
  const type = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  if (!/^[a-z][a-z0-9]*$/.test(type)) throw new Error(`${owner}: domain: bad table type in "${spec}"`);
  let driver: { open?: (n: string, o: OpenOptions) => Promise<LookupTable> };
  try {
    driver = (await import(`./${type}.js`)) as typeof driver;
  } catch {
    throw new Error(`${owner}: domain: unsupported dictionary type: ${type}`);
  }
  if (typeof driver.open !== 'function')
    throw new Error(`${owner}: domain: unsupported dictionary type: ${type}`);
  // The list folds the domain itself, so the table must not fold again (match_list.c).
  return driver.open(name, { ...options, foldCase: false });
}
