// Differential tests: Outpost's cidr: driver against real Postfix `postmap -q` on the same
// tables and keys, comparing results and warning lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasPostfix, needPeer } from '../helpers/peers.js';
import { open } from '../../src/maps/cidr.js';
import { TableError } from '../../src/maps/types.js';
import { differentialCases, driverQuery, postmapQuery, type PatternCase } from './pattern-oracle.js';

const cases: PatternCase[] = [
  {
    title: 'IPv4 and IPv6 networks, plain addresses, brackets, first match wins',
    rules: [
      '192.168.1.1 host-exact',
      '192.168.0.0/16 rfc1918-192',
      '10.0.0.0/8 ten',
      '[172.16.0.0]/12 bracket-mask-outside',
      '[100.64.0.0/10] bracket-mask-inside',
      '[203.0.113.7] bracket-host',
      '2001:db8::1 v6-host',
      '[2001:db8::]/32 v6-doc',
      '[fe80::/10] link-local',
      '::1 loopback6',
      '::ffff:0:0/96 v4-mapped',
      '0.0.0.0/0 any-v4',
      '::/0 any-v6',
    ],
    keys: [
      '192.168.1.1',
      '192.168.7.9',
      '10.255.255.255',
      '172.31.0.1',
      '172.32.0.1',
      '100.127.1.1',
      '203.0.113.7',
      '2001:db8::1',
      '2001:0db8:0::1',
      '2001:DB8:FFFF::9',
      'fe80::1',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:10.1.2.3',
      '::ffff:a01:203',
      '8.8.8.8',
      '2a00::1',
      '[192.168.1.1]',
      'not-an-address',
      '192.168.01.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0',
      '::ffff:1.2.3.04',
      '1:2:3:4:5:6:1.2.3.4',
    ],
  },
  {
    title: 'negation and if/endif (Postfix 3.2+)',
    rules: [
      'if 192.0.2.0/24',
      '!192.0.2.128/25 low-half',
      'endif',
      'if !198.51.100.0/24',
      'IF 10.0.0.0/8',
      '!10.1.0.0/16 ten-not-10-1',
      'ENDIF',
      'endif',
      '!2001:db8::/32 not-doc-v6',
      '! ! 10.1.2.3 double-negation',
      '0.0.0.0/0 fallback',
    ],
    keys: [
      '192.0.2.5',
      '192.0.2.200',
      '10.2.0.1',
      '10.1.2.3',
      '10.1.9.9',
      '198.51.100.9',
      '2001:db8::5',
      '2a00::5',
    ],
  },
  {
    title: 'bad rules: host bits, masks, addresses, brackets, if/endif misuse',
    inline: false,
    rules: [
      '1.2.3.1/24 host-bits',
      '2001:db8::1/32 host-bits-v6',
      '::ffff:1.2.3.4/100 host-bits-mapped',
      '1.2.3.4/33 too-long',
      '1.2.3.4/x bad-mask',
      '1.2.3.4/ empty-mask',
      '/8 no-network',
      '1.2.3.4/08 octal-looking-mask',
      '2001:db8::/129 too-long-v6',
      '[1.2.3.4 missing-bracket',
      '[1.2.3.4]x garbage',
      '1.2.3.04 leading-zero',
      '1.2.3.4',
      'bogus e',
      '1.2.3.256/32 bad-network',
      'ifx',
      'if',
      '!',
      'if 1.2.3.4 extra',
      'endif x',
      'endif',
      'fe80::1%eth0 zone',
      '0.0.0.0/0 ok',
      'if 9.9.9.9',
      '::/0 inside-unclosed-if',
    ],
    keys: ['1.2.3.4', '2001:db8::1', '9.9.9.9'],
  },
  {
    title: 'continuation lines, comments, a leading-whitespace line, spacing in results',
    inline: false,
    rules: [
      '  10.0.0.1 leading-whitespace',
      '10.0.0.1 part1',
      '  part2',
      '# comment',
      '\tpart3',
      '10.0.0.2\t  tabbed   value  ',
    ],
    keys: ['10.0.0.1', '10.0.0.2'],
  },
];

const box = differentialCases('cidr', open, cases);

test('cidr: unreadable file and broken inline form are TableErrors', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  for (const name of ['{{1.2.3.4 a}', join(box.dir, 'missing.cidr'), box.dir]) {
    const expected = postmapQuery(box.configDir, `cidr:${name}`, ['1.2.3.4']);
    await assert.rejects(open(name, { warn: () => {} }), (e: unknown) => {
      assert.ok(e instanceof TableError);
      assert.equal(e.message, expected.fatal);
      return true;
    });
  }
});

test('cidr: host-bit warnings print the network as glibc inet_ntop() does', async (t) => {
  if (!needPeer(t, 'postfix', hasPostfix())) return;
  // Each rule has host bits set, so the warning shows Postfix's suggested network.
  const rules = [
    '2001:db8:0:0:1:0:0:1/127 a',
    '2001:db8:0:0:1:0:0:1/80 b',
    '0:0:0:0:0:ffff:102:304/100 c',
    '::102:304/100 d',
    '::1/127 e',
    '::1/1 f',
    '1:0:2:0:3:0:4:1/127 g',
    '1:0:0:2:0:0:3:1/127 h',
    'FE80:0000::0001/64 i',
    '::ffff:0:1/95 j',
    '::1:0:0:1/127 k',
    '10.1.2.3/0 l',
  ];
  const file = join(box.dir, 'ntop.cidr');
  writeFileSync(file, rules.map((r) => `${r}\n`).join(''));
  const expected = postmapQuery(box.configDir, `cidr:${file}`, ['::1']);
  assert.equal(expected.warnings.length, rules.length);
  assert.deepEqual(await driverQuery(open, file, ['::1']), expected);
});
