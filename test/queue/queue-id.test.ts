// Queue ID forms (Postfix mail_queue.h): short = 5 hex digits of microseconds + inode in hex;
// long = base-52 seconds, 4 base-52 microsecond digits, "z", base-51 inode. Real Postfix IDs
// are decoded against their files' inodes in postfix-oracle.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isQueueId,
  makeQueueId,
  messageIdFor,
  parseQueueId,
  queueIdForInode,
} from '../../src/queue/queue-id.js';

test('short IDs: upper-case hex, microseconds padded to 5 digits, then the inode', () => {
  const id = makeQueueId(0x20c50fn, false, { seconds: 1795779223, micros: 0xbe9c2 });
  assert.equal(id, 'BE9C220C50F');
  assert.equal(makeQueueId(1, false, { seconds: 0, micros: 5 }), '000051');
  assert.deepEqual(parseQueueId('BE9C220C50F'), { long: false, inode: 0x20c50fn, micros: 0xbe9c2 });
});

test('long IDs: base-52 seconds and microseconds, z, base-51 inode; round trip', () => {
  const when = { seconds: 1795779240, micros: 123456 };
  const id = makeQueueId(2164783, true, when);
  assert.match(id, /^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+$/);
  const p = parseQueueId(id)!;
  assert.equal(p.long, true);
  assert.equal(p.inode, 2164783n);
  assert.equal(p.micros, 123456);
  assert.equal(p.seconds, 1795779240);
  // An ID seen from real Postfix 3.7 in this repository's oracle run.
  assert.equal(parseQueueId('4jbWmS1CcgzJHTY')?.long, true);
});

test('non-IDs are rejected (so stray files in queue directories are ignored)', () => {
  for (const name of ['', 'ALL', 'all', 'NOSUCHID', '.tmp', 'abc', '12345', 'FFFFF1', 'D']) {
    assert.equal(isQueueId(name), false, name);
  }
  assert.equal(isQueueId('F423F1'), true);
});

test('IDs are unique while files exist: different inodes never collide, even in the same microsecond', () => {
  const when = { seconds: 1, micros: 999999 };
  const seen = new Set<string>();
  for (let ino = 1; ino < 5000; ino++) {
    seen.add(makeQueueId(ino, false, when));
    seen.add(makeQueueId(ino, true, when));
  }
  assert.equal(seen.size, 2 * 4999);
});

test('Message-Id: short form "<YYYYMMDDHHMMSS.ID@host>" in UTC; long form "<ID@host>"', () => {
  const created = new Date(Date.UTC(2026, 10, 27, 10, 0, 0));
  assert.equal(messageIdFor('3F2A1B2C3D', 'pc.example', created), '<20261127100000.3F2A1B2C3D@pc.example>');
  assert.equal(messageIdFor('3Pt2mN2VXxznjll', 'pc.example', created), '<3Pt2mN2VXxznjll@pc.example>');
});

test('postsuper -s renaming keeps the time digits and puts in the new inode', () => {
  assert.equal(queueIdForInode('BE9C220C50F', 0xabcn, false), 'BE9C2ABC');
  const long = makeQueueId(5, true, { seconds: 1795779240, micros: 7 });
  const renamed = queueIdForInode(long, 77, true)!;
  assert.equal(parseQueueId(renamed)?.inode, 77n);
  assert.equal(renamed.slice(0, long.lastIndexOf('z')), long.slice(0, long.lastIndexOf('z')));
});
