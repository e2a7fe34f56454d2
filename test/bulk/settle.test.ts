/**
 * The settling phase (src/bulk/settle.ts): what is sent for members that already exist (group
 * adds, updates), what needs no request, and what a replay takes over from the run before.
 */
import nock from 'nock';
import { changesFor, UPDATE_EXISTING } from '../../src/bulk/settle';
import { errorInfo } from '../../src/http/errors';
import { api, headers, pageOf, PREFIX, uuid, groupListRead } from '../helpers';
import { fullMember } from '../member-fixtures';
import {
  bulk,
  bulkAnswers,
  emailOf,
  entriesOf,
  existingMember,
  G1,
  G2,
  groupAdd,
  groupWith,
  idOf,
  IN_EVERY_GROUP,
  lookup,
  MovableDeadline,
  OUT_OF_TIME,
  outcomes,
  range,
  runEngine,
  statuses,
  THROTTLED,
} from './engine';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

describe('bulk settle: existing members the lists show in every chosen group', () => {
  const four = range(4);

  it.each([
    {
      mode: UPDATE_EXISTING.paid,
      paid: [undefined, false, false, true],
      members: [{}, {}, { status: 'blocked' as const }, {}],
      // Paid not given, Paid equal, blocked (Set Paid does not unblock): nothing to send.
      unchecked: [3],
    },
    {
      mode: UPDATE_EXISTING.paidAndUnblock,
      paid: [false, false, true, undefined],
      members: [{}, { status: 'blocked' as const }, {}, {}],
      unchecked: [1, 2],
    },
  ])(
    'under $mode, reports those with nothing to change as done even when time runs out',
    async ({ mode, paid, members, unchecked }) => {
      const entries = entriesOf(four.map(emailOf), paid);
      const deadline = new MovableDeadline();
      groupWith(G1, 4);
      bulkAnswers(entries, new Set(four.map(emailOf)), [G1]);
      groupListRead(G1).reply(
        200,
        () => {
          // The page comes back with only a second left.
          deadline.left = 1_000;
          return pageOf(four.map((n) => existingMember(n, { paid: false, ...members[n] })));
        },
        headers(),
      );
      const report = await runEngine(entries, { groupIds: [G1], updateExisting: mode }, deadline);
      expect(outcomes(report)).toEqual(
        four.map((n) =>
          unchecked.includes(n)
            ? [emailOf(n), 'failed', null, OUT_OF_TIME]
            : [emailOf(n), 'existing', idOf(n), IN_EVERY_GROUP],
        ),
      );
      expect(report.groupsUnchecked).toBe(unchecked.length);
      expect(report.apiRequests).toBe(3);
    },
  );

  it('unblocks a blocked member the group list shows in every chosen group', async () => {
    const entries = entriesOf([emailOf(0), emailOf(1)], [false, false]);
    groupWith(G1, 2);
    bulkAnswers(entries, new Set([emailOf(0), emailOf(1)]), [G1]);
    groupListRead(G1).reply(
      200,
      pageOf([existingMember(0, { status: 'blocked' }), existingMember(1)]),
      headers(),
    );
    api()
      .patch(`${PREFIX}/members/${idOf(0)}`, { status: 'active' })
      .reply(200, { data: fullMember(0, [], { email: emailOf(0) }) }, headers());
    const report = await runEngine(entries, {
      groupIds: [G1],
      updateExisting: UPDATE_EXISTING.paidAndUnblock,
    });
    expect(outcomes(report)).toEqual([
      [
        emailOf(0),
        'updated',
        idOf(0),
        'Already a member; unblocked; already in every chosen group.',
      ],
      [emailOf(1), 'existing', idOf(1), IN_EVERY_GROUP],
    ]);
    expect(report.apiRequests).toBe(4);
  });

  it('a member looked up and already in the group is reported as already in every chosen group', async () => {
    const entries = entriesOf([emailOf(0)]);
    groupWith(G1, 5);
    bulkAnswers(entries, new Set([emailOf(0)]), [G1]);
    lookup(0);
    api()
      .post(`${PREFIX}/access-groups/${G1}/members`, { memberId: idOf(0) })
      .reply(409, { error: 'already in group' }, headers());
    const report = await runEngine(entries, { groupIds: [G1] });
    expect(outcomes(report)).toEqual([[emailOf(0), 'existing', idOf(0), IN_EVERY_GROUP]]);
    expect(report.lookups).toBe(1);
    expect(report.apiRequests).toBe(4);
  });
});

