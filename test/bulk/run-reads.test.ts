/**
 * How the bulk engine finds existing members (group lists, the site's member list, look-ups, what
 * an earlier run remembered) and what it sends for them afterwards. The engine runs directly on a
 * client whose deadline the test moves, so the report's counters and every request are exact.
 */
import type { Bundle, ZObject } from 'zapier-platform-core';
import type { BulkEntry } from '../../src/bulk/entries';
import { StepMemory } from '../../src/bulk/memory';
import {
  bulkAddMembers,
  UPDATE_EXISTING,
  type BulkOptions,
  type BulkReport,
} from '../../src/bulk/run';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
import { errorInfo } from '../../src/http/errors';
import { api, appTester, group, headers, makeBundle, pageOf, PREFIX, uuid } from '../helpers';
import { fullMember, listedMember } from '../member-fixtures';

const G1 = uuid(101);
const G2 = uuid(102);

/** A deadline the test moves: the time left is whatever `left` says. */
class MovableDeadline extends Deadline {
  left = 20_000;
  override remainingMs(): number {
    return this.left;
  }
}

/** Existing member n: e{n}@example.com, id uuid(1000 + n). */
const emailOf = (n: number) => `e${n}@example.com`;
const idOf = (n: number) => uuid(1000 + n);
const existingMember = (n: number, over: { paid?: boolean; status?: 'active' | 'blocked' } = {}) =>
  listedMember(n, { email: emailOf(n), ...over });
/** A member this run creates: new{n}@example.com, id uuid(3000 + n). */
const newEmail = (n: number) => `new${n}@example.com`;
const newMember = (n: number) => listedMember(2000 + n, { email: newEmail(n) });
const range = (count: number) => Array.from({ length: count }, (_, i) => i);

const entriesOf = (emails: string[], paid: Array<boolean | undefined> = []): BulkEntry[] =>
  emails.map((raw, i) => ({
    raw,
    source: `email list entry ${i + 1}`,
    ...(paid[i] === undefined ? {} : { paid: paid[i] }),
  }));

/** POST /members/bulk with exactly these members: `existing` conflict, the rest are created. */
const bulkAnswers = (entries: BulkEntry[], existing: Set<string>, accessGroupIds?: string[]) => {
  const data = entries.map(({ raw }, i) =>
    existing.has(raw)
      ? { email: raw, status: 'conflict', error: { code: 'conflict', message: 'exists' } }
      : { email: raw, status: 'created', member: listedMember(2000 + i, { email: raw }) },
  );
  const created = data.filter((d) => d.status === 'created').length;
  api()
    .post(`${PREFIX}/members/bulk`, {
      members: entries.map(({ raw, paid }) => ({
        email: raw,
        ...(paid === undefined ? {} : { paid }),
      })),
      ...(accessGroupIds ? { accessGroupIds } : {}),
    })
    .reply(
      207,
      { data, summary: { total: data.length, created, failed: data.length - created } },
      headers('bulk'),
    );
};

const groupWith = (id: string, memberCount: number) =>
  api()
    .get(`${PREFIX}/access-groups/${id}`)
    .reply(200, { data: group(Number.parseInt(id.slice(-3), 16), { id, memberCount }) }, headers());

const lookup = (n: number) =>
  api()
    .get(`${PREFIX}/members`)
    .query({ email: emailOf(n), limit: '1' })
    .reply(200, pageOf([existingMember(n)]), headers());

const added = (groupId: string, n: number) =>
  api()
    .post(`${PREFIX}/access-groups/${groupId}/members`, { memberId: idOf(n) })
    .reply(201, { data: fullMember(n, [], { email: emailOf(n) }) }, headers());

type Options = Partial<Omit<BulkOptions, 'memory'>> & { memoryKey?: string };

/** Runs the engine on a fresh client (and the step memory `memoryKey`, when given). */
const run = async (
  entries: BulkEntry[],
  { memoryKey, ...options }: Options,
  deadline: Deadline = new MovableDeadline(),
): Promise<BulkReport> => {
  let report: BulkReport | undefined;
  await appTester(async (z: ZObject, bundle: Bundle) => {
    const client = new SotionClient(z, bundle, deadline);
    report = await bulkAddMembers(client, entries, {
      groupIds: [],
      addExistingToGroups: true,
      updateExisting: UPDATE_EXISTING.leave,
      ...options,
      ...(memoryKey === undefined ? {} : { memory: new StepMemory(z, memoryKey) }),
    });
    return null;
  }, makeBundle({}));
  if (report === undefined) throw new Error('the engine returned no report');
  return report;
};

const outcomes = (report: BulkReport) =>
  report.results.map((r) => [r.email, r.status, r.memberId, r.reason]);

const IN_EVERY_GROUP = 'Already a member, already in every chosen group.';
const NOTHING_TO_CHANGE = 'Already a member; nothing to change.';
const ADDED_TO_ONE = 'Already a member; added to 1 of 1 group(s), already in the rest.';
const OUT_OF_TIME =
  'Already a member, but the step ran out of time before checking its access groups. Replay the step to finish.';
const STOPPED =
  'Already a member, but the step stopped after an error (see the step error) before checking ' +
  'its access groups. Replay the step to finish.';

