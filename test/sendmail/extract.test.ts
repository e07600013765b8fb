// sendmail -t recipient extraction: To/Cc/Bcc, or only Resent-* when present; RFC 5322
// address lists with display names, groups, comments and quoted local parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from '../../src/master/header-block.js';
import { recipientsFromHeaders } from '../../src/sendmail/extract-recipients.js';
import { extractAddresses } from '../../src/sendmail/address-list.js';

const fromHeader = (text: string): string[] => recipientsFromHeaders(parseHeaderBlock(text).fields);

test('To, Cc and Bcc with folding', () => {
  assert.deepEqual(
    fromHeader(
      'From: me\nTo: a@x.example, "B, Person" <b@x.example>\nCc: c@x.example\n (comment)\nBcc: d\nSubject: s\n\nTo: not@header\n',
    ),
    ['a@x.example', 'b@x.example', 'c@x.example', 'd'],
  );
});

test('Resent-* headers replace To/Cc/Bcc', () => {
  assert.deepEqual(fromHeader('To: old@x\nResent-To: new@x\nResent-Bcc: hidden@x\nCc: oldcc@x\n\n'), [
    'new@x',
    'hidden@x',
  ]);
});

test('address lists: groups, comments, quoted local parts, source routes', () => {
  assert.deepEqual(extractAddresses('team: a@x, B <b@x>;, c@x (Carol)'), ['a@x', 'b@x', 'c@x']);
  assert.deepEqual(extractAddresses('"odd,local"@x, <@relay:d@x>'), ['"odd,local"@x', 'd@x']);
  assert.deepEqual(extractAddresses('undisclosed-recipients:;'), []);
});
