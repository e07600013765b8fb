#!/usr/bin/env node
// Differential fuzzing of Outpost's postconf against the real Postfix postconf:
// random main.cf/master.cf contents and options, same input to both, compare
// stdout, exit status and (when both succeed) the set of warnings. Postfix 3.7
// visits main.cf entries in a randomized hash order, so when both stop with a
// fatal error the warnings before it may legitimately differ and are not compared.
// Usage: npm run build && node scripts/fuzz-postconf.mjs [expand|master|edit|user] [seed] [count]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postconfMain } from '../dist/src/cli/postconf.js';

const [kind = 'expand', seedArg = '1', countArg = '300'] = process.argv.slice(2);
let seed = Number(seedArg);
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
const pick = (list) => list[rnd(list.length)];
const words = (list, max) => Array.from({ length: rnd(max) }, () => pick(list));

const EXPAND_ATOMS = [
  '$',
  '$$',
  '${',
  '}',
  '{',
  '$(',
  ')',
  '?',
  ':',
  'relayhost',
  'nosuch',
  'a1',
  ' ',
  '==',
  '<level',
  '!=',
  '{3.6}',
  '{x}',
  '{}',
  'text',
  ',',
  '${relayhost',
  '${{',
  '$a1',
  '${a1?',
  '${a1:',
  '\t',
  '<=level',
];
const MASTER_TOKENS = [
  '-',
  'n',
  'y',
  '1',
  '60?',
  '-o',
  'x=y',
  'syslog_name=$service_name',
  '{',
  '}',
  '{ a = b c }',
  '{ arg one }',
  '-v',
  '-oa=b',
  'flags=R',
  '--',
  '$myhostname',
  '\n  ',
  '\n#c\n  ',
  'q',
  'a b',
];
const NAMES = [
  'u1',
  'u2',
  'relayhost',
  'smtpd_restriction_classes',
  'virtual_maps',
  'relay_domains',
  'process_name',
  'mydomain',
];

function generate() {
  switch (kind) {
    case 'expand':
      return {
        main: `relayhost = ${rnd(2) ? 'r.example' : ''}\na1 = ${words(EXPAND_ATOMS, 8).join('')}\nsmtpd_banner = ${words(EXPAND_ATOMS, 8).join('')}\n`,
        master: '',
        args: ['-x', 'smtpd_banner', 'a1'],
      };
    case 'master':
      return {
        main: 'myhostname = h.example\n',
        master:
          Array.from({ length: 1 + rnd(3) }, () =>
            [
              `svc${rnd(3)}`,
              pick(['unix', 'inet', 'unix-dgram']),
              '-',
              '-',
              'n',
              '-',
              '-',
              pick(['smtp', 'pipe', 'smtpd']),
              ...words(MASTER_TOKENS, 6),
            ].join(' '),
          ).join('\n') + '\n',
        args: pick([['-M'], ['-Mf'], ['-F'], ['-P'], ['-Mx'], ['-Px']]),
      };
    case 'edit': {
      const lines = [
        'relayhost = v1',
        'foo=x',
        '  cont line',
        '# comment',
        '',
        '\t tabbed',
        'myorigin =',
        'a\r',
        'mydestination   =   a  b  ',
      ];
      const mode = pick([['-n'], ['-e'], ['-#'], ['-X'], ['-nf']]);
      const edits =
        mode[0] === '-e'
          ? [`${pick(['relayhost', 'foo', 'myorigin', 'bar'])}=n${rnd(5)}`]
          : mode[0] === '-n' || mode[0] === '-nf'
            ? []
            : [pick(['relayhost', 'foo', 'myorigin'])];
      return {
        main: words(lines, 7).join('\n') + (rnd(4) ? '\n' : ''),
        master: '',
        args: [...mode, ...edits],
      };
    }
    default: {
      const value = () =>
        words(
          [
            `$${pick(NAMES)}`,
            'x',
            `\${${pick(NAMES)}?y}`,
            'mysql:/nonexist.cf',
            `proxy:mysql:${pick(NAMES)}`,
          ],
          3,
        ).join(', ');
      return {
        main: Array.from({ length: rnd(6) }, () => `${pick(NAMES)} = ${value()}`).join('\n') + '\n',
        master:
          Array.from(
            { length: rnd(3) },
            (_, i) =>
              `s${i} unix - - n - - ${pick(['smtp', 'pipe', 'smtpd'])}` +
              words([` -o ${pick(NAMES)}=${value().replace(/ /g, '')}`], 3).join(''),
          ).join('\n') + '\n',
        args: pick([['-n'], [], ['-P'], ['-nx']]),
      };
    }
  }
}

const volatile = (s) =>
  s
    .split('\n')
    .filter((l) => !/^(process_id|mail_version|milter_macro_v) =/.test(l))
    .join('\n');
const lineSet = (s) => [...new Set(s.split('\n').filter(Boolean))].sort().join('\n');
let mismatches = 0;
for (let i = 0; i < Number(countArg); i++) {
  const c = generate();
  const dirs = [mkdtempSync(join(tmpdir(), 'fuzz-')), mkdtempSync(join(tmpdir(), 'fuzz-'))];
  for (const d of dirs) {
    writeFileSync(join(d, 'main.cf'), c.main, 'latin1');
    writeFileSync(join(d, 'master.cf'), c.master, 'latin1');
    utimesSync(join(d, 'main.cf'), new Date(0), new Date(0));
  }
  const real = spawnSync('/usr/sbin/postconf', ['-c', dirs[0], ...c.args], {
    argv0: 'postconf',
    encoding: 'latin1',
  });
  let out = '';
  let err = '';
  const status = postconfMain(
    ['-c', dirs[1], ...c.args],
    { out: (t) => (out += t), err: (t) => (err += t), progname: 'postconf' },
    {},
  );
  const same = (a, b) => a.split(dirs[1]).join('$D') === b.split(dirs[0]).join('$D');
  const files =
    readFileSync(join(dirs[0], 'main.cf'), 'latin1') === readFileSync(join(dirs[1], 'main.cf'), 'latin1');
  if (
    !same(volatile(out), volatile(real.stdout)) ||
    status !== real.status ||
    !files ||
    (status === 0 && !same(lineSet(err), lineSet(real.stderr)))
  ) {
    mismatches++;
    if (mismatches <= 3)
      console.log(
        JSON.stringify(
          {
            input: c,
            real: [real.status, real.stdout.slice(0, 500), real.stderr.slice(0, 500)],
            ours: [status, out.slice(0, 500), err.slice(0, 500)],
          },
          null,
          1,
        ),
      );
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
console.log(`${kind}: ${mismatches} mismatches in ${countArg} cases`);
process.exitCode = mismatches === 0 ? 0 : 1;
