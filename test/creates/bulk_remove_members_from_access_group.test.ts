import { parse } from 'csv-parse/sync';
import nock from 'nock';
import { perform } from '../../creates/bulk_remove_members_from_access_group';
import { REMOVE_REASONS } from '../../src/bulk/remove';
import {
  api,
  appTester,
  group,
  groupListRead,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { emailOf, G1, groupPage, groupWith, idOf, removal, THROTTLED } from '../bulk/engine';
import { mockStash, STASH_UPLOAD } from '../stash-rpc';
import { useFastClock } from '../fast-clock';

// Back-off before a retry is waited out on a clock that skips the waiting (test/fast-clock.ts).
useFastClock();

/**
 * Bulk Remove Members From Access Group: the exact requests of each way of finding members (the
 * group's own list, the site's list, look-ups), what each email comes back as, and replays that
 * go on from the step memory.
 */

const DONE_EARLIER = 'Done by an earlier run of this step; not sent again.';

const run = (input: Record<string, unknown>) =>
  appTester(perform, makeBundle({ access_group_id: G1, ...input }));

const rows = (out: Awaited<ReturnType<typeof run>>) =>
  out.results.map((r) => [r.email, r.source, r.status, r.memberId, r.reason]);

describe('bulk_remove_members_from_access_group: input', () => {
  it.each([
    [
      { access_group_id: undefined, emails: ['a@example.com'] },
      'Access Group is required: pick an access group from the dropdown or map its ID.',
    ],
    [
      {},
      'No members to remove: fill in Members line items, Emails or CSV File, for example `ada@example.com`.',
    ],
    [
      { emails: ['a@example.com'], fail_when: 'sometimes' },
      'Fail the Step When must be one of its choices: "A member could not be removed", "A member could not be removed or an email is invalid" or "Never (report every problem in the output)"; it was "sometimes". Pick one from the dropdown.',
    ],
  ])('refuses %j before any request', async (input, message) => {
    expect(messageOf(await rejection(run(input)))).toBe(message);
  });

  it('refuses a scope group before any removal, in removal words', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G1}`)
      .reply(200, { data: group(101, { id: G1, name: 'Notion DB', type: 'scope' }) }, headers());
    expect(messageOf(await rejection(run({ emails: [emailOf(1)] })))).toBe(
      `Access group "Notion DB" (${G1}) is a scope group, managed from a Notion collection; members cannot be removed from it through the API. Choose custom groups only.`,
    );
  });

  it('reads line items by their email only: a display name or Paid there changes nothing', async () => {
    groupWith(G1, 1);
    groupPage([1]);
    removal(1);
    const out = await run({
      members: [{ email: `Ada <${emailOf(1)}>`, display_name: 'x'.repeat(300), paid: 'perhaps' }],
    });
    expect(rows(out)).toEqual([[emailOf(1), 'line item 1', 'removed', idOf(1), null]]);
  });
});

describe('bulk_remove_members_from_access_group: stops and replays', () => {
  it('a rate limit part way hands the step back to Zapier; the replay goes on from where the list stopped', async () => {
    groupWith(G1, 150);
    groupPage([1, ...Array.from({ length: 99 }, (_, i) => 100 + i)], undefined, 'c1');
    groupListRead(G1, 'c1').reply(...THROTTLED);
    const input = { emails: [emailOf(1), emailOf(2)] };
    const error = await rejection(run(input));
    expect([error.name, messageOf(error)]).toEqual([
      'ThrottledError',
      "Sotion's rate limit stopped Bulk Remove Members From Access Group part way. Of 2 emails: 0 removed, 0 not in the group, 0 not members, 2 not checked yet. Replaying the step is safe: it goes on where this run stopped, and reports members it removed as removed.",
    ]);
    // The replay: no group check, the list from its second page, then the two DELETEs.
    groupPage([2], 'c1');
    removal(1);
    removal(2);
    const out = await run(input);
    expect(rows(out)).toEqual([
      [emailOf(1), 'email list entry 1', 'removed', idOf(1), null],
      [emailOf(2), 'email list entry 2', 'removed', idOf(2), null],
    ]);
    expect(out.apiRequests).toBe(3);
  });

  it('a DELETE failing with 5xx fails the step naming the member; the replay sends only that one', async () => {
    groupWith(G1, 2);
    groupPage([1, 2]);
    removal(1);
    removal(2, 503, 4);
    const input = { emails: [emailOf(1), emailOf(2)] };
    const error = await rejection(run(input));
    expect(messageOf(error)).toMatch(
      new RegExp(
        `^Bulk Remove Members From Access Group could not remove 1 member: ${emailOf(2)} \\(email list entry 2\\): .*HTTP 503.*req-del2.* Of 2 emails: 1 removed, 0 not in the group, 0 not members, 1 failed\\. Replaying the step is safe`,
      ),
    );
    // The replay: what the list said of member 2 is remembered, so only its DELETE is sent.
    removal(2);
    const out = await run(input);
    expect(rows(out)).toEqual([
      [emailOf(1), 'email list entry 1', 'removed', idOf(1), DONE_EARLIER],
      [emailOf(2), 'email list entry 2', 'removed', idOf(2), null],
    ]);
    expect(out.apiRequests).toBe(1);
    // A third run has nothing left to send, and still says what the step did.
    const again = await run(input);
    expect(again.removedCount).toBe(2);
    expect(again.apiRequests).toBe(0);
  });

  it('more than 100 results: results_file holds every email and its outcome', async () => {
    const emails = Array.from({ length: 120 }, (_, i) => `gone${i}@example.com`);
    groupWith(G1, 0);
    api().get(`${PREFIX}/members`).query({ limit: '100' }).reply(200, pageOf([]), headers());
    const uploads = mockStash();
    const out = await run({ emails });
    expect(out).toMatchObject({
      notAMemberCount: 120,
      apiRequests: 2,
      results_file: `${STASH_UPLOAD}stash-1.csv`,
    });
    expect(uploads[0]?.filename).toMatch(/^bulk_remove_members_from_access_group-results-/);
    const lines = parse(uploads[0]?.content ?? Buffer.alloc(0), { bom: true }) as string[][];
    expect(lines).toHaveLength(121);
    expect(lines[1]).toEqual([
      'email list entry 1',
      'gone0@example.com',
      'not_a_member',
      '',
      REMOVE_REASONS.notAMember,
    ]);
  });
});

describe('bulk_remove_members_from_access_group: a CSV File', () => {
  it('reads only the email column, never sends the key to the file host, and lists unreadable rows by line', async () => {
    nock('https://files.example.com', { badheaders: ['authorization'] })
      .get('/cancelled.csv')
      .reply(
        200,
        `Email,Name,Paid\n${emailOf(1)},${'x'.repeat(300)},perhaps\n"${emailOf(2)},a,b,c\n`,
      );
    groupWith(G1, 1);
    groupPage([1]);
    removal(1);
    const out = await run({ csv_file: 'https://files.example.com/cancelled.csv' });
    expect(rows(out)).toEqual([
      [emailOf(1), 'CSV line 2', 'removed', idOf(1), null],
      [
        '',
        'CSV line 3',
        'invalid',
        null,
        'Not sent: this row could not be read: a double quote opened on line 3 is never closed, so lines 3 to 3 (the end of the file) could not be read; close the quote or remove it.',
      ],
    ]);
  });
});