describe('bulk settle: time and stops', () => {
  it('with exactly the reserve of time left, the batch is still sent and the existing member still put into the group', async () => {
    groupWith(G1, 5);
    bulk(['new@example.com', 'old@example.com'], { 'old@example.com': 'conflict' }, [G1]);
    lookup(1, 'old@example.com');
    groupAdd(G1, 1);
    const report = await runEngine(
      entriesOf(['new@example.com', 'old@example.com']),
      { groupIds: [G1] },
      new MovableDeadline(1_500),
    );
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      ['new@example.com', 'created', uuid(5000), null],
      [
        'old@example.com',
        'added_to_groups',
        uuid(1001),
        'Already a member; added to 1 of 1 group(s), already in the rest.',
      ],
    ]);
    expect(report).toMatchObject({ apiRequests: 4, notSent: 0, lookups: 1 });
    expect(report.groupsUnchecked).toBeUndefined();
  });

  it('keeps the first error that stopped the step, not one that came back later', async () => {
    bulk(['a@example.com', 'b@example.com'], {
      'a@example.com': 'conflict',
      'b@example.com': 'conflict',
    });
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'a@example.com', limit: '1' })
      .reply(403, { error: 'Forbidden' }, headers('first'));
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'b@example.com', limit: '1' })
      .delay(300)
      .reply(401, { error: 'Unauthorized' }, headers('later'));
    const report = await runEngine(entriesOf(['a@example.com', 'b@example.com']), {
      updateExisting: UPDATE_EXISTING.paid,
    });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(report.fatal)?.status).toBe(403);
    expect(errorInfo(report.fatal)?.requestId).toBe('req-first');
    expect(report.results.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(report).toMatchObject({ apiRequests: 3, lookups: 2 });
  });
});

