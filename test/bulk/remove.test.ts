import type { Bundle, ZObject } from 'zapier-platform-core';
import { perform } from '../../creates/bulk_remove_members_from_access_group';
import { BulkMemory } from '../../src/bulk/memory';
import { bulkRemoveMembers, REMOVE_REASONS, REMOVE_STEP } from '../../src/bulk/remove';
import type { RemoveStatus } from '../../src/bulk/remove';
import type { BulkReport } from '../../src/bulk/state';
import { SotionClient } from '../../src/http/client';
import { useFastClock } from '../fast-clock';
import { api, appTester, headers, makeBundle, pageOf, PREFIX, uuid } from '../helpers';
import { fullMember } from '../member-fixtures';
import {
  countsOf,
  emailOf,
  entriesOf,
  existingMember,
  G1,
  groupPage,
  groupWith,
  idOf,
  lookup,
  MovableDeadline,
  removal,
} from './engine';

// Back-off before a retry is waited out on a clock that skips the waiting (test/fast-clock.ts).
useFastClock();

/**
 * bulkRemoveMembers: how each way of finding the members (the group's own list, the site's list,
 * look-ups) decides what each email comes back as, with the exact requests. Run through the step
 * (creates/bulk_remove_members_from_access_group.ts), whose output shows every result; the step's
 * input, stops, replays and results file are tested with the step.
 */

/** GET /members/{member n}: with its access groups (group numbers, 101 being G1). */
const memberRead = (n: number, groups: number[]) =>
  api()
    .get(`${PREFIX}/members/${idOf(n)}`)
    .reply(200, { data: fullMember(n, groups, { email: emailOf(n) }) }, headers('read'));

/** GET /members?email= finding nobody. */
const noMember = (email: string) =>
  api()
    .get(`${PREFIX}/members`)
    .query({ email, limit: '1' })
    .reply(200, pageOf([]), headers('lookup'));

const run = (input: Record<string, unknown>) =>
  appTester(perform, makeBundle({ access_group_id: G1, ...input }));

const rows = (out: Awaited<ReturnType<typeof run>>) =>
  out.results.map((r) => [r.email, r.source, r.status, r.memberId, r.reason]);

describe('bulkRemoveMembers: finding the members', () => {
  it("the group's own list: the ids at once, one DELETE per member in the group, a look-up for the others", async () => {
    groupWith(G1, 3);
    groupPage([1, 2, 9]);
    removal(1);
    removal(2);
    lookup(3);
    noMember(emailOf(4));
    const out = await run({
      emails: [[1, 2, 3, 4].map(emailOf).join(', '), emailOf(1).toUpperCase(), 'not-an-email'],
    });
    expect(rows(out)).toEqual([
      [emailOf(1), 'email list entry 1', 'removed', idOf(1), null],
      [emailOf(2), 'email list entry 1', 'removed', idOf(2), null],
      [emailOf(3), 'email list entry 1', 'not_in_group', idOf(3), `${REMOVE_REASONS.notInGroup}`],
      [emailOf(4), 'email list entry 1', 'not_a_member', null, REMOVE_REASONS.notAMember],
      [
        emailOf(1),
        'email list entry 2',
        'duplicate',
        null,
        'Not sent again: the same email is in email list entry 1.',
      ],
      ['not-an-email', 'email list entry 3', 'invalid', null, 'Not sent: the email has no @.'],
    ]);
    expect(out).toMatchObject({
      total: 6,
      removedCount: 2,
      notInGroupCount: 1,
      notAMemberCount: 1,
      invalidCount: 1,
      duplicateCount: 1,
      failedCount: 0,
      removedEmails: [emailOf(1), emailOf(2)],
      notInGroupEmails: [emailOf(3)],
      notAMemberEmails: [emailOf(4)],
      accessGroupIds: [G1],
      // The group, its one page, 2 DELETEs, 2 look-ups.
      apiRequests: 6,
      results_file: null,
    });
  });

  it("an empty group: nobody is in it, and the site's list tells members from non-members without a look-up", async () => {
    groupWith(G1, 0);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => existingMember(n))), headers());
    const out = await run({ emails: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(emailOf) });
    expect(out.results.map((r) => r.status)).toEqual([
      ...Array(8).fill('not_in_group'),
      'not_a_member',
      'not_a_member',
    ]);
    expect(out.results[0]?.memberId).toBe(idOf(0));
    expect(out.apiRequests).toBe(2);
  });

  it("look-ups when the group's list is longer than the emails: each member's groups are read before any DELETE", async () => {
    // 50 pages for 2 emails: a look-up and a read each cost less.
    groupWith(G1, 5_000);
    lookup(1);
    memberRead(1, [101, 102]);
    removal(1);
    lookup(2);
    memberRead(2, [102]);
    const out = await run({ emails: [1, 2].map(emailOf) });
    expect(rows(out)).toEqual([
      [emailOf(1), 'email list entry 1', 'removed', idOf(1), null],
      // Not in the group: no DELETE is sent, whatever Sotion would answer to one.
      [emailOf(2), 'email list entry 2', 'not_in_group', idOf(2), REMOVE_REASONS.notInGroup],
    ]);
    expect(out.apiRequests).toBe(6);
  });

  it('a member deleted between the look-up and the read is not a member', async () => {
    groupWith(G1, 5_000);
    lookup(1);
    api()
      .get(`${PREFIX}/members/${idOf(1)}`)
      .reply(404, { error: 'Not found' }, headers('gone'));
    const out = await run({ emails: [emailOf(1)] });
    expect(rows(out)).toEqual([
      [emailOf(1), 'email list entry 1', 'not_a_member', idOf(1), REMOVE_REASONS.deleted],
    ]);
  });
});

