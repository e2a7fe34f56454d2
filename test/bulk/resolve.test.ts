/**
 * The resolving phase (src/bulk/resolve.ts): how existing members are found (the chosen groups'
 * lists, the site's member list, look-ups) and where list reads go on in a later run. The engine
 * runs directly on a client whose deadline the test moves, so counters and requests are exact.
 */
import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { BulkMemory } from '../../src/bulk/memory';
import {
  groupListPages,
  inGroup,
  isResolved,
  lookUpMember,
  MEMBER_LIST,
  onSite,
  positionRefused,
  resolveMembers,
} from '../../src/bulk/resolve';
import { BulkRun } from '../../src/bulk/state';
import { SotionClient } from '../../src/http/client';
import { UPDATE_EXISTING } from '../../src/bulk/settle';
import { errorInfo, withInfo } from '../../src/http/errors';
import {
  api,
  appTester,
  groupListRead,
  headers,
  makeBundle,
  pageOf,
  PREFIX,
  uuid,
} from '../helpers';
import { fullMember, listedMember } from '../member-fixtures';
import {
  bulk,
  bulkAnswers,
  emailOf,
  entriesOf,
  existingMember,
  G1,
  G2,
  groupAdd,
  groupList,
  groupWith,
  idOf,
  IN_EVERY_GROUP,
  lookup,
  memberWith,
  MovableDeadline,
  NOTHING_TO_CHANGE,
  ADDED_TO_ONE,
  newEmail,
  newMember,
  outcomes,
  range,
  runEngine,
  statuses,
  STOPPED,
  THROTTLED,
} from './engine';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