describe('bulk settle: what a replay takes over', () => {
  it('a member added to one group of two before a throttle is added to the other only', async () => {
    groupWith(G1, 0);
    groupWith(G2, 0);
    bulkAnswers(entriesOf([emailOf(0)]), new Set([emailOf(0)]), [G1, G2]);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(0), limit: '1' })
      .reply(200, pageOf([existingMember(0)]), headers());
    groupAdd(G1, 0);
    api()
      .post(`${PREFIX}/access-groups/${G2}/members`, { memberId: idOf(0) })
      .reply(...THROTTLED);
    const first = await runEngine(entriesOf([emailOf(0)]), { groupIds: [G1, G2], memory: 'step' });
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(statuses(first)).toEqual([[emailOf(0), 'failed', idOf(0)]]);

    groupAdd(G2, 0);
    const replay = await runEngine(entriesOf([emailOf(0)]), { groupIds: [G1, G2], memory: 'step' });
    expect(replay.results.map((r) => [r.status, r.reason])).toEqual([
      ['added_to_groups', 'Already a member; added to 1 of 2 group(s), already in the rest.'],
    ]);
    expect(replay).toMatchObject({ apiRequests: 1, lookups: 0 });
  });

  it("remembers a member's Paid and status: the replay PATCHes without reading the member again", async () => {
    const emails = [emailOf(0), emailOf(1)];
    bulkAnswers(entriesOf(emails, [true, true]), new Set(emails));
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(0), limit: '1' })
      .reply(200, pageOf([existingMember(0, { paid: false, status: 'blocked' })]), headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(1), limit: '1' })
      .delay(100)
      .reply(200, pageOf([existingMember(1, { paid: true })]), headers());
    api()
      .patch(`${PREFIX}/members/${idOf(0)}`, { paid: true, status: 'active' })
      .reply(...THROTTLED);
    const update = { updateExisting: UPDATE_EXISTING.paidAndUnblock };
    const first = await runEngine(entriesOf(emails, [true, true]), { ...update, memory: 'step' });
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(statuses(first)).toEqual([
      [emailOf(0), 'failed', idOf(0)],
      [emailOf(1), 'existing', idOf(1)],
    ]);

    api()
      .patch(`${PREFIX}/members/${idOf(0)}`, { paid: true, status: 'active' })
      .reply(200, { data: fullMember(0, [], { email: emailOf(0), paid: true }) }, headers());
    const replay = await runEngine(entriesOf(emails, [true, true]), { ...update, memory: 'step' });
    expect(statuses(replay)[0]).toEqual([emailOf(0), 'updated', idOf(0)]);
    expect(replay).toMatchObject({ apiRequests: 1, lookups: 0 });
  });

  it('an existing member a look-up cannot find is sent again by the replay', async () => {
    bulkAnswers(entriesOf([emailOf(0)]), new Set([emailOf(0)]));
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(0), limit: '1' })
      .reply(200, pageOf([]), headers());
    const update = { updateExisting: UPDATE_EXISTING.paid };
    const first = await runEngine(entriesOf([emailOf(0)]), { ...update, memory: 'step' });
    expect(statuses(first)).toEqual([[emailOf(0), 'failed', null]]);

    // Deleted in between, say: the replay sends it again, and Sotion creates it.
    api()
      .post(`${PREFIX}/members/bulk`, { members: [{ email: emailOf(0) }] })
      .reply(
        207,
        {
          data: [{ email: emailOf(0), status: 'created', member: existingMember(0) }],
          summary: { total: 1, created: 1, failed: 0 },
        },
        headers(),
      );
    const replay = await runEngine(entriesOf([emailOf(0)]), { ...update, memory: 'step' });
    expect(statuses(replay)).toEqual([[emailOf(0), 'created', idOf(0)]]);
  });
});

describe('bulk settle: what "Update Existing Members" changes', () => {
  const entry = (paid?: boolean) => ({ raw: 'a@x.io', source: 'line item 1', paid });

  it('sets a Paid that differs (either update choice), unblocks only under the second, leaves alone otherwise', () => {
    const blockedUnpaid = { paid: false, status: 'blocked' as const };
    expect(changesFor(UPDATE_EXISTING.leave, entry(true), blockedUnpaid)).toEqual({
      patch: {},
      changes: [],
    });
    expect(changesFor(UPDATE_EXISTING.paid, entry(true), blockedUnpaid)).toEqual({
      patch: { paid: true },
      changes: ['Paid set to true'],
    });
    expect(changesFor(UPDATE_EXISTING.paidAndUnblock, entry(true), blockedUnpaid)).toEqual({
      patch: { paid: true, status: 'active' },
      changes: ['Paid set to true', 'unblocked'],
    });
    // Paid not given, or the same (an unknown Paid, null, differs from a given one).
    expect(changesFor(UPDATE_EXISTING.paid, entry(), blockedUnpaid).changes).toEqual([]);
    expect(changesFor(UPDATE_EXISTING.paid, entry(false), blockedUnpaid).changes).toEqual([]);
    expect(changesFor(UPDATE_EXISTING.paid, entry(false), { paid: null }).patch).toEqual({
      paid: false,
    });
    expect(
      changesFor(UPDATE_EXISTING.paidAndUnblock, entry(), { paid: true, status: 'active' }),
    ).toEqual({ patch: {}, changes: [] });
  });
});