describe('bulkRemoveMembers: what is known before any request', () => {
  it('an input without a valid email sends no request, not even the group check', async () => {
    // "Never" fail: the output says what became of each email.
    const out = await run({ emails: ['not-an-email', 'example.com'], fail_when: 'never' });
    expect(rows(out)).toEqual([
      ['not-an-email', 'email list entry 1', 'invalid', null, 'Not sent: the email has no @.'],
      ['example.com', 'email list entry 2', 'invalid', null, 'Not sent: the email has no @.'],
    ]);
    expect(out).toMatchObject({ total: 2, invalidCount: 2, failedCount: 0, apiRequests: 0 });
  });

  /** What an earlier run of the step left in its memory (G1 checked, with `memberCount` members). */
  type Earlier = { memberCount: number; found: Array<{ n: number; paid?: boolean }> };

  /**
   * Runs bulkRemoveMembers directly on G1 for `emails`, replaying an earlier run of the same step
   * that checked the group and found members `found` in it (with Paid when given) before it stopped.
   */
  const replay = async (emails: string[], { memberCount, found }: Earlier) => {
    let report: BulkReport<RemoveStatus> | undefined;
    await appTester(async (z: ZObject, bundle: Bundle) => {
      const earlier = new BulkMemory(z, REMOVE_STEP.key, 'replayed input');
      earlier.setCheckedGroup(G1, memberCount);
      await earlier.save(
        [],
        found.map(({ n, paid }) => ({
          email: emailOf(n),
          memberId: idOf(n),
          ...(paid === undefined ? {} : { paid, status: 'active' as const }),
          groups: [G1],
        })),
      );
      report = await bulkRemoveMembers(
        new SotionClient(z, bundle, new MovableDeadline()),
        entriesOf(emails),
        { groupId: G1, memory: new BulkMemory(z, REMOVE_STEP.key, 'replayed input') },
      );
      return null;
    }, makeBundle({}));
    if (report === undefined) throw new Error('the step returned no report');
    return report;
  };

  const outcomes = (report: BulkReport<RemoveStatus>) =>
    report.results.map((r) => [r.email, r.status, r.memberId, r.reason]);

  it("counts only the members whose place in the group is unknown against the group's list", async () => {
    // 2 pages of the group's list against 1 member not known there: a look-up and a read instead.
    lookup(1);
    memberRead(1, [102]);
    removal(0);
    const report = await replay([emailOf(0), emailOf(1)], {
      memberCount: 150,
      found: [{ n: 0, paid: false }],
    });
    expect(outcomes(report)).toEqual([
      [emailOf(0), 'removed', idOf(0), null],
      [emailOf(1), 'not_in_group', idOf(1), REMOVE_REASONS.notInGroup],
    ]);
    expect(report).toMatchObject({ apiRequests: 3, lookups: 1, memberPages: 0, notSent: 0 });
  });

  it('needs no Paid: members known by their id alone are removed without being looked for', async () => {
    // Remembered with an id and their group, but not read (no Paid, no status).
    for (const n of [0, 1, 2]) removal(n);
    const report = await replay([0, 1, 2].map(emailOf), {
      memberCount: 3,
      found: [{ n: 0 }, { n: 1 }, { n: 2 }],
    });
    expect(outcomes(report)).toEqual([0, 1, 2].map((n) => [emailOf(n), 'removed', idOf(n), null]));
    expect(report).toMatchObject({ apiRequests: 3, lookups: 0, memberPages: 0 });
  });
});

