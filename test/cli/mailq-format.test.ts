// mailq layout cases the real-Postfix comparison cannot produce on demand: the active-queue
// marker, a reason longer than the 76-column right alignment, "reason unavailable" after a
// recipient with a reason, and JSON escaping. Expected text follows Postfix 3.7's
// showq_compat.c / showq_json.c formats ("%-11s %7ld %20.20s %s", padding = 76 - strlen).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJsonEntry, formatMailqEntry, jsonQuote, quoteLocalPart } from '../../src/cli/mailq-format.js';
import type { QueueListingEntry } from '../../src/queue/queue-listing.js';

const base: QueueListingEntry = {
  queueName: 'active',
  queueId: 'BE9C220C50F',
  arrivalTime: Math.floor(new Date(2026, 10, 7, 9, 5, 1).getTime() / 1000),
  messageSize: 266,
  forcedExpire: false,
  sender: 'alice@example.com',
  recipients: [],
};

test('active marker, day padding, long reason, reason unavailable', () => {
  const long = 'x'.repeat(80);
  const out = formatMailqEntry(
    {
      ...base,
      recipients: [
        { address: 'a@example.net', reason: long },
        { address: 'b@example.net', reason: long },
        { address: 'c@example.net', reason: '' },
      ],
    },
    false,
  );
  const pad = ' '.repeat(41);
  assert.equal(
    out,
    `BE9C220C50F*     266 Sat Nov  7 09:05:01  alice@example.com\n` +
      `(${long})\n${pad}a@example.net\n${pad}b@example.net\n` +
      `${' '.repeat(76 - 18)}(reason unavailable)\n${pad}c@example.net\n`,
  );
});

test('hold + force-expired markers stack; long-ID layout', () => {
  const out = formatMailqEntry(
    { ...base, queueName: 'hold', forcedExpire: true, queueId: '4jbWmS1CcgzJHTY' },
    true,
  );
  assert.equal(out, '4jbWmS1CcgzJHTY!#      266 Sat Nov  7 09:05:01 alice@example.com\n');
});

test('addresses: null sender, quoted local parts, control characters', () => {
  assert.equal(quoteLocalPart('john doe@example.com'), '"john doe"@example.com');
  assert.equal(quoteLocalPart('a"b@example.com'), '"a\\"b"@example.com');
  assert.equal(quoteLocalPart('plain.name+tag@example.com'), 'plain.name+tag@example.com');
  assert.equal(jsonQuote('a\tb\u0001c\u007f"\\'), 'a\\tb\\u0001c\\u007F\\"\\\\');
  const json = formatJsonEntry({
    ...base,
    queueName: 'deferred',
    sender: '',
    recipients: [{ address: 'x@y', reason: '' }],
  });
  assert.equal(
    json,
    `{"queue_name": "deferred", "queue_id": "BE9C220C50F", "arrival_time": ${base.arrivalTime}, "message_size": 266, ` +
      `"forced_expire": false, "sender": "MAILER-DAEMON", "recipients": [{"address": "x@y"}]}\n`,
  );
});