describe('bulk resolve: reading the chosen groups', () => {
  const four = range(4);

  it("stops reading a group's list at the page where the last wanted member shows up", async () => {
    groupWith(G1, 150);
    bulkAnswers(entriesOf(four.map(emailOf)), new Set(four.map(emailOf)), [G1]);
    groupListRead(G1).reply(
      200,
      pageOf(
        four.map((n) => existingMember(n)),
        'c1',
      ),
      headers(),
    );
    const report = await runEngine(entriesOf(four.map(emailOf)), { groupIds: [G1] });
    expect(outcomes(report)).toEqual(
      four.map((n) => [emailOf(n), 'existing', idOf(n), IN_EVERY_GROUP]),
    );
    // The group, the bulk request, one page: not the second page the list announced.
    expect(report.apiRequests).toBe(3);
  });

  it("reads the next page of a group's list while wanted members are still missing", async () => {
    groupWith(G1, 150);
    bulkAnswers(entriesOf(four.map(emailOf)), new Set(four.map(emailOf)), [G1]);
    groupListRead(G1).reply(200, pageOf([existingMember(0), existingMember(1)], 'c1'), headers());
    groupListRead(G1, 'c1').reply(200, pageOf([existingMember(2), existingMember(3)]), headers());
    const report = await runEngine(entriesOf(four.map(emailOf)), { groupIds: [G1] });
    expect(outcomes(report)).toEqual(
      four.map((n) => [emailOf(n), 'existing', idOf(n), IN_EVERY_GROUP]),
    );
    expect(report.apiRequests).toBe(4);
    expect(report.lookups).toBe(0);
  });

  it("looks one existing member up rather than reading the group's list next to one new member", async () => {
    const entries = entriesOf([newEmail(0), emailOf(0)]);
    groupWith(G1, 0);
    bulkAnswers(entries, new Set([emailOf(0)]), [G1]);
    lookup(0);
    groupAdd(G1, 0);
    const report = await runEngine(entries, { groupIds: [G1] });
    expect(outcomes(report)).toEqual([
      [newEmail(0), 'created', uuid(3000), null],
      [emailOf(0), 'added_to_groups', idOf(0), ADDED_TO_ONE],
    ]);
    expect(report.apiRequests).toBe(4);
    expect(report.lookups).toBe(1);
  });

  it("looks existing members up rather than reading the group's list when this run created more than it found", async () => {
    const entries = entriesOf([newEmail(0), newEmail(1), newEmail(2), emailOf(0), emailOf(1)]);
    groupWith(G1, 0);
    bulkAnswers(entries, new Set([emailOf(0), emailOf(1)]), [G1]);
    lookup(0);
    lookup(1);
    groupAdd(G1, 0);
    groupAdd(G1, 1);
    const report = await runEngine(entries, { groupIds: [G1] });
    expect(outcomes(report).slice(3)).toEqual([
      [emailOf(0), 'added_to_groups', idOf(0), ADDED_TO_ONE],
      [emailOf(1), 'added_to_groups', idOf(1), ADDED_TO_ONE],
    ]);
    expect(report.apiRequests).toBe(6);
    expect(report.lookups).toBe(2);
  });

  it("reads the group's list when this run created as many members as it found existing", async () => {
    const entries = entriesOf([newEmail(0), newEmail(1), emailOf(0), emailOf(1)]);
    groupWith(G1, 1);
    bulkAnswers(entries, new Set([emailOf(0), emailOf(1)]), [G1]);
    groupListRead(G1).reply(
      200,
      pageOf([newMember(0), newMember(1), existingMember(0)]),
      headers(),
    );
    lookup(1);
    groupAdd(G1, 1);
    const report = await runEngine(entries, { groupIds: [G1] });
    expect(outcomes(report).slice(2)).toEqual([
      [emailOf(0), 'existing', idOf(0), IN_EVERY_GROUP],
      [emailOf(1), 'added_to_groups', idOf(1), ADDED_TO_ONE],
    ]);
    expect(report.apiRequests).toBe(5);
    expect(report.lookups).toBe(1);
  });

  it('keeps the first fatal error of two failing group lists, and reads no member list after it', async () => {
    const entries = entriesOf(four.map(emailOf));
    groupWith(G1, 10);
    groupWith(G2, 10);
    bulkAnswers(entries, new Set(four.map(emailOf)), [G1, G2]);
    groupListRead(G1).reply(403, { error: 'forbidden' }, headers('g1'));
    groupListRead(G2).delay(300).reply(401, { error: 'unauthorized' }, headers('g2'));
    const report = await runEngine(entries, { groupIds: [G1, G2] });
    expect(errorInfo(report.fatal)?.status).toBe(403);
    expect(outcomes(report)).toEqual(four.map((n) => [emailOf(n), 'failed', null, STOPPED]));
    expect(report.groupsUnchecked).toBe(4);
    // Two groups, the bulk request, the two lists: no member list, no look-up.
    expect(report.apiRequests).toBe(5);
    expect(report.memberPages).toBe(0);
  });
  it('reads no group list once a batch has stopped the step', async () => {
    const emails = range(501).map(emailOf);
    const entries = entriesOf(emails);
    groupWith(G1, 10);
    // The first batch: 500 members who all exist; the second (one member) meets a revoked key.
    bulkAnswers(entries.slice(0, 500), new Set(emails), [G1]);
    api()
      .post(`${PREFIX}/members/bulk`, { members: [{ email: emailOf(500) }], accessGroupIds: [G1] })
      .reply(401, { error: 'unauthorized' }, headers('revoked'));
    const report = await runEngine(entries, { groupIds: [G1] });
    expect(errorInfo(report.fatal)?.status).toBe(401);
    expect(report.groupsUnchecked).toBe(500);
    expect(outcomes(report).slice(0, 1)).toEqual([[emailOf(0), 'failed', null, STOPPED]]);
    // The group and the two batches: no page of the group's list after the step stopped.
    expect(report.apiRequests).toBe(3);
  });
});

