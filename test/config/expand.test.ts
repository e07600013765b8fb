// Unit tests of the $name expander (semantics of Postfix mac_expand()); the
// differential tests in postconf-diff.test.ts compare the same cases with Postfix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandValue } from '../../src/config/index.js';

const table: Record<string, string> = {
  a: 'A',
  empty: '',
  ref: '$a-$a',
  self: 'x $self',
  n10: '10',
  n9: '9',
};
const lookup = (n: string): string | undefined => table[n];

function expand(text: string): { value: string; error: boolean; warnings: string[] } {
  const warnings: string[] = [];
  const r = expandValue(text, { lookup, recurse: true, warn: (m) => warnings.push(m) });
  return { value: r.value, error: r.error, warnings };
}

test('plain references, $$ and undefined names', () => {
  assert.equal(expand('$a ${a} $(a) $$a [$nosuch]').value, 'A A A $a []');
  assert.equal(expandValue('$nosuch', { lookup }).undefinedName, true);
});

test('recursion is optional', () => {
  assert.equal(expand('$ref').value, 'A-A');
  assert.equal(expandValue('$ref', { lookup }).value, '$a-$a');
});

test('conditionals', () => {
  assert.equal(expand('${a?yes} ${a:no} ${empty?yes} ${empty:no} ${nosuch:no}').value, 'yes   no no');
  assert.equal(expand('${a?{x}:{y}} ${empty?{x}:{y}} ${a ? {x} : {y}}').value, 'x y x');
  assert.equal(expand('${a?x:y}').value, 'x:y', 'without braces the text after ? is literal');
});

test('relational operators', () => {
  assert.equal(expand('${{$n10} > {$n9}?{num}:{str}}').value, 'num');
  assert.equal(expand('${{10x} > {9x}?{gt}:{le}}').value, 'le', 'string comparison');
  assert.equal(expand('${{3.10} >level {3.9}?{gt}:{le}}').value, 'gt');
  assert.equal(expand('${{a} == {a}}|${{a} != {a}}').value, 'true|');
});

test('errors use Postfix wording', () => {
  assert.deepEqual(expand('x $self').warnings, [
    'unreasonable macro call nesting: "x "',
    'unreasonable macro call nesting: "self"',
  ]);
  assert.deepEqual(expand('a ${b').warnings, ['truncated macro reference: "a ${b"']);
  assert.deepEqual(expand('$').warnings, ['empty macro name: "$"']);
  assert.deepEqual(expand('${a b}').warnings, ['attribute name syntax error at: "...a>>> b"']);
  assert.deepEqual(expand('${{x} <level {3}}').warnings, ['malformed compatibility level syntax: "x"']);
  assert.deepEqual(expand('${a?{x} junk}').warnings, ['":" expected at: "...x}>>>junk"']);
  assert.equal(expand('${{a} ~ {b}}').error, true);
});

test('scan mode visits every name in every branch', () => {
  const seen: string[] = [];
  const r = expandValue('${a?{$b}:{$c}} ${{$d} == {x} ? {$e}} $f', {
    lookup: (n) => {
      seen.push(n);
      return undefined;
    },
    scan: true,
  });
  assert.equal(r.value, '');
  assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e', 'f']);
});
