/**
 * The orchestrator (src/bulk/run.ts) across runs: what a replay of the same step (the same input,
 * through z.cache) takes over from the runs before, whichever phase they stopped in.
 */
import nock from 'nock';
import type { ZObject } from 'zapier-platform-core';
import { BulkMemory } from '../../src/bulk/memory';
import { errorInfo } from '../../src/http/errors';
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
import {
  ADDED_TO_ONE,
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
  lookup,
  memberWith,
  outcomes,
  range,
  runEngine,
  STOPPED,
} from './engine';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

describe('bulk run: what a replay of the step reuses', () => {
  it('members an earlier run found are added by id: no bulk request, no list, no look-up', async () => {
    const three = range(3);
    await appTester(async (z: ZObject) => {
      await new BulkMemory(z, 'bulk_add_members', 'step').save(
        [],
        three.map((n) => ({ email: emailOf(n), memberId: idOf(n) })),
      );
      return null;
    }, makeBundle({}));
    groupWith(G1, 5);
    for (const n of three) groupAdd(G1, n);
    const report = await runEngine(entriesOf(three.map(emailOf)), {
      groupIds: [G1],
      memory: 'step',
    });
    expect(outcomes(report)).toEqual(
      three.map((n) => [emailOf(n), 'added_to_groups', idOf(n), ADDED_TO_ONE]),
    );
    expect(report.apiRequests).toBe(4);
    expect(report.lookups).toBe(0);
    expect(report.memberPages).toBe(0);
  });

  it('a member the member list found before a fatal error is not sent again by the replay', async () => {
    const three = range(3);
    const entries = entriesOf(three.map(emailOf));
    // A group too long to read for three members.
    groupWith(G1, 300);
    bulkAnswers(entries, new Set(three.map(emailOf)), [G1]);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([existingMember(0)], 'c1'), headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(403, { error: 'forbidden' }, headers('no'));
    const first = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(errorInfo(first.fatal)?.status).toBe(403);
    expect(outcomes(first)).toEqual(three.map((n) => [emailOf(n), 'failed', null, STOPPED]));
    expect(first.apiRequests).toBe(4);

    // The replay checks no group and sends nobody again (all three exist): it goes on with the
    // member list at the page that failed (and stops again at a refusal).
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(403, { error: 'forbidden' }, headers('again'));
    const replay = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(errorInfo(replay.fatal)?.status).toBe(403);
    expect(outcomes(replay)[0]).toEqual([emailOf(0), 'failed', null, STOPPED]);
    expect(replay.apiRequests).toBe(1);
  });

  it('a member looked up whose group add failed is added by id on the replay, with no bulk request or look-up', async () => {
    const entries = entriesOf([emailOf(0)]);
    groupWith(G1, 5);
    bulkAnswers(entries, new Set([emailOf(0)]), [G1]);
    lookup(0);
    api()
      .post(`${PREFIX}/access-groups/${G1}/members`, { memberId: idOf(0) })
      .reply(404, { error: 'not found' }, headers('nf'));
    const first = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(first.results[0]?.status).toBe('failed');
    expect(first.apiRequests).toBe(4);

    // Nor is the group checked again.
    groupAdd(G1, 0);
    const replay = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(outcomes(replay)).toEqual([[emailOf(0), 'added_to_groups', idOf(0), ADDED_TO_ONE]]);
    expect(replay.apiRequests).toBe(1);
    expect(replay.lookups).toBe(0);
  });
});

