// The lookup flow shared by mysql:, pgsql: and sqlite: tables (dict_mysql.c, dict_pgsql.c,
// dict_sqlite.c over db_common.c): fold the key, apply the `domain` filter, expand the query
// (or skip it), run it, expand `result_format` over every column of every row, enforce
// `expansion_limit`, and join the values with commas.
import type { SqlConfig } from './sql-config.js';
import { DomainList } from './sql-domain.js';
import {
  emptyNeeds,
  expandQuery,
  expandResult,
  parseTemplate,
  type Quote,
  type TemplateNeeds,
} from './sql-template.js';
import { TableError, type LookupTable, type OpenOptions } from './types.js';

/** Result rows as text; null is SQL NULL. */
export type Rows = (string | null)[][];

/** What a database driver provides: run one expanded query with its own escaping. */
export interface SqlBackend {
  /**
   * Runs the query that `build` produces with the driver's quoting. Throws TableError when no
   * server can answer (after trying every host).
   */
  query(build: (quote: Quote) => string): Promise<Rows>;
  close(): Promise<void>;
}

/** The query and result settings common to the three drivers. */
export interface SqlTemplates {
  query: string;
  resultFormat: string;
  expansionLimit: number;
  needs: TemplateNeeds;
  domain: DomainList | undefined;
}

/**
 * Reads `query` (or the legacy table/select_field/where_field/additional_conditions),
 * `result_format`, `expansion_limit` and `domain`, validating both templates.
 * `legacyQuery` lets pgsql add its `select_function` form.
 */
export async function readTemplates(
  config: SqlConfig,
  owner: string,
  options: OpenOptions,
  legacyQuery: (config: SqlConfig) => string = buildLegacyQuery,
): Promise<SqlTemplates> {
  const query = config.optional('query') ?? legacyQuery(config);
  const resultFormat = config.str('result_format', '%s', 1);
  const expansionLimit = config.int('expansion_limit', 0);
  const needs = emptyNeeds();
  parseTemplate(query, true, needs, config.source);
  parseTemplate(resultFormat, false, needs, config.source);
  const domainValue = config.str('domain', '');
  const domain = domainValue === '' ? undefined : await DomainList.parse(domainValue, owner, options);
  return { query, resultFormat, expansionLimit, needs, domain };
}

/** The pre-Postfix-2.2 query (db_common_sql_build_query). */
export function buildLegacyQuery(config: SqlConfig): string {
  const need = (key: string): string => {
    const v = config.optional(key);
    if (v === undefined || v === '') throw new Error(`${config.source}: '${key}' parameter not defined`);
    return v;
  };
  const table = need('table');
  const select = need('select_field');
  const where = need('where_field');
  const more = config.str('additional_conditions', '');
  return `SELECT ${select} FROM ${table} WHERE ${where}='%s' ${more}`;
}

export class SqlTable implements LookupTable {
  readonly fixedKeys = true;
  private readonly foldCase: boolean;

  constructor(
    readonly type: string,
    readonly name: string,
    private readonly templates: SqlTemplates,
    private readonly backend: SqlBackend,
    options: OpenOptions,
  ) {
    this.foldCase = options.foldCase ?? true;
  }

  private get label(): string {
    return `${this.type}:${this.name}`;
  }

  async lookup(rawKey: string): Promise<string | undefined> {
    // A C string cannot hold NUL; such a key can never reach Postfix's drivers.
    if (rawKey.includes('\0')) return undefined;
    const key = this.foldCase ? rawKey.toLowerCase() : rawKey;
    const t = this.templates;
    if (t.domain !== undefined && !(await t.domain.allows(key))) return undefined;
    // Check the key's parts once without quoting: a key that cannot fill the templates is
    // "not found" without any query (db_common_expand returns 0).
    if (expandQuery(t.query, key, t.needs, (s) => s) === undefined) return undefined;
    const rows = await this.backend.query((quote) => expandQuery(t.query, key, t.needs, quote)!);
    const values: string[] = [];
    for (const row of rows) {
      for (const column of row) {
        const value = expandResult(t.resultFormat, column, key, t.needs);
        if (value === undefined) continue;
        values.push(value);
        if (t.expansionLimit > 0 && values.length > t.expansionLimit) {
          throw new TableError(`${this.label}: Expansion limit exceeded for key: '${key}'`, this.label);
        }
      }
    }
    return values.length === 0 ? undefined : values.join(',');
  }

  async close(): Promise<void> {
    await this.templates.domain?.close();
    await this.backend.close();
  }
}
