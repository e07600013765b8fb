// Shared by the restriction tests that compare Outpost with a private real Postfix
// (access.test.ts, unlisted.test.ts): the same dialogue against both, the replies with
// Outpost's known differences removed, and each side's restriction log lines.
import assert from 'node:assert/strict';
import type { PostfixOracle } from './postfix-oracle.js';
import type { OutpostUnderTest } from './outpost-server.js';
import { dialogue } from './smtp-dialogue.js';

/** Replies with Outpost's known differences (no ETRN/CHUNKING, its own queue IDs) removed. */
export function normalizeReplies(replies: string[]): string[] {
  return replies.map((r) =>
    r
      .replace(/ ESMTP Postfix.*$/, ' ESMTP')
      .replace(/\r\n250-ETRN/, '')
      .replace(/\r\n250 CHUNKING$/, '')
      .replace(/\r\n250 SMTPUTF8$/, '\r\n250-SMTPUTF8')
      .replace(/queued as \S+/, 'queued as ID'),
  );
}

/** Runs `steps` against service `service` of both; asserts the same replies and returns them. */
export async function compareReplies(
  postfix: PostfixOracle,
  outpost: OutpostUnderTest,
  service: string,
  steps: string[],
): Promise<string[]> {
  const expected = normalizeReplies(await dialogue(postfix.endpoints[service]!, steps));
  const actual = normalizeReplies(await dialogue(outpost.endpoint, steps));
  assert.deepEqual(actual, expected);
  return actual;
}

/**
 * The smtpd log lines restrictions write (the actions in `kinds`, warnings, DSN mapping), from
 * both logs, without process details. Each Postfix service logs as postfix/<service>/smtpd.
 * Postfix opens its queue file at the first accepted RCPT and then logs the queue ID where
 * Outpost (which hands over at DATA) still says NOQUEUE, so both become NOQUEUE.
 */
export async function restrictionLogs(
  postfix: PostfixOracle,
  outpost: OutpostUnderTest,
  service: string,
  kinds: string[],
): Promise<{ ours: string[]; theirs: string[] }> {
  const wanted = new RegExp(`(: (${kinds.join('|')}): )|warning: |mapping DSN`);
  const pick = (log: string, tag: string): string[] =>
    log
      .split('\n')
      .filter((l) => l.includes(` ${tag}[`))
      .map((l) => l.replace(/^.*smtpd\[\d+\]: /, '').replace(/^[0-9A-F]{8,}: /, 'NOQUEUE: '))
      .filter((l) => wanted.test(l));
  await new Promise((r) => setTimeout(r, 300));
  return {
    ours: pick(await outpost.maillog(), 'postfix/smtpd'),
    theirs: pick(await postfix.maillog(), `postfix/${service}/smtpd`),
  };
}
