// Differential tests: Outpost's pcre: driver against real Postfix `postmap -q` (Debian's
// PCRE2 build) on the same tables and keys, comparing results and warning lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer, POSTMAP } from '../helpers/peers.js';
import { open } from '../../src/maps/pcre.js';
import { TableError } from '../../src/maps/types.js';
import { differentialCases, driverQuery, postmapQuery, type PatternCase } from './pattern-oracle.js';

const cases: PatternCase[] = [
  {
    title: 'flags i, s, m, x, A, E, U and inline option settings',
    rules: [
      '/^ci:Exact$/ insensitive',
      '/^cs:Exact$/i sensitive',
      '/^nd:a.b$/s dot-without-newline-flag',
      '/^d:a.b$/ dot',
      '/^ex: a  b # comment/x extended',
      '/an:q/A anchored',
      '/^end$/ dollar',
      '/^end2$/E dollar-endonly',
      '/^ug:(\\d{2,}?)(\\d*)x$/U ungreedy:$1:$2',
      '/^lz:(\\d+?)(\\d*)$/ lazy:$1:$2',
      '/^in:X(?i)y(?-i:Z)$/i inline-options',
      '/^in2:(?i:ab)c$/i inline-group',
      '/^é$/ utf8-bytes',
      '/^..$/ two-bytes',
      '/^br:(a)\\1$/ backref-folds',
      '/^bs:(?-i)(a)\\1$/ backref-exact',
    ],
    keys: [
      'ci:EXACT',
      'cs:EXACT',
      'cs:Exact',
      'nd:a.b',
      'd:aXb',
      'ex:ab',
      'an:q',
      'xan:q',
      'end',
      'END2',
      'ug:12345x',
      'lz:12345',
      'in:XyZ',
      'in:XYZ',
      'in:Xyz',
      'in2:ABc',
      'in2:ABC',
      'é',
      'É',
      'br:aA',
      'bs:aA',
      'bs:aa',
    ],
  },
  {
    title: 'Perl syntax: escapes, classes, lookaround, atomic and possessive, back-references',
    rules: [
      '/^n:(?<user>[^@]+)@(?<dom>.*)$/ $2:$1',
      '/^at:(?>a+)b/ atomic',
      '/^at2:(?>a+)ab/ atomic-never',
      '/^po:a++b/ possessive',
      '/^po2:a++ab/ possessive-never',
      '/^es:\\x41\\101\\x{42}\\x20?z$/ escapes',
      '/^br:(a)(?:b)(c)?\\1$/ br:$1$2',
      '/^qu:\\Qa.b\\E$/ quoted',
      '/^wz:[\\w.-]+\\z/ word-z',
      '/^la:(?=abc)ab/ lookahead',
      '/^lb:x(?<!y)z/ lookbehind',
      '/^bs:[\\]\\\\a-c]+$/ class-escapes',
      '/^px:[[:^digit:]]+$/ posix-negated',
      '/^al:(a|ab)(c|bcd)?$/ first:$1:$2',
      '/^gr:(a)(b)\\g{-1}\\g1$/ relative',
      '/^nm:(?P<x>a)(?P=x)\\k<x>$/ named-refs',
      '/^hv:\\h\\d\\D\\s\\S$/ hv',
      '/^za:\\Aabc\\Z/ a-z',
      '/^cm:a(?#comment)b$/ comment',
      '/^br2:(x)(y)(z)(w)(v)(u)(t)(s)(r)(q)\\10$/ ten:$9',
      '/^rr:x{,2}$/ literal-brace',
    ],
    keys: [
      'n:joe@Example.com',
      'at:aab',
      'at2:aab',
      'po:aab',
      'po2:aab',
      'es:AAB z',
      'es:AABz',
      'br:aba',
      'br:abca',
      'qu:a.b',
      'qu:axb',
      'wz:a.b-c',
      'la:abc',
      'la:abd',
      'lb:xz',
      'bs:]\\b',
      'px:abc',
      'px:a1',
      'al:ab',
      'al:abcd',
      'gr:abba',
      'nm:aaa',
      'hv: 1x y',
      'za:abc',
      'cm:ab',
      'br2:xyzwvutsrqq',
      'rr:x{,2}',
    ],
  },
  {
    title: 'negation, if/endif nesting, substitution',
    rules: [
      'if /@example\\.com$/',
      'if !/^(abuse|postmaster)@/',
      '/^(.+)@example\\.com$/ local:$1 ${1}b $(1) $$',
      'endif',
      '/^abuse@/ abuse-desk',
      'endif',
      '!/\\./ no-dot',
      '/^(a)(b)?(c)$/ [$1][$2][$3]',
      '/./ other',
    ],
    keys: ['joe@example.com', 'abuse@example.com', 'postmaster@example.com', 'localhost', 'ac.', 'x.y'],
  },
  {
    title: "syntax errors: each bad rule is skipped with Postfix's warning",
    inline: false,
    rules: [
      '/(a/ r',
      '/a)/ r',
      '/[a/ r',
      '/*a/ r',
      '/a\\/ r',
      '/[z-a]/ r',
      '/(?<n>a)(?<n>b)/ r',
      '/\\i/ r',
      '/a{2,1}/ r',
      '/(?z)/ r',
      '/\\x{100}/ r',
      '/(?P<1a>x)/ r',
      '/a**/ r',
      '/[[:foo:]]/ r',
      '/\\k<zz>/ r',
      '/a/X obsolete-flag',
      '/a/q r',
      '!/(a)/ $1',
      '/(a)/ $2',
      '/(a)/ $0',
      '/(a)/ $1b',
      '/^emptyresult$/',
      'if /a/ x',
      'endif',
      'endif',
      'blah',
      '/(?>a/ r',
      '/(a)\\2/ r',
      '/^ok$/ ok',
      'if /b/',
      '/./ inside-unclosed-if',
    ],
    keys: ['zzz', 'ok', 'bz', 'a'],
  },
];

