import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import type { MemberListItem } from '../../src/api/schemas';
import type { BulkEntry } from '../../src/bulk/entries';
import { StepMemory } from '../../src/bulk/memory';
import {
  bulkAddMembers,
  refusalReason,
  UPDATE_EXISTING,
  type BulkOptions,
  type BulkReport,
} from '../../src/bulk/run';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
import { errorInfo, withInfo } from '../../src/http/errors';
import { api, appTester, group, headers, makeBundle, pageOf, PREFIX, uuid } from '../helpers';
import { listedMember } from '../member-fixtures';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const G1 = uuid(101);
const G2 = uuid(102);

/** A deadline with exactly the time left the test gives it, whatever the clock says. */
class FixedDeadline extends Deadline {
  constructor(private readonly leftMs: number) {
    super();
  }

  override remainingMs(): number {
    return this.leftMs;
  }
}

type SentMember = { email: string; displayName?: string; paid?: boolean };
type BulkBody = { members: SentMember[]; accessGroupIds?: string[] };

/** The emails of the email list, in order, as entries. */
const entriesOf = (...emails: string[]): BulkEntry[] =>
  emails.map((raw, i) => ({ raw, source: `email list entry ${i + 1}` }));

/** Existing members: their id is uuid(1000 + n). */
const existingMember = (n: number, email: string) => listedMember(n, { email });

/**
 * Runs the bulk engine on one client, with the step memory (z.cache, as a replay sees it) when
 * `remember` is set. The report is taken as the engine returns it, not as core serialises it.
 */
const run = async (
  entries: BulkEntry[],
  over: Partial<BulkOptions> = {},
  setup: { remember?: boolean; deadline?: Deadline } = {},
): Promise<BulkReport> => {
  let report: BulkReport | undefined;
  await appTester(async (z: ZObject, bundle: Bundle) => {
    const client = new SotionClient(z, bundle, setup.deadline);
    const memory = setup.remember ? new StepMemory(z, { step: 'run-strategy' }) : undefined;
    report = await bulkAddMembers(client, entries, {
      groupIds: [],
      addExistingToGroups: true,
      updateExisting: UPDATE_EXISTING.leave,
      memory,
      ...over,
    });
    return {};
  }, makeBundle({}));
  if (report === undefined) throw new Error('the engine returned no report');
  return report;
};

type BulkItem = {
  email: string;
  status: string;
  member?: MemberListItem;
  error?: { code: string; message: string };
};

/**
 * POST /members/bulk for exactly `emails`, answered per email (created unless `answer` says
 * otherwise; a created member's id is uuid(5000 + its place in the batch)).
 */
const bulk = (
  emails: string[],
  answer: Record<string, 'created' | 'conflict' | 'omitted' | 'error'>,
  accessGroupIds?: string[],
  delayMs = 0,
) => {
  const body: BulkBody = { members: emails.map((email) => ({ email })) };
  if (accessGroupIds) body.accessGroupIds = accessGroupIds;
  const data = emails.flatMap((email, i): BulkItem[] => {
    const status = answer[email] ?? 'created';
    if (status === 'omitted') return [];
    if (status === 'created') {
      return [{ email, status, member: listedMember(0, { id: uuid(5000 + i), email }) }];
    }
    return [{ email, status, error: { code: status, message: `said ${status}` } }];
  });
  const created = data.filter((item) => item.status === 'created').length;
  api()
    .post(`${PREFIX}/members/bulk`, body)
    .delay(delayMs)
    .reply(
      207,
      { data, summary: { total: data.length, created, failed: data.length - created } },
      headers('bulk'),
    );
};

/** POST /members/bulk for exactly `emails`, refused whole `times` times in a row. */
const refuse = (emails: string[], status: number, error: string, times = 1) =>
  api()
    .post(`${PREFIX}/members/bulk`, { members: emails.map((email) => ({ email })) })
    .times(times)
    .reply(status, { error }, headers(emails[0]));

