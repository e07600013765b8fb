// inline:, static:, unionmap:, pipemap: and fail: through postmap, compared with the real
// /usr/sbin/postmap (answers, -s dumps, syntax errors and exit codes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { makeSandbox, ourPostmap, realPostmap, sortedLines } from '../maps/helpers.js';

let box: ReturnType<typeof makeSandbox>;
before(() => (box = makeSandbox('postmap-inline')));
after(() => box.cleanup());

const SPECS = [
  'inline:{a=1, {b = two words}, C=3, a=4}',
  'inline:{ {"quoted key" = v}, x = y }',
  'static:foo',
  'static:{ foo bar }',
  'unionmap:{inline:{x=1}, inline:{x=2,y=3}, static:4}',
  'pipemap:{inline:{x=y, a=b}, inline:{y=z}}',
  'pipemap:{inline:{x=y}, static:{all}}',
  'unionmap:{static:1, fail:x}',
  'fail:x',
  'inline:{}',
  'inline:{ }',
  'inline:{a}',
  'inline:a=b',
  'inline:{a=b}x',
  'inline:{{a=b}x}',
  'static:{foo',
  'static:',
  'unionmap:{static}',
  'unionmap:{}',
  'pipemap:x',
];

test('answers, warnings and exit codes per spec match Postfix (-q - with several keys)', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const keys = 'x\na\nA\nb\nc\n"quoted key"\nnothing\n';
  for (const spec of SPECS) {
    const r = realPostmap(['-q', '-', spec], box.conf, box.root, keys);
    const o = ourPostmap(['-q', '-', spec], box.conf, box.root, keys);
    assert.equal(o.stdout, r.stdout, `stdout ${spec}`);
    assert.equal(o.stderr, r.stderr, `stderr ${spec}`);
    assert.equal(o.status, r.status, `status ${spec}`);
  }
});

test('-s dumps inline tables (later duplicates replace earlier ones)', (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  const spec = 'inline:{a=1, {b = two words}, C=3, a=4}';
  const r = realPostmap(['-s', spec], box.conf, box.root);
  const o = ourPostmap(['-s', spec], box.conf, box.root);
  assert.deepEqual(sortedLines(o.stdout), sortedLines(r.stdout));
  assert.deepEqual(sortedLines(o.stdout), ['a\t4', 'b\ttwo words', 'c\t3']);
});