const box = differentialCases('pcre', open, cases);

test('pcre: "$" before a final newline, "m" flag, keys with newlines (postmap -q KEY)', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const rules = [
    '/^end$/E end-only',
    '/^end$/ dollar',
    '/^b$/m multi-line',
    '/^a.b$/s no-dotall',
    '/^a.b$/ dotall',
    '/^z\\Z/ big-z',
  ];
  const file = join(box.dir, 'newline.pcre');
  writeFileSync(file, rules.map((r) => `${r}\n`).join(''));
  const table = await open(file, { warn: () => {} });
  for (const key of ['end\n', 'end', 'a\nb', 'b\n', 'x\nb\n', 'z\n', 'a\nb\n']) {
    const r = spawnSync(POSTMAP, ['-c', box.configDir, '-q', key, `pcre:${file}`], { encoding: 'utf8' });
    const expected = r.status === 0 ? r.stdout.replace(/\n$/, '') : undefined;
    assert.equal(await table.lookup(key), expected, JSON.stringify(key));
  }
});

test('pcre: unreadable file and broken inline form are TableErrors', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const name of ['{{/x/ a}', join(box.dir, 'missing.pcre')]) {
    const expected = postmapQuery(box.configDir, `pcre:${name}`, ['x']);
    await assert.rejects(open(name, { warn: () => {} }), (e: unknown) => {
      assert.ok(e instanceof TableError);
      assert.equal(e.message, expected.fatal);
      return true;
    });
  }
});

test('pcre: unsupported PCRE features are reported with map and line', async () => {
  const warnings: string[] = [];
  const table = await open('{ {/(?R)/ r}, {/a\\Kb/ r}, {/(?|(a)|(b))/ r}, {/(?(1)a|b)/ r}, {/x/ ok} }', {
    warn: (m) => warnings.push(m),
  });
  assert.equal(await table.lookup('x'), 'ok');
  assert.equal(warnings.length, 4);
  assert.match(
    warnings[0]!,
    /^pcre map \{.*\}, line 1: error in regex at offset \d+: .*not supported by Outpost$/,
  );
  assert.match(warnings[1]!, /, line 2: .*\\K is not supported/);
});

test('pcre: catastrophic backtracking does not hang a lookup', async () => {
  const warnings: string[] = [];
  const table = await open('{ {/^(a+)+$/ boom}, {/^(\\w+\\s?)*$/ b2}, {/(a+)+(?=c)/ bounded}, {/./ next} }', {
    warn: (m) => warnings.push(m),
  });
  const started = Date.now();
  assert.equal(await table.lookup(`${'a'.repeat(40)}!`), 'next');
  assert.equal(await table.lookup(`${'ab '.repeat(20)}!`), 'next');
  assert.ok(Date.now() - started < 5000, 'lookup took too long');
  // Lookahead keeps the rule off V8's linear engine; the time limit stops it, as PCRE's
  // backtracking limit would, with Postfix's wording.
  assert.ok(warnings.length >= 1);
  assert.match(warnings[0]!, /^pcre map \{.*\}, line 3: backtracking limit exceeded$/);
});

test('pcre: a directory reads as an empty table, as in Postfix', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const expected = postmapQuery(box.configDir, `pcre:${box.dir}`, ['x']);
  assert.deepEqual(await driverQuery(open, box.dir, ['x']), expected);
});

test('pcre: noRegexpSubstitution skips $n rules as trivial-rewrite does', async () => {
  const warnings: string[] = [];
  const table = await open('{ {/^(.*)@x$/ smtp:$1}, {/@x$/ smtp:fixed} }', {
    warn: (m) => warnings.push(m),
    noRegexpSubstitution: true,
  });
  assert.equal(await table.lookup('a@x'), 'smtp:fixed');
  assert.deepEqual(warnings, [
    'pcre map { {/^(.*)@x$/ smtp:$1}, {/@x$/ smtp:fixed} }, line 1: regular expression substitution is not allowed: skipping this rule',
  ]);
});