describe('bulk run: reading the chosen groups', () => {
  const four = range(4);

  it("stops reading a group's list at the page where the last wanted member shows up", async () => {
    groupWith(G1, 150);
    bulkAnswers(entriesOf(four.map(emailOf)), new Set(four.map(emailOf)), [G1]);
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100' })
      .reply(
        200,
        pageOf(
          four.map((n) => existingMember(n)),
          'c1',
        ),
        headers(),
      );
    const report = await run(entriesOf(four.map(emailOf)), { groupIds: [G1] });
    expect(outcomes(report)).toEqual(
      four.map((n) => [emailOf(n), 'existing', idOf(n), IN_EVERY_GROUP]),
    );
    // The group, the bulk request, one page: not the second page the list announced.
    expect(report.apiRequests).toBe(3);
  });

  it("reads the next page of a group's list while wanted members are still missing", async () => {
    groupWith(G1, 150);
    bulkAnswers(entriesOf(four.map(emailOf)), new Set(four.map(emailOf)), [G1]);
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([existingMember(0), existingMember(1)], 'c1'), headers());
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(200, pageOf([existingMember(2), existingMember(3)]), headers());
    const report = await run(entriesOf(four.map(emailOf)), { groupIds: [G1] });
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
    added(G1, 0);
    const report = await run(entries, { groupIds: [G1] });
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
    added(G1, 0);
    added(G1, 1);
    const report = await run(entries, { groupIds: [G1] });
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
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([newMember(0), newMember(1), existingMember(0)]), headers());
    lookup(1);
    added(G1, 1);
    const report = await run(entries, { groupIds: [G1] });
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
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100' })
      .reply(403, { error: 'forbidden' }, headers('g1'));
    api()
      .get(`${PREFIX}/access-groups/${G2}/members`)
      .query({ limit: '100' })
      .delay(300)
      .reply(401, { error: 'unauthorized' }, headers('g2'));
    const report = await run(entries, { groupIds: [G1, G2] });
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
    const report = await run(entries, { groupIds: [G1] });
    expect(errorInfo(report.fatal)?.status).toBe(401);
    expect(report.groupsUnchecked).toBe(500);
    expect(outcomes(report).slice(0, 1)).toEqual([[emailOf(0), 'failed', null, STOPPED]]);
    // The group and the two batches: no page of the group's list after the step stopped.
    expect(report.apiRequests).toBe(3);
  });
});

describe("bulk run: reading the site's member list", () => {
  const setPaid = { updateExisting: UPDATE_EXISTING.paid };

  it('reads the member list instead of three look-ups when three existing members are missing', async () => {
    const entries = entriesOf(range(3).map(emailOf));
    bulkAnswers(entries, new Set(range(3).map(emailOf)));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([newMember(9), ...range(3).map((n) => existingMember(n))]), headers());
    const report = await run(entries, setPaid);
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
    const report = await run(entries, setPaid);
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
    const report = await run(entries, setPaid);
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
    const report = await run(entries, {
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

describe('bulk run: existing members the lists show in every chosen group', () => {
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
      api()
        .get(`${PREFIX}/access-groups/${G1}/members`)
        .query({ limit: '100' })
        .reply(
          200,
          () => {
            // The page comes back with only a second left.
            deadline.left = 1_000;
            return pageOf(four.map((n) => existingMember(n, { paid: false, ...members[n] })));
          },
          headers(),
        );
      const report = await run(entries, { groupIds: [G1], updateExisting: mode }, deadline);
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
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([existingMember(0, { status: 'blocked' }), existingMember(1)]), headers());
    api()
      .patch(`${PREFIX}/members/${idOf(0)}`, { status: 'active' })
      .reply(200, { data: fullMember(0, [], { email: emailOf(0) }) }, headers());
    const report = await run(entries, {
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
    const report = await run(entries, { groupIds: [G1] });
    expect(outcomes(report)).toEqual([[emailOf(0), 'existing', idOf(0), IN_EVERY_GROUP]]);
    expect(report.lookups).toBe(1);
    expect(report.apiRequests).toBe(4);
  });
});

describe('bulk run: what a replay of the step reuses', () => {
  it('members an earlier run found are added by id: no bulk request, no list, no look-up', async () => {
    const three = range(3);
    await appTester(async (z: ZObject) => {
      await new StepMemory(z, 'step').save(
        [],
        three.map((n) => ({ email: emailOf(n), memberId: idOf(n) })),
      );
      return null;
    }, makeBundle({}));
    groupWith(G1, 5);
    for (const n of three) added(G1, n);
    const report = await run(entriesOf(three.map(emailOf)), { groupIds: [G1], memoryKey: 'step' });
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
    const first = await run(entries, { groupIds: [G1], memoryKey: 'step' });
    expect(errorInfo(first.fatal)?.status).toBe(403);
    expect(outcomes(first)).toEqual(three.map((n) => [emailOf(n), 'failed', null, STOPPED]));
    expect(first.apiRequests).toBe(4);

    // The replay checks no group and sends nobody again (all three exist): it goes on with the
    // member list at the page that failed (and stops again at a refusal).
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(403, { error: 'forbidden' }, headers('again'));
    const replay = await run(entries, { groupIds: [G1], memoryKey: 'step' });
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
    const first = await run(entries, { groupIds: [G1], memoryKey: 'step' });
    expect(first.results[0]?.status).toBe('failed');
    expect(first.apiRequests).toBe(4);

    // Nor is the group checked again.
    added(G1, 0);
    const replay = await run(entries, { groupIds: [G1], memoryKey: 'step' });
    expect(outcomes(replay)).toEqual([[emailOf(0), 'added_to_groups', idOf(0), ADDED_TO_ONE]]);
    expect(replay.apiRequests).toBe(1);
    expect(replay.lookups).toBe(0);
  });
});