/** GET /access-groups/{id}: a custom group with `memberCount` members before the run. */
const groupCheck = (id: string, memberCount: number) =>
  api()
    .get(`${PREFIX}/access-groups/${id}`)
    .reply(200, { data: group(101, { id, memberCount }) }, headers('group'));

const lookup = (email: string, n: number) =>
  api()
    .get(`${PREFIX}/members`)
    .query({ email, limit: '1' })
    .reply(200, pageOf([existingMember(n, email)]), headers('lookup'));

const groupAdd = (groupId: string, n: number, status = 201) =>
  api()
    .post(`${PREFIX}/access-groups/${groupId}/members`, { memberId: uuid(1000 + n) })
    .reply(
      status,
      status === 201
        ? { data: { ...existingMember(n, `member${n}@example.com`), accessGroups: [] } }
        : { error: 'This member cannot be added to the group' },
      headers('add'),
    );

const groupList = (
  groupId: string,
  members: unknown[],
  after?: string,
  next: string | null = null,
) =>
  api()
    .get(`${PREFIX}/access-groups/${groupId}/members`)
    .query(after === undefined ? { limit: '100' } : { limit: '100', after })
    .reply(200, pageOf(members, next), headers('list'));

// test/setup-env.ts disables net connect: a request no interceptor expects fails the run.

describe('bulk run: what a replay of the same step remembers', () => {
  it('a replay adds an existing member found by the first run to its groups directly, and sends a failed member again', async () => {
    // First run: old@ exists (looked up, but the group add is refused), bad@ is refused by Sotion.
    groupCheck(G1, 0);
    bulk(
      ['old@example.com', 'bad@example.com'],
      {
        'old@example.com': 'conflict',
        'bad@example.com': 'error',
      },
      [G1],
    );
    lookup('old@example.com', 1);
    groupAdd(G1, 1, 400);
    const entries = entriesOf('old@example.com', 'bad@example.com');
    const first = await run(entries, { groupIds: [G1] }, { remember: true });
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

    // The replay: old@ is neither sent nor looked up again; bad@ is sent again.
    groupCheck(G1, 1);
    bulk(['bad@example.com'], { 'bad@example.com': 'created' }, [G1]);
    groupAdd(G1, 1);
    const replay = await run(entries, { groupIds: [G1] }, { remember: true });
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
    expect(replay).toMatchObject({ apiRequests: 3, lookups: 0, memberPages: 0, notSent: 0 });
  });
});

describe('bulk run: time and stops', () => {
  it('with exactly the reserve of time left, the batch is still sent and the existing member still put into the group', async () => {
    groupCheck(G1, 5);
    bulk(['new@example.com', 'old@example.com'], { 'old@example.com': 'conflict' }, [G1]);
    lookup('old@example.com', 1);
    groupAdd(G1, 1);
    const report = await run(
      entriesOf('new@example.com', 'old@example.com'),
      { groupIds: [G1] },
      { deadline: new FixedDeadline(1_500) },
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

  it('does not start a batch that the slowest batch so far says would not finish in time', async () => {
    // 1.7 s left: enough for the 1.5 s reserve, not for the reserve plus a 0.4 s batch.
    refuse(['a@example.com', 'b@example.com'], 422, 'Invalid email at members[1].email');
    bulk(['a@example.com'], { 'a@example.com': 'created' }, undefined, 400);
    const report = await run(
      entriesOf('a@example.com', 'b@example.com'),
      {},
      { deadline: new FixedDeadline(1_700) },
    );
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.reason])).toEqual([
      ['a@example.com', 'created', null],
      [
        'b@example.com',
        'failed',
        'Not sent: the step ran out of the time Zapier allows. Replay the step to add the rest.',
      ],
    ]);
    expect(report).toMatchObject({ apiRequests: 2, notSent: 1, isolated: 0 });
    expect(report.fatal).toBeUndefined();
  });

  it('sends no further half of a split batch once a request stopped the step', async () => {
    refuse(['a@example.com', 'b@example.com'], 422, 'Invalid email at members[1].email');
    refuse(['a@example.com'], 403, 'Forbidden');
    const report = await run(entriesOf('a@example.com', 'b@example.com'));
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(report.fatal)?.status).toBe(403);
    expect(report.results.map((r) => [r.email, r.status])).toEqual([
      ['a@example.com', 'failed'],
      ['b@example.com', 'failed'],
    ]);
    expect(report.results[1]?.reason).toBe(
      'Not sent: the step stopped after an error (see the step error).',
    );
    expect(report).toMatchObject({ apiRequests: 2, notSent: 1, isolated: 0 });
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
    const report = await run(entriesOf('a@example.com', 'b@example.com'), {
      updateExisting: UPDATE_EXISTING.paid,
    });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(report.fatal)?.status).toBe(403);
    expect(errorInfo(report.fatal)?.requestId).toBe('req-first');
    expect(report.results.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(report).toMatchObject({ apiRequests: 3, lookups: 2 });
  });
});

