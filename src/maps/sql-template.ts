// Query and result templates of the SQL tables (Postfix db_common.c): `%s %u %d %S %U %D
// %1..%9 %%`. Parsing both templates first tells which parts of the key and of each result a
// lookup needs; a key or result that lacks them is skipped ("suppressed") instead of queried.

/** What the query and result templates of one table need (db_common_parse). */
export interface TemplateNeeds {
  keyDomain: boolean;
  keyUser: boolean;
  valueDomain: boolean;
  valueUser: boolean;
  /** Highest %1..%9 used: keys need at least this many domain labels. */
  labels: number;
}

export function emptyNeeds(): TemplateNeeds {
  return { keyDomain: false, keyUser: false, valueDomain: false, valueUser: false, labels: 0 };
}

/** Validates a template and records its needs; throws on an unknown `%x` like Postfix. */
export function parseTemplate(template: string, isQuery: boolean, needs: TemplateNeeds, where: string): void {
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== '%') continue;
    const c = template[++i];
    switch (c) {
      case '%':
      case 's':
      case 'S':
        break;
      case 'u':
        if (isQuery) needs.keyUser = true;
        else needs.valueUser = true;
        break;
      case 'd':
        if (isQuery) needs.keyDomain = true;
        else needs.valueDomain = true;
        break;
      case 'U':
        needs.keyUser = true;
        break;
      case 'D':
        needs.keyDomain = true;
        break;
      default:
        if (c !== undefined && c >= '1' && c <= '9') {
          needs.labels = Math.max(needs.labels, Number(c));
          needs.keyDomain = true;
          break;
        }
        throw new Error(`${where}: Invalid ${isQuery ? 'query' : 'result'} template: ${template}`);
    }
  }
}

/** An address split at its last `@`; domain is undefined when there is no `@`. */
interface SplitAddress {
  whole: string;
  user: string;
  domain: string | undefined;
}

function split(address: string): SplitAddress {
  const at = address.lastIndexOf('@');
  if (at < 0) return { whole: address, user: address, domain: undefined };
  return { whole: address, user: address.slice(0, at), domain: address.slice(at + 1) };
}

/** True when `addr` lacks a part that `needDomain`/`needUser` require (empty domain or user). */
function lacksParts(addr: SplitAddress, needDomain: boolean, needUser: boolean): boolean {
  if (needDomain && (addr.domain === undefined || addr.domain === '')) return true;
  if (needUser && addr.domain !== undefined && addr.user === '') return true;
  return false;
}

/** Domain labels for %1..%9, or undefined when the key has too few (argv_split drops empties). */
function labelsOf(domain: string | undefined, count: number): string[] | undefined {
  if (count === 0) return [];
  if (domain === undefined) return undefined;
  const labels = domain.split('.').filter((p) => p !== '');
  return labels.length < count ? undefined : labels;
}

export type Quote = (text: string) => string;

/**
 * Expands a query template for lookup key `key`, or returns undefined when the key lacks a
 * part the templates need (the lookup then answers "not found" without a query).
 */
export function expandQuery(
  template: string,
  key: string,
  needs: TemplateNeeds,
  quote: Quote,
): string | undefined {
  if (key === '') return undefined; // "empty query string -- ignored"
  const k = split(key);
  if (lacksParts(k, needs.keyDomain, needs.keyUser)) return undefined;
  const labels = labelsOf(k.domain, needs.labels);
  if (labels === undefined) return undefined;
  return substitute(template, k, k, labels, quote);
}

/**
 * Expands the result template for one result column `value` of key `key`; undefined when the
 * value is skipped (NULL, empty, or lacking a part the template needs).
 */
export function expandResult(
  template: string,
  value: string | null,
  key: string,
  needs: TemplateNeeds,
): string | undefined {
  if (value === null || value === '') return undefined;
  const v = split(value);
  if (lacksParts(v, needs.valueDomain, needs.valueUser)) return undefined;
  const k = split(key);
  if (lacksParts(k, needs.keyDomain, needs.keyUser)) return undefined;
  const labels = labelsOf(k.domain, needs.labels);
  if (labels === undefined) return undefined;
  return substitute(template, v, k, labels, (s) => s);
}

/** One pass over the template: lower case refers to `value`, upper case and digits to `key`. */
function substitute(
  template: string,
  value: SplitAddress,
  key: SplitAddress,
  labels: string[],
  quote: Quote,
): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const c = template[++i]!;
    switch (c) {
      case '%':
        out += '%';
        break;
      case 's':
        out += quote(value.whole);
        break;
      case 'u':
        out += quote(value.user);
        break;
      case 'd':
        out += quote(value.domain ?? '');
        break;
      case 'S':
        out += quote(key.whole);
        break;
      case 'U':
        out += quote(key.user);
        break;
      case 'D':
        out += quote(key.domain ?? '');
        break;
      default:
        out += quote(labels[labels.length - Number(c)] ?? '');
    }
  }
  return out;
}