describe("bulk resolve: reading the site's member list", () => {
  const setPaid = { updateExisting: UPDATE_EXISTING.paid };

  it('reads the member list instead of three look-ups when three existing members are missing', async () => {
    const entries = entriesOf(range(3).map(emailOf));
    bulkAnswers(entries, new Set(range(3).map(emailOf)));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([newMember(9), ...range(3).map((n) => existingMember(n))]), headers());
    const report = await runEngine(entries, setPaid);
    expect(outcomes(report)).toEqual(
      range(3).map((n) => [emailOf(n), 'existing', idOf(n), NOTHING_TO_CHANGE]),
    );
    expect(report.apiRequests).toBe(2);
    expect(report.memberPages).toBe(1);
    expect(report.lookups).toBe(0);
  });

  it('past a page of new members, stops reading once the pages read outnumber the members still missing', async () => {
    const news = range(100).map(newEmail);
    const four = range(4);
    const entries = entriesOf([...news, ...four.map(emailOf)]);
    bulkAnswers(entries, new Set(four.map(emailOf)));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf(range(100).map(newMember), 'c1'), headers());
    // Four pages of other members: then four look-ups cost no more than more pages.
    for (const page of [1, 2, 3, 4]) {
      api()
        .get(`${PREFIX}/members`)
        .query({ limit: '100', after: `c${page}` })
        .reply(200, pageOf([listedMember(500 + page)], `c${page + 1}`), headers());
    }
    for (const n of four) lookup(n);
    const report = await runEngine(entries, setPaid);
    expect(outcomes(report).slice(100)).toEqual(
      four.map((n) => [emailOf(n), 'existing', idOf(n), NOTHING_TO_CHANGE]),
    );
    expect(report.memberPages).toBe(5);
    expect(report.lookups).toBe(4);
    expect(report.apiRequests).toBe(1 + 5 + 4);
  });

  it('stops reading the member list at the page where the last missing member shows up, even among new members', async () => {
    const news = range(200).map(newEmail);
    const five = range(5);
    const entries = entriesOf([...news, ...five.map(emailOf)]);
    bulkAnswers(entries, new Set(five.map(emailOf)));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(
        200,
        pageOf([...five.map((n) => existingMember(n)), ...range(95).map(newMember)], 'c1'),
        headers(),
      );
    const report = await runEngine(entries, setPaid);
    expect(outcomes(report).slice(200)).toEqual(
      five.map((n) => [emailOf(n), 'existing', idOf(n), NOTHING_TO_CHANGE]),
    );
    expect(report.memberPages).toBe(1);
    expect(report.lookups).toBe(0);
    expect(report.apiRequests).toBe(2);
  });

  it('with Add Existing off, Set Paid PATCHes only a Paid that differs, adds to no group and unblocks nobody', async () => {
    const entries = entriesOf(range(3).map(emailOf), [true, undefined, true]);
    groupWith(G1, 0);
    bulkAnswers(entries, new Set(range(3).map(emailOf)), [G1]);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(
        200,
        pageOf([
          existingMember(0, { paid: false }),
          existingMember(1, { paid: false }),
          existingMember(2, { paid: true, status: 'blocked' }),
        ]),
        headers(),
      );
    api()
      .patch(`${PREFIX}/members/${idOf(0)}`, { paid: true })
      .reply(200, { data: fullMember(0, [], { email: emailOf(0), paid: true }) }, headers());
    const report = await runEngine(entries, {
      groupIds: [G1],
      addExistingToGroups: false,
      updateExisting: UPDATE_EXISTING.paid,
    });
    expect(outcomes(report)).toEqual([
      [emailOf(0), 'updated', idOf(0), 'Already a member; Paid set to true.'],
      [emailOf(1), 'existing', idOf(1), NOTHING_TO_CHANGE],
      [emailOf(2), 'existing', idOf(2), NOTHING_TO_CHANGE],
    ]);
    expect(report.apiRequests).toBe(4);
  });
});

describe("bulk resolve: reading the groups' member lists", () => {
  it('reads the group list when the existing members outnumber the ones this run created (invalid emails do not count)', async () => {
    groupWith(G1, 1);
    bulk(
      ['new@example.com', 'e1@example.com', 'e2@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict' },
      [G1],
    );
    groupList(G1, [
      listedMember(0, { id: uuid(5000), email: 'new@example.com' }),
      memberWith(1, 'e1@example.com'),
    ]);
    lookup(2, 'e2@example.com');
    groupAdd(G1, 2);
    const report = await runEngine(
      entriesOf(['new@example.com', 'e1@example.com', 'e2@example.com', 'not-an-email']),
      { groupIds: [G1] },
    );
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      ['new@example.com', 'created', uuid(5000), null],
      [
        'e1@example.com',
        'existing',
        uuid(1001),
        'Already a member, already in every chosen group.',
      ],
      [
        'e2@example.com',
        'added_to_groups',
        uuid(1002),
        'Already a member; added to 1 of 1 group(s), already in the rest.',
      ],
      ['not-an-email', 'invalid', null, 'Not sent: the email has no @.'],
    ]);
    expect(report).toMatchObject({ apiRequests: 5, lookups: 1, memberPages: 0 });
  });

  it('reads a group that was empty before the run when this run created members into it', async () => {
    groupWith(G1, 0);
    bulk(
      ['new@example.com', 'e1@example.com', 'e2@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict' },
      [G1],
    );
    groupList(G1, [listedMember(0, { id: uuid(5000), email: 'new@example.com' })]);
    lookup(1, 'e1@example.com');
    lookup(2, 'e2@example.com');
    groupAdd(G1, 1);
    groupAdd(G1, 2);
    const report = await runEngine(
      entriesOf(['new@example.com', 'e1@example.com', 'e2@example.com']),
      {
        groupIds: [G1],
      },
    );
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['new@example.com', 'created', uuid(5000)],
      ['e1@example.com', 'added_to_groups', uuid(1001)],
      ['e2@example.com', 'added_to_groups', uuid(1002)],
    ]);
    expect(report).toMatchObject({ apiRequests: 7, lookups: 2, memberPages: 0 });
  });
});

