// The data and the table configurations that the mysql, pgsql and sqlite differential tests
// share: every configuration is queried with postmap and with Outpost, key by key.

/** aliases(address, goto, extra) rows; null is SQL NULL. */
export const ALIAS_ROWS: [string, string | null, string | null][] = [
  ['user@example.com', 'one@dest.example', 'x1'],
  ['user@example.com', 'two@dest.example', null],
  ['multi@example.com', 'a@d.example', 'b@d.example'],
  ["o'brien@example.com", 'quote-ok', null],
  ['back\\slash@example.com', 'backslash-ok', null],
  ['dq"uote@example.com', 'dq-ok', null],
  ['100%@example.com', 'percent-ok', null],
  ['müller@example.com', 'umlaut-ok', 'ünïcode@dest.example'],
  ['empty@example.com', '', 'not-empty'],
  ['null@example.com', null, null],
  ['user', 'bare-user', null],
  ['@example.com', 'catchall@example.com', null],
  ['example.com', 'domain-ok', null],
  ['a@mail.example.com', '@nouser.example', 'ok@mail.example'],
  ['b@mail.example.com', 'nodomain', null],
  ['c@listed.example', 'listed-ok@x.example', null],
  ['d@bad.example.com', 'bad', null],
  ['e@other.example', 'other', null],
  ['x@a..b.example', 'dots', null],
];

/** Keys every configuration is queried with. */
export const KEYS = [
  ...new Set(ALIAS_ROWS.map((r) => r[0])),
  'USER@EXAMPLE.COM',
  'MÜLLER@example.com',
  "x' OR '1'='1",
  "x\\' OR 1=1 -- ",
  'x%',
  '100@example.com',
  'nobody@example.com',
  'user@',
  '@',
  'a@b@example.com',
];

export interface Scenario {
  name: string;
  lines: string[];
  /** Outcomes Outpost must give, so a test cannot pass by both sides failing alike. */
  expect: Record<string, string | undefined | 'error'>;
  /** Keys to query instead of KEYS (scenarios where postmap stops at the first error). */
  keys?: string[];
}

/** The configurations; `connection` is hosts/user/dbname (or dbpath), `dir` the work dir. */
export function scenarios(connection: string[], dir: string, multiColumn: 'all' | 'first'): Scenario[] {
  const q = (query: string, ...more: string[]): string[] => [...connection, `query = ${query}`, ...more];
  return [
    {
      name: 'plain %s query, multiple rows, quoting, folding',
      lines: q("SELECT goto FROM aliases WHERE address='%s'"),
      expect: {
        'user@example.com': 'one@dest.example,two@dest.example',
        'USER@EXAMPLE.COM': 'one@dest.example,two@dest.example',
        "o'brien@example.com": 'quote-ok',
        'back\\slash@example.com': 'backslash-ok',
        'dq"uote@example.com': 'dq-ok',
        "x' OR '1'='1": undefined,
        'empty@example.com': undefined,
        'null@example.com': undefined,
        user: 'bare-user',
      },
    },
    {
      name: '%u@%d query: suppressed without domain or localpart',
      lines: q("SELECT goto FROM aliases WHERE address='%u@%d'"),
      expect: {
        'user@example.com': 'one@dest.example,two@dest.example',
        user: undefined,
        '@example.com': undefined,
      },
    },
    {
      name: '%U@%D and %% in the query',
      lines: q("SELECT goto FROM aliases WHERE address='%U%%@%D'"),
      expect: { '100@example.com': 'percent-ok', 'user@example.com': undefined },
    },
    {
      name: '%1 %2 %3 domain labels',
      lines: q("SELECT '%3|%2|%1'"),
      expect: {
        'a@mail.example.com': 'mail|example|com',
        'user@example.com': undefined,
        'x@a..b.example': 'a|b|example',
      },
    },
    {
      name: 'result_format with %s %u %d %S %U %D',
      lines: q("SELECT goto FROM aliases WHERE address='%s'", 'result_format = <%s|%u|%d|%S|%U|%D>'),
      expect: {
        'user@example.com':
          '<one@dest.example|one|dest.example|user@example.com|user|example.com>,' +
          '<two@dest.example|two|dest.example|user@example.com|user|example.com>',
        'a@mail.example.com': undefined,
        user: undefined,
      },
    },
    {
      name: 'result_format with %2',
      lines: q("SELECT goto FROM aliases WHERE address='%s'", 'result_format = smtp:[%s] via %2'),
      expect: { 'b@mail.example.com': 'smtp:[nodomain] via example', user: undefined },
    },
    {
      name: `several columns (${multiColumn === 'all' ? 'all are used' : 'sqlite uses the first'})`,
      lines: q("SELECT goto, extra FROM aliases WHERE address='%s'"),
      expect: {
        'user@example.com':
          multiColumn === 'all'
            ? 'one@dest.example,x1,two@dest.example'
            : 'one@dest.example,two@dest.example',
        'empty@example.com': multiColumn === 'all' ? 'not-empty' : undefined,
      },
    },
    {
      name: 'expansion_limit = 1',
      lines: q("SELECT goto FROM aliases WHERE address='%s'", 'expansion_limit = 1'),
      expect: { 'user@example.com': 'error', "o'brien@example.com": 'quote-ok' },
      keys: ['multi@example.com', 'nobody@example.com', 'user'],
    },
    {
      name: 'expansion_limit = 2 with result_format that skips values',
      lines: q(
        "SELECT goto, extra FROM aliases WHERE address='%s'",
        'expansion_limit = 2',
        'result_format = %u',
      ),
      expect:
        multiColumn === 'all'
          ? { 'a@mail.example.com': 'ok', 'multi@example.com': 'a,b', 'user@example.com': 'error' }
          : { 'a@mail.example.com': undefined, 'multi@example.com': 'a', 'user@example.com': 'one,two' },
      keys: ['nobody@example.com'],
    },
    {
      name: 'domain list: literals, negation, /file',
      lines: q(
        "SELECT goto FROM aliases WHERE address='%s'",
        `domain = !bad.example.com, bad.example.com example.com,`,
        `  ${dir}/domain-list`,
      ),
      expect: {
        'user@example.com': 'one@dest.example,two@dest.example',
        'c@listed.example': 'listed-ok@x.example',
        'd@bad.example.com': undefined,
        '@example.com': undefined,
        user: undefined,
        'e@other.example': undefined,
      },
    },
    {
      name: 'legacy table/select_field/where_field/additional_conditions',
      lines: [
        ...connection,
        'table = aliases',
        'select_field = goto',
        'where_field = address',
        "additional_conditions = AND goto <> 'two@dest.example'",
      ],
      expect: { 'user@example.com': 'one@dest.example' },
    },
  ];
}

/** The /file named in the domain scenario. */
export const DOMAIN_LIST_FILE = '# domains served from SQL\nlisted.example\nmail.example.com\n';