describe('bulkRemoveMembers: what a DELETE answers', () => {
  it("tells the group's id from a member's groups whatever its case", async () => {
    // A group id with letters, given in capitals: Sotion's answers write it as they like.
    const group = uuid(0xabc);
    groupWith(group, 5_000);
    for (const [n, listed] of [
      [1, group],
      [2, group.toUpperCase()],
    ] as const) {
      lookup(n);
      api()
        .get(`${PREFIX}/members/${idOf(n)}`)
        .reply(
          200,
          {
            data: fullMember(n, [], {
              email: emailOf(n),
              accessGroups: [{ id: listed, name: 'Group abc' }],
            }),
          },
          headers('read'),
        );
      api()
        .delete(`${PREFIX}/access-groups/${group}/members/${idOf(n)}`)
        .reply(204, '', headers(`del${n}`));
    }
    const out = await run({ access_group_id: group.toUpperCase(), emails: [1, 2].map(emailOf) });
    expect(rows(out)).toEqual([
      [emailOf(1), 'email list entry 1', 'removed', idOf(1), null],
      [emailOf(2), 'email list entry 2', 'removed', idOf(2), null],
    ]);
    expect(out).toMatchObject({ accessGroupIds: [group], apiRequests: 7 });
  });

  const GONE =
    "The group's member list showed this member, but Sotion answered that it is no longer in the " +
    'group (HTTP 404, X-Request-Id: req-del1): it was removed meanwhile';
  it.each([
    ['is not called removed', false, `${GONE}.`],
    [
      "after a DELETE whose answer was lost may be this step's own removal, and says so",
      true,
      `${GONE}, perhaps by this step's own earlier request, whose answer was lost.`,
    ],
  ])(
    'a member the list showed but whom Sotion no longer has in the group (404) %s',
    async (_title, lostFirst, reason) => {
      groupWith(G1, 1);
      groupPage([1]);
      if (lostFirst) {
        api()
          .delete(`${PREFIX}/access-groups/${G1}/members/${idOf(1)}`)
          .reply(503, { error: 'Service unavailable' }, headers('del1-lost'));
      }
      removal(1, 404);
      const out = await run({ emails: [emailOf(1)] });
      expect(rows(out)).toEqual([
        [emailOf(1), 'email list entry 1', 'not_in_group', idOf(1), reason],
      ]);
      // The group, its page, the DELETE (and its resend).
      expect(out.apiRequests).toBe(lostFirst ? 4 : 3);
    },
  );
});

describe('REMOVE_STEP: the wording of a run that stopped', () => {
  const out = countsOf<RemoveStatus>;

  it('counts each outcome, naming the members not checked yet apart from those that failed', () => {
    expect(REMOVE_STEP.progress(out({ total: 1, removedCount: 1 }), {})).toBe(
      'Of 1 email: 1 removed, 0 not in the group, 0 not members.',
    );
    expect(
      REMOVE_STEP.progress(
        out({
          total: 12_000,
          removedCount: 2,
          notInGroupCount: 1,
          notAMemberCount: 1,
          invalidCount: 1,
          duplicateCount: 2,
          failedCount: 5,
        }),
        { notSent: 3 },
      ),
    ).toBe(
      'Of 12,000 emails: 2 removed, 1 not in the group, 1 not members, 1 invalid, 2 duplicates in the input, 3 not checked yet, 2 failed.',
    );
  });

  it('what is left undone: the members not checked', () => {
    const report = (notSent: number): BulkReport<RemoveStatus> => ({
      results: [],
      apiRequests: 0,
      notSent,
      lookups: 0,
      memberPages: 0,
      isolated: 0,
    });
    expect(REMOVE_STEP.leftUndone(report(2))).toEqual(['checking 2 members']);
    expect(REMOVE_STEP.leftUndone(report(1))).toEqual(['checking 1 member']);
    expect(REMOVE_STEP.leftUndone(report(0))).toEqual([]);
  });
});
