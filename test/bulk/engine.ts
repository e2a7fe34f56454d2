/**
 * Running the bulk engine directly (not through the step) on a client whose deadline the test
 * controls, so the report's counters and every request are exact; and the Sotion answers its
 * tests need, as nock interceptors. Shared by the tests of each phase (test/bulk/*.test.ts).
 */
import type nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import type { BulkEntry } from '../../src/bulk/entries';
import type { StepOutput } from '../../src/bulk/output';
import { BulkMemory } from '../../src/bulk/memory';
import {
  bulkAddMembers,
  UPDATE_EXISTING,
  type BulkOptions,
  type BulkReport,
} from '../../src/bulk/run';
import type { MemberListItem } from '../../src/api/schemas';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
import {
  api,
  appTester,
  group,
  groupListRead,
  headers,
  makeBundle,
  pageOf,
  PREFIX,
  uuid,
} from '../helpers';
import { fullMember, listedMember } from '../member-fixtures';

export const G1 = uuid(101);
export const G2 = uuid(102);

/** A deadline the test moves: the time left is whatever `left` says, whatever the clock says. */
export class MovableDeadline extends Deadline {
  constructor(public left = 20_000) {
    super();
  }

  override remainingMs(): number {
    return this.left;
  }
}

/** Existing member n: e{n}@example.com, id uuid(1000 + n). */
export const emailOf = (n: number) => `e${n}@example.com`;
export const idOf = (n: number) => uuid(1000 + n);
export const existingMember = (
  n: number,
  over: { paid?: boolean; status?: 'active' | 'blocked' } = {},
) => listedMember(n, { email: emailOf(n), ...over });
/** Member n (id uuid(1000 + n)) with another email. */
export const memberWith = (n: number, email: string) => listedMember(n, { email });
/** A member this run creates: new{n}@example.com, id uuid(3000 + n). */
export const newEmail = (n: number) => `new${n}@example.com`;
export const newMember = (n: number) => listedMember(2000 + n, { email: newEmail(n) });
export const range = (count: number) => Array.from({ length: count }, (_, i) => i);

/**
 * A step's output as its progress sentence reads it: every count 0 unless given (only the counts
 * are read, so the email lists are left out).
 */
export const countsOf = <S extends string>(counts: Partial<Record<string, number>>) =>
  ({
    total: 0,
    unchangedCount: 0,
    addedCount: 0,
    createdCount: 0,
    removedCount: 0,
    notInGroupCount: 0,
    notAMemberCount: 0,
    invalidCount: 0,
    duplicateCount: 0,
    failedCount: 0,
    ...counts,
  }) as unknown as StepOutput<S>;

/** The emails, in order, as email list entries; `paid[i]` is entry i's Paid, when given. */
export const entriesOf = (emails: string[], paid: Array<boolean | undefined> = []): BulkEntry[] =>
  emails.map((raw, i) => ({
    raw,
    source: `email list entry ${i + 1}`,
    ...(paid[i] === undefined ? {} : { paid: paid[i] }),
  }));

/**
 * Runs the engine on a fresh client, with the step memory of the step `memory` names when given
 * (z.cache, as a replay sees it). The report is taken as the engine returns it, not as core
 * serialises it.
 */
export const runEngine = async (
  entries: BulkEntry[],
  { memory, ...options }: Partial<Omit<BulkOptions, 'memory'>> & { memory?: string } = {},
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
      ...(memory === undefined ? {} : { memory: new BulkMemory(z, 'bulk_add_members', memory) }),
    });
    return null;
  }, makeBundle({}));
  if (report === undefined) throw new Error('the engine returned no report');
  return report;
};

/** Each result as [email, status, memberId, reason]. */
export const outcomes = (report: BulkReport) =>
  report.results.map((r) => [r.email, r.status, r.memberId, r.reason]);

export const IN_EVERY_GROUP = 'Already a member, already in every chosen group.';
export const NOTHING_TO_CHANGE = 'Already a member; nothing to change.';
export const ADDED_TO_ONE = 'Already a member; added to 1 of 1 group(s), already in the rest.';
export const OUT_OF_TIME =
  'Already a member, but the step ran out of time before checking its access groups. Replay the step to finish.';