describe('bulk run: batches Sotion rejects whole', () => {
  it('counts each member Sotion refuses on its own, and sends the rest without it', async () => {
    refuse(['a@example.com', 'b@example.com'], 422, 'Invalid email at members[0].email');
    refuse(['a@example.com'], 422, 'Invalid email at members[0].email');
    bulk(['b@example.com'], { 'b@example.com': 'created' });
    const report = await run(entriesOf('a@example.com', 'b@example.com'));
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.reason])).toEqual([
      [
        'a@example.com',
        'failed',
        'Sotion refused this member (HTTP 422, X-Request-Id: req-a@example.com): Invalid email. ' +
          'The other members of its batch were sent without it.',
      ],
      ['b@example.com', 'created', null],
    ]);
    expect(report).toMatchObject({ apiRequests: 3, isolated: 1, notSent: 0 });
  });

  it('splits a batch that fails with HTTP 500 on every try; a member alone failing so is not called refused', async () => {
    refuse(['a@example.com', 'b@example.com'], 500, 'Internal error', 4);
    refuse(['a@example.com'], 500, 'Internal error', 4);
    bulk(['b@example.com'], { 'b@example.com': 'created' });
    const report = await run(entriesOf('a@example.com', 'b@example.com'));
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.reason])).toEqual([
      [
        'a@example.com',
        'failed',
        'Sotion had a problem (HTTP 500) while creating members in bulk. This is usually ' +
          'temporary: replay the step in a few minutes, and contact Sotion support with the ' +
          'request id if it keeps happening. Sotion said: "Internal error". ' +
          '(X-Request-Id: req-a@example.com)',
      ],
      ['b@example.com', 'created', null],
    ]);
    expect(report).toMatchObject({ apiRequests: 9, isolated: 0, notSent: 0 });
    expect(report.fatal).toBeUndefined();
  });
});