describe('bulk run: what a replay of the same step remembers', () => {
  it('a replay adds an existing member found by the first run to its groups directly, and sends a failed member again', async () => {
    // First run: old@ exists (looked up, but the group add is refused), bad@ is refused by Sotion.
    groupWith(G1, 0);
    bulk(
      ['old@example.com', 'bad@example.com'],
      {
        'old@example.com': 'conflict',
        'bad@example.com': 'error',
      },
      [G1],
    );
    lookup(1, 'old@example.com');
    groupAdd(G1, 1, 400);
    const entries = entriesOf(['old@example.com', 'bad@example.com']);
    const first = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(first.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      [
        'old@example.com',
        'failed',
        uuid(1001),
        `Sotion rejected the request while adding member ${uuid(1001)} to access group ${G1} ` +
          '(HTTP 400). Check the values in this step\'s fields. Sotion said: "This member ' +
          'cannot be added to the group". (X-Request-Id: req-add)',
      ],
      [
        'bad@example.com',
        'failed',
        null,
        'Sotion could not create this member: error: said error.',
      ],
    ]);
    // The group had no member and nobody was created: its list is not read.
    expect(first).toMatchObject({ apiRequests: 4, lookups: 1, memberPages: 0, notSent: 0 });

    // The replay: old@ is neither sent nor looked up again; bad@ is sent again. The group the
    // first run checked is not checked again.
    bulk(['bad@example.com'], { 'bad@example.com': 'created' }, [G1]);
    groupAdd(G1, 1);
    const replay = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(replay.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      [
        'old@example.com',
        'added_to_groups',
        uuid(1001),
        'Already a member; added to 1 of 1 group(s), already in the rest.',
      ],
      ['bad@example.com', 'created', uuid(5000), null],
    ]);
    expect(replay).toMatchObject({ apiRequests: 2, lookups: 0, memberPages: 0, notSent: 0 });
  });

  it('an email the bulk answer left out is sent again on a replay, even though a group list showed it', async () => {
    const entries = entriesOf(['e1@example.com', 'e2@example.com', 'x@example.com']);
    groupWith(G1, 3);
    bulk(
      ['e1@example.com', 'e2@example.com', 'x@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict', 'x@example.com': 'omitted' },
      [G1],
    );
    groupList(G1, [
      memberWith(1, 'e1@example.com'),
      memberWith(2, 'e2@example.com'),
      memberWith(3, 'x@example.com'),
    ]);
    const first = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(first.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      [
        'e1@example.com',
        'existing',
        uuid(1001),
        'Already a member, already in every chosen group.',
      ],
      [
        'e2@example.com',
        'existing',
        uuid(1002),
        'Already a member, already in every chosen group.',
      ],
      [
        'x@example.com',
        'failed',
        null,
        "Sotion's answer to the bulk request did not mention this email.",
      ],
    ]);
    expect(first.apiRequests).toBe(3);

    bulk(['x@example.com'], { 'x@example.com': 'created' }, [G1]);
    const replay = await runEngine(entries, { groupIds: [G1], memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(replay.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['e1@example.com', 'existing', uuid(1001)],
      ['e2@example.com', 'existing', uuid(1002)],
      ['x@example.com', 'created', uuid(5000)],
    ]);
    // Only the bulk request: the first run checked the group.
    expect(replay.apiRequests).toBe(1);
  });

  it('a replay neither sends nor looks up again a member a group list found before the step stopped', async () => {
    const entries = entriesOf(['e1@example.com', 'e2@example.com']);
    const groupIds = [G1, G2];
    // G1's list shows e1, then its next page stops the step; G2 was empty, so it is not read.
    groupWith(G1, 100);
    groupWith(G2, 0);
    bulk(
      ['e1@example.com', 'e2@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict' },
      groupIds,
    );
    groupList(G1, [memberWith(1, 'e1@example.com')], undefined, 'c1');
    groupListRead(G1, 'c1').reply(403, { error: 'Forbidden' }, headers('stop'));
    const first = await runEngine(entries, { groupIds, memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(first.fatal)?.status).toBe(403);
    expect(first.results.map((r) => [r.email, r.status, r.reason])).toEqual(
      entries.map(({ raw }) => [
        raw,
        'failed',
        'Already a member, but the step stopped after an error (see the step error) before ' +
          'checking its access groups. Replay the step to finish.',
      ]),
    );
    expect(first).toMatchObject({ apiRequests: 5, groupsUnchecked: 2 });

    // The replay: no group is checked again and nobody is sent again (both exist). e1 goes
    // straight to the group its list did not show it in; only e2 is looked up.
    groupAdd(G2, 1);
    lookup(2, 'e2@example.com');
    groupAdd(G1, 2);
    groupAdd(G2, 2);
    const replay = await runEngine(entries, { groupIds, memory: 'step' });
    expect(nock.pendingMocks()).toEqual([]);
    expect(replay.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['e1@example.com', 'added_to_groups', uuid(1001)],
      ['e2@example.com', 'added_to_groups', uuid(1002)],
    ]);
    expect(replay).toMatchObject({ apiRequests: 4, lookups: 1 });
  });
});