export const STOPPED =
  'Already a member, but the step stopped after an error (see the step error) before checking ' +
  'its access groups. Replay the step to finish.';

/** Sotion's rate limit: nothing processed, come back in two minutes (longer than the run). */
export const THROTTLED = [
  429,
  { error: 'Too many requests' },
  headers('rl', { 'retry-after': '120' }),
] as const;

/** POST /members/bulk with exactly these entries: `existing` conflict, the rest are created. */
export const bulkAnswers = (
  entries: BulkEntry[],
  existing: Set<string>,
  accessGroupIds?: string[],
) => {
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

type BulkItem = {
  email: string;
  status: string;
  member?: MemberListItem;
  error?: { code: string; message: string };
};

/**
 * POST /members/bulk for exactly `emails`, answered per email (created unless `answer` says
 * otherwise; a created member's id is uuid(5000 + its place in the batch)). Returns the nock scope
 * (its `request` event: the moment Sotion has the request).
 */
export const bulk = (
  emails: string[],
  answer: Record<string, 'created' | 'conflict' | 'omitted' | 'error'>,
  accessGroupIds?: string[],
  delayMs = 0,
) => {
  const body: { members: Array<{ email: string }>; accessGroupIds?: string[] } = {
    members: emails.map((email) => ({ email })),
  };
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
  return api()
    .post(`${PREFIX}/members/bulk`, body)
    .delay(delayMs)
    .reply(
      207,
      { data, summary: { total: data.length, created, failed: data.length - created } },
      headers('bulk'),
    );
};

/** POST /members/bulk for exactly `emails`, refused whole `times` times in a row. */
export const refuse = (emails: string[], status: number, error: string, times = 1) =>
  api()
    .post(`${PREFIX}/members/bulk`, { members: emails.map((email) => ({ email })) })
    .times(times)
    .reply(status, { error }, headers(emails[0]));

/** GET /access-groups/{id}: a custom group with `memberCount` members before the run. */
export const groupWith = (id: string, memberCount: number) =>
  api()
    .get(`${PREFIX}/access-groups/${id}`)
    .reply(200, { data: group(Number.parseInt(id.slice(-3), 16), { id, memberCount }) }, headers());

/** GET /members?email=: member n, under its own email unless another is given. */
export const lookup = (n: number, email: string = emailOf(n)) =>
  api()
    .get(`${PREFIX}/members`)
    .query({ email, limit: '1' })
    .reply(200, pageOf([listedMember(n, { email })]), headers('lookup'));

/** POST /access-groups/{id}/members for member n: added (201), or what `status` says. */
export const groupAdd = (groupId: string, n: number, status = 201) =>
  api()
    .post(`${PREFIX}/access-groups/${groupId}/members`, { memberId: idOf(n) })
    .reply(
      status,
      status === 201
        ? { data: fullMember(n, [], { email: emailOf(n) }) }
        : { error: 'This member cannot be added to the group' },
      headers('add'),
    );

/** One page of a group's member list: the first without `after`, `next` when more follow. */
export const groupList = (
  groupId: string,
  members: unknown[],
  after?: string,
  next: string | null = null,
) => groupListRead(groupId, after).reply(200, pageOf(members, next), headers('list'));

/** A nock reply that leaves the run `left` ms before it answers: the answer comes as time runs out. */
export const leaving =
  (deadline: MovableDeadline, left: number, ...answer: [number, nock.Body, nock.ReplyHeaders]) =>
  () => {
    deadline.left = left;
    return answer;
  };

/** Each result as [email, status, memberId]. */
export const statuses = (report: BulkReport) =>
  report.results.map((r) => [r.email, r.status, r.memberId]);

/** DELETE /access-groups/G1/members/{member n}: 204 (removed) unless `status` says otherwise. */
export const removal = (n: number, status = 204, times = 1) =>
  api()
    .delete(`${PREFIX}/access-groups/${G1}/members/${idOf(n)}`)
    .times(times)
    .reply(status, status === 204 ? '' : { error: 'Membership not found' }, headers(`del${n}`));

/** One page of G1's member list: the first without `after`, `next` when more follow. */
export const groupPage = (ns: number[], after?: string, next: string | null = null) =>
  groupList(
    G1,
    ns.map((n) => existingMember(n)),
    after,
    next,
  );