describe("bulk run: reading the groups' member lists", () => {
  it('reads the group list when the existing members outnumber the ones this run created (invalid emails do not count)', async () => {
    groupCheck(G1, 1);
    bulk(
      ['new@example.com', 'e1@example.com', 'e2@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict' },
      [G1],
    );
    groupList(G1, [
      listedMember(0, { id: uuid(5000), email: 'new@example.com' }),
      existingMember(1, 'e1@example.com'),
    ]);
    lookup('e2@example.com', 2);
    groupAdd(G1, 2);
    const report = await run(
      entriesOf('new@example.com', 'e1@example.com', 'e2@example.com', 'not-an-email'),
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
    groupCheck(G1, 0);
    bulk(
      ['new@example.com', 'e1@example.com', 'e2@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict' },
      [G1],
    );
    groupList(G1, [listedMember(0, { id: uuid(5000), email: 'new@example.com' })]);
    lookup('e1@example.com', 1);
    lookup('e2@example.com', 2);
    groupAdd(G1, 1);
    groupAdd(G1, 2);
    const report = await run(entriesOf('new@example.com', 'e1@example.com', 'e2@example.com'), {
      groupIds: [G1],
    });
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['new@example.com', 'created', uuid(5000)],
      ['e1@example.com', 'added_to_groups', uuid(1001)],
      ['e2@example.com', 'added_to_groups', uuid(1002)],
    ]);
    expect(report).toMatchObject({ apiRequests: 7, lookups: 2, memberPages: 0 });
  });

  it('an email the bulk answer left out is sent again on a replay, even though a group list showed it', async () => {
    const entries = entriesOf('e1@example.com', 'e2@example.com', 'x@example.com');
    groupCheck(G1, 3);
    bulk(
      ['e1@example.com', 'e2@example.com', 'x@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict', 'x@example.com': 'omitted' },
      [G1],
    );
    groupList(G1, [
      existingMember(1, 'e1@example.com'),
      existingMember(2, 'e2@example.com'),
      existingMember(3, 'x@example.com'),
    ]);
    const first = await run(entries, { groupIds: [G1] }, { remember: true });
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

    groupCheck(G1, 3);
    bulk(['x@example.com'], { 'x@example.com': 'created' }, [G1]);
    const replay = await run(entries, { groupIds: [G1] }, { remember: true });
    expect(nock.pendingMocks()).toEqual([]);
    expect(replay.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['e1@example.com', 'existing', uuid(1001)],
      ['e2@example.com', 'existing', uuid(1002)],
      ['x@example.com', 'created', uuid(5000)],
    ]);
    expect(replay.apiRequests).toBe(2);
  });

  it('a replay neither sends nor looks up again a member a group list found before the step stopped', async () => {
    const entries = entriesOf('e1@example.com', 'e2@example.com');
    const groupIds = [G1, G2];
    // G1's list shows e1, then its next page stops the step; G2 was empty, so it is not read.
    groupCheck(G1, 100);
    groupCheck(G2, 0);
    bulk(
      ['e1@example.com', 'e2@example.com'],
      { 'e1@example.com': 'conflict', 'e2@example.com': 'conflict' },
      groupIds,
    );
    groupList(G1, [existingMember(1, 'e1@example.com')], undefined, 'c1');
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(403, { error: 'Forbidden' }, headers('stop'));
    const first = await run(entries, { groupIds }, { remember: true });
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

    // The replay: e1 goes straight to its groups; only e2 is sent and looked up again.
    groupCheck(G1, 100);
    groupCheck(G2, 0);
    bulk(['e2@example.com'], { 'e2@example.com': 'conflict' }, groupIds);
    groupAdd(G1, 1);
    groupAdd(G2, 1);
    lookup('e2@example.com', 2);
    groupAdd(G1, 2);
    groupAdd(G2, 2);
    const replay = await run(entries, { groupIds }, { remember: true });
    expect(nock.pendingMocks()).toEqual([]);
    expect(replay.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['e1@example.com', 'added_to_groups', uuid(1001)],
      ['e2@example.com', 'added_to_groups', uuid(1002)],
    ]);
    expect(replay).toMatchObject({ apiRequests: 8, lookups: 1 });
  });
});

describe('bulk run: refusal wording', () => {
  const refused = (apiMessage: string) =>
    withInfo(new Error('HTTP 422'), { status: 422, apiMessage, transient: false });
  const reason = (said: string) =>
    `Sotion refused this member (HTTP 422): ${said}. ` +
    'The other members of its batch were sent without it.';

  it("drops the member's position however it is spaced, and ends Sotion's sentence once", () => {
    expect(refusalReason(refused('Email is not valid.\n'), 422)).toBe(reason('Email is not valid'));
    expect(
      refusalReason(refused('Invalid email\n  at members[4].email (must contain @)'), 422),
    ).toBe(reason('Invalid email (must contain @)'));
  });

  it('calls members[n] "this member" with or without a field after it', () => {
    expect(refusalReason(refused('members[12] is listed twice'), 422)).toBe(
      reason('this member is listed twice'),
    );
    expect(refusalReason(refused('members[3].profile.name is too long'), 422)).toBe(
      reason('this member is too long'),
    );
  });
});