describe('bulk resolve: where a list read stopped, across runs', () => {
  it("keeps a group list's position on a throttle: the replay reads on from the next page, sending nobody again", async () => {
    const emails = range(4).map(emailOf);
    groupWith(G1, 150);
    bulkAnswers(entriesOf(emails), new Set(emails), [G1]);
    groupList(G1, [existingMember(0), existingMember(1)], undefined, 'c1');
    groupListRead(G1, 'c1').reply(...THROTTLED);
    const first = await runEngine(entriesOf(emails), { groupIds: [G1], memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(first.fatal)?.status).toBe(429);
    // The two the first page showed in the group are done; the other two wait for the replay.
    expect(statuses(first)).toEqual([
      [emailOf(0), 'existing', idOf(0)],
      [emailOf(1), 'existing', idOf(1)],
      [emailOf(2), 'failed', null],
      [emailOf(3), 'failed', null],
    ]);
    expect(first.apiRequests).toBe(4);

    // No group check, no bulk request: page c1 and the page after it.
    groupList(G1, [existingMember(2)], 'c1', 'c2');
    groupList(G1, [existingMember(3)], 'c2');
    const replay = await runEngine(entriesOf(emails), { groupIds: [G1], memory: 'step' });
    expect(statuses(replay)).toEqual([
      [emailOf(0), 'existing', idOf(0)],
      [emailOf(1), 'existing', idOf(1)],
      [emailOf(2), 'existing', idOf(2)],
      [emailOf(3), 'existing', idOf(3)],
    ]);
    expect(replay.fatal).toBeUndefined();
    expect(replay.apiRequests).toBe(2);
  });

  it("keeps the member list's position on a throttle, and what its pages showed", async () => {
    const emails = range(5).map(emailOf);
    groupWith(G1, 1000);
    bulkAnswers(entriesOf(emails), new Set(emails), [G1]);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([existingMember(0), existingMember(1)], 'c1'), headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(...THROTTLED);
    const first = await runEngine(entriesOf(emails), { groupIds: [G1], memory: 'step' });
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(first).toMatchObject({ apiRequests: 4, memberPages: 1 });

    // The replay: page c1 finds the other three; everyone is added by id, no look-up.
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(
        200,
        pageOf(
          range(5)
            .slice(2)
            .map((n) => existingMember(n)),
          'c2',
        ),
        headers(),
      );
    for (const n of range(5)) groupAdd(G1, n);
    const replay = await runEngine(entriesOf(emails), { groupIds: [G1], memory: 'step' });
    expect(statuses(replay)).toEqual(range(5).map((n) => [emailOf(n), 'added_to_groups', idOf(n)]));
    expect(replay).toMatchObject({ apiRequests: 6, memberPages: 1, lookups: 0 });
  });

  it('a group list read to the end is not read again; the one a throttle stopped is', async () => {
    const emails = range(8).map(emailOf);
    groupWith(G1, 100);
    groupWith(G2, 100);
    bulkAnswers(entriesOf(emails), new Set(emails), [G1, G2]);
    // G1's list (one page) shows e0–e3; G2's first page meets the rate limit.
    groupList(
      G1,
      range(4).map((n) => existingMember(n)),
    );
    groupListRead(G2)
      .delay(100)
      .reply(...THROTTLED);
    const first = await runEngine(entriesOf(emails), { groupIds: [G1, G2], memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(first).toMatchObject({ apiRequests: 5, groupsUnchecked: 8 });

    // G2's list shows everyone: e0–e3 are done, e4–e7 go into G1 only.
    groupList(
      G2,
      range(8).map((n) => existingMember(n)),
    );
    for (const n of range(8).slice(4)) groupAdd(G1, n);
    const replay = await runEngine(entriesOf(emails), { groupIds: [G1, G2], memory: 'step' });
    expect(statuses(replay)).toEqual(
      range(8).map((n) => [emailOf(n), n < 4 ? 'existing' : 'added_to_groups', idOf(n)]),
    );
    expect(replay).toMatchObject({ apiRequests: 5, lookups: 0 });
    expect(replay.fatal).toBeUndefined();
  });

  it('a list position Sotion refuses (HTTP 400) is dropped: the replay reads the list from the top', async () => {
    const emails = range(6).map(emailOf);
    groupWith(G1, 150);
    bulkAnswers(entriesOf(emails), new Set(emails), [G1]);
    groupList(G1, [existingMember(0)], undefined, 'c1');
    groupListRead(G1, 'c1').reply(400, { error: 'Invalid cursor' }, headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(...THROTTLED);
    const first = await runEngine(entriesOf(emails), { groupIds: [G1], memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(first.apiRequests).toBe(5);

    groupList(
      G1,
      range(6).map((n) => existingMember(n)),
    );
    const replay = await runEngine(entriesOf(emails), { groupIds: [G1], memory: 'step' });
    expect(statuses(replay).slice(1)).toEqual(
      range(6)
        .slice(1)
        .map((n) => [emailOf(n), 'existing', idOf(n)]),
    );
    expect(replay.apiRequests).toBe(1);
  });
});

describe('bulk resolve: which list positions a failure keeps', () => {
  const failed = (status: number | undefined, transient = false) =>
    withInfo(new Error(`HTTP ${status}`), { status, transient });

  it('starts over only after a refusal of what was asked (a 4xx but 401, 403, 429) or a broken list', () => {
    for (const status of [400, 404, 409, 422]) expect(positionRefused(failed(status))).toBe(true);
    // The cursor contract broken (bad_pagination): no status, not transient.
    expect(positionRefused(failed(undefined))).toBe(true);
    for (const status of [401, 403, 429, 500, 503, 200]) {
      expect(positionRefused(failed(status))).toBe(false);
    }
    // Time-outs and resets the pipeline gave up on, and errors it did not raise.
    expect(positionRefused(failed(undefined, true))).toBe(false);
    expect(positionRefused(new Error('bug'))).toBe(false);
  });
});

/** Runs `phase` on a BulkRun of a fresh client, with a step memory. */
const onRun = async (phase: (run: BulkRun<'removed'>) => Promise<void>) => {
  let run: BulkRun<'removed'> | undefined;
  await appTester(async (z: ZObject, bundle: Bundle) => {
    run = new BulkRun<'removed'>(
      new SotionClient(z, bundle, new MovableDeadline()),
      [],
      new Set(['removed']),
      new BulkMemory(z, 'test_step', 'input'),
    );
    await run.memory?.load();
    await phase(run);
    return null;
  }, makeBundle({}));
  if (run === undefined) throw new Error('no run');
  return run;
};

describe('bulk resolve: the phase on its own (as other bulk steps use it)', () => {
  it('tells who a group list read to the end shows in the group, and who it does not', async () => {
    groupList(G1, [existingMember(0)], undefined, 'c1');
    groupList(G1, [existingMember(1, { paid: true })], 'c1');
    groupList(G2, [existingMember(0)], undefined, 'd1');
    groupListRead(G2, 'd1')
      .delay(100)
      .reply(...THROTTLED);
    const run = await onRun(async (r) => {
      const groups = [
        { id: G1, memberCount: 150 },
        { id: G2, memberCount: 150 },
      ];
      expect(groupListPages(r, groups, 0)).toBe(4);
      await resolveMembers(r, [emailOf(0), emailOf(1), emailOf(2)], {
        groups,
        created: 0,
        needPaid: false,
        readGroupLists: true,
      });
      // G1 was read to the end; G2's second page met the rate limit: one page left, at least.
      expect(groupListPages(r, groups, 0)).toBe(1);
    });
    expect(errorInfo(run.report.fatal)?.status).toBe(429);
    expect(run.client.requestsSent).toBe(4);
    expect(nock.pendingMocks()).toEqual([]);
    expect(run.facts.get(emailOf(1))).toEqual({
      id: idOf(1),
      paid: true,
      status: 'active',
      groups: new Set([G1]),
    });
    expect([0, 1, 2].map((n) => inGroup(run, emailOf(n), G1))).toEqual([true, true, false]);
    expect([0, 1, 2].map((n) => inGroup(run, emailOf(n), G2))).toEqual([
      true,
      undefined,
      undefined,
    ]);
    // e2 was in no list: unresolved, for a look-up.
    expect(isResolved(run, emailOf(2), false)).toBe(false);
  });

  it('looks a member up: found, it is learnt; not found, it is lost (the next run starts over)', async () => {
    lookup(3);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(4), limit: '1' })
      .reply(200, pageOf([]), headers());
    const run = await onRun(async (r) => {
      expect(await lookUpMember(r, emailOf(3))).toMatchObject({ id: idOf(3), paid: false });
      expect(await lookUpMember(r, emailOf(4))).toBeUndefined();
    });
    expect(isResolved(run, emailOf(3), true)).toBe(true);
    expect([...run.lost]).toEqual([emailOf(4)]);
    expect(run.report.lookups).toBe(2);
  });

  it("an earlier run's read to the end, and an empty group, say who is not in a list without a request", async () => {
    const run = await onRun(async (r) => {
      expect([inGroup(r, emailOf(0), G1), onSite(r, emailOf(0))]).toEqual([undefined, undefined]);
      r.learn(emailOf(0), existingMember(0)).groups.add(G1);
      // What an earlier run of the step read to the end is in its memory.
      r.memory?.setPosition(G1, { after: null, pages: 2 });
      r.memory?.setPosition(MEMBER_LIST, { after: null, pages: 3 });
      expect([0, 1].map((n) => inGroup(r, emailOf(n), G1))).toEqual([true, false]);
      expect([0, 1].map((n) => onSite(r, emailOf(n)))).toEqual([true, false]);
      // An empty group has nobody in it: no page is read.
      await resolveMembers(r, [emailOf(0)], {
        groups: [{ id: G2, memberCount: 0 }],
        created: 0,
        needPaid: false,
        readGroupLists: true,
      });
      expect(inGroup(r, emailOf(0), G2)).toBe(false);
    });
    expect(run.client.requestsSent).toBe(0);
  });

  it('reads no page of a group whose wanted members are all known to be in it already', async () => {
    const run = await onRun(async (r) => {
      for (const n of [0, 1]) r.learn(emailOf(n), existingMember(n)).groups.add(G1);
      await resolveMembers(r, [emailOf(0), emailOf(1)], {
        groups: [{ id: G1, memberCount: 150 }],
        created: 0,
        needPaid: false,
        readGroupLists: true,
      });
    });
    expect(run.client.requestsSent).toBe(0);
    // The list was not read: who else is in the group is still unknown.
    expect([0, 1, 2].map((n) => inGroup(run, emailOf(n), G1))).toEqual([true, true, undefined]);
  });

  it("stops a group's list at the page showing the last member not yet known in it, whoever the page leaves out", async () => {
    // e0 is known in G1 already and is on no page read; e1 is on the first of three.
    groupList(G1, [existingMember(1, { paid: true })], undefined, 'c1');
    const run = await onRun(async (r) => {
      r.learn(emailOf(0), existingMember(0)).groups.add(G1);
      await resolveMembers(r, [emailOf(0), emailOf(1)], {
        groups: [{ id: G1, memberCount: 250 }],
        created: 0,
        needPaid: false,
        readGroupLists: true,
      });
      expect(r.memory?.position(G1)).toEqual({ after: 'c1', pages: 1 });
    });
    expect(run.client.requestsSent).toBe(1);
    expect(run.report.memberPages).toBe(0);
    expect(run.facts.get(emailOf(1))).toEqual({
      id: idOf(1),
      paid: true,
      status: 'active',
      groups: new Set([G1]),
    });
    expect([0, 1].map((n) => inGroup(run, emailOf(n), G1))).toEqual([true, true]);
  });

  it('a member known by its id alone is resolved without Paid, and read from the member list when Paid is needed', async () => {
    const emails = range(3).map(emailOf);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(
        200,
        pageOf([
          existingMember(0, { paid: true }),
          existingMember(1),
          existingMember(2, { status: 'blocked' }),
        ]),
        headers(),
      );
    const run = await onRun(async (r) => {
      for (const n of range(3)) r.facts.set(emailOf(n), { id: idOf(n), groups: new Set() });
      expect([isResolved(r, emailOf(0), false), isResolved(r, emailOf(0), true)]).toEqual([
        true,
        false,
      ]);
      const plan = { groups: [], created: 0, readGroupLists: false };
      await resolveMembers(r, emails, { ...plan, needPaid: false });
      expect(r.client.requestsSent).toBe(0);
      // Three look-ups left: the list's one page (and two to spare) costs no more.
      await resolveMembers(r, emails, { ...plan, needPaid: true });
    });
    expect(run.client.requestsSent).toBe(1);
    expect(run.report).toMatchObject({ memberPages: 1, lookups: 0 });
    expect(emails.map((email) => run.facts.get(email))).toEqual([
      { id: idOf(0), paid: true, status: 'active', groups: new Set() },
      { id: idOf(1), paid: false, status: 'active', groups: new Set() },
      { id: idOf(2), paid: false, status: 'blocked', groups: new Set() },
    ]);
    expect(emails.map((email) => isResolved(run, email, true))).toEqual([true, true, true]);
  });
});

describe("bulk resolve: going on with the site's member list where an earlier run stopped", () => {
  /**
   * Runs resolveMembers for `emails` on a fresh client, the member list's position as `start`:
   * members `known` (by number) are found already, the rest unknown.
   */
  const resumeMembers = (
    emails: string[],
    start: { after: string | null; pages: number },
    created = 0,
    known: number[] = [],
  ) =>
    onRun(async (run) => {
      run.memory?.setPosition(MEMBER_LIST, start);
      for (const n of known) run.learn(emailOf(n), existingMember(n));
      await resolveMembers(run, emails, {
        groups: [],
        created,
        needPaid: false,
        readGroupLists: false,
      });
    });

  it('reads the member list no more once an earlier run read it to the end', async () => {
    const run = await resumeMembers(range(3).map(emailOf), { after: null, pages: 1 });
    expect(run.client.requestsSent).toBe(0);
    expect(run.report.memberPages).toBe(0);
    // Read to the end without them: not members, with no look-up.
    expect(range(3).map((n) => onSite(run, emailOf(n)))).toEqual([false, false, false]);
  });

  it('reads on no more once the pages read past the new members are as many as the look-ups left', async () => {
    const run = await resumeMembers(range(3).map(emailOf), { after: 'c3', pages: 3 });
    expect(run.client.requestsSent).toBe(0);
    expect(run.report.memberPages).toBe(0);
    expect(run.memory?.position(MEMBER_LIST)).toEqual({ after: 'c3', pages: 3 });
    expect(range(3).map((n) => onSite(run, emailOf(n)))).toEqual([undefined, undefined, undefined]);
  });

  it("reads on where an earlier run stopped when the pages it read were mostly the step's new members", async () => {
    // Three pages read, two of them the 200 members the step created: one page past them, fewer
    // than the two look-ups left.
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c3' })
      .reply(200, pageOf([existingMember(1), existingMember(0, { paid: true })], 'c4'), headers());
    const run = await resumeMembers([emailOf(0), emailOf(1)], { after: 'c3', pages: 3 }, 200);
    expect(run.client.requestsSent).toBe(1);
    expect(run.report).toMatchObject({ memberPages: 1, lookups: 0 });
    expect(run.memory?.position(MEMBER_LIST)).toEqual({ after: 'c4', pages: 4 });
    expect([0, 1].map((n) => run.facts.get(emailOf(n)))).toEqual([
      { id: idOf(0), paid: true, status: 'active', groups: new Set() },
      { id: idOf(1), paid: false, status: 'active', groups: new Set() },
    ]);
  });

  it('reads no page when every member is known already, even where an earlier read stopped short of the new members', async () => {
    // One page read, before the step created 300 members: the list has more to show.
    const run = await resumeMembers(
      [emailOf(0), emailOf(1)],
      { after: 'c1', pages: 1 },
      300,
      [0, 1],
    );
    expect(run.client.requestsSent).toBe(0);
    expect(run.report.memberPages).toBe(0);
  });
});
