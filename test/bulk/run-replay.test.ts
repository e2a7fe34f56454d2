/**
 * Issue 17 §2: what a replay after a throttle (Zapier's retry of a ThrottledError, or a user's
 * replay) takes over from the run before: members Sotion said exist are not sent again, list
 * reads go on where they stopped, and what was learnt of each member is not asked again.
 */
import nock from 'nock';
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
import { errorInfo } from '../../src/http/errors';
import { api, appTester, group, headers, makeBundle, pageOf, PREFIX, uuid } from '../helpers';
import { fullMember, listedMember } from '../member-fixtures';

const G1 = uuid(101);
const G2 = uuid(102);

const emailOf = (n: number) => `e${n}@example.com`;
const idOf = (n: number) => uuid(1000 + n);
const existingMember = (n: number, over: { paid?: boolean; status?: 'active' | 'blocked' } = {}) =>
  listedMember(n, { email: emailOf(n), ...over });
const range = (count: number) => Array.from({ length: count }, (_, i) => i);
const entriesOf = (emails: string[], paid?: boolean): BulkEntry[] =>
  emails.map((raw, i) => ({
    raw,
    source: `email list entry ${i + 1}`,
    ...(paid === undefined ? {} : { paid }),
  }));

/** Runs the engine on a fresh client with the step memory of one step, as a replay sees it. */
const run = async (entries: BulkEntry[], options: Partial<BulkOptions>): Promise<BulkReport> => {
  let report: BulkReport | undefined;
  await appTester(async (z: ZObject, bundle: Bundle) => {
    report = await bulkAddMembers(new SotionClient(z, bundle), entries, {
      groupIds: [],
      addExistingToGroups: true,
      updateExisting: UPDATE_EXISTING.leave,
      ...options,
      memory: new StepMemory(z, { step: 'run-replay' }),
    });
    return null;
  }, makeBundle({}));
  if (report === undefined) throw new Error('the engine returned no report');
  return report;
};

/** Sotion's rate limit: nothing processed, come back in two minutes (longer than the run). */
const THROTTLED = [
  429,
  { error: 'Too many requests' },
  headers('rl', { 'retry-after': '120' }),
] as const;

const groupWith = (id: string, memberCount: number) =>
  api()
    .get(`${PREFIX}/access-groups/${id}`)
    .reply(200, { data: group(Number.parseInt(id.slice(-3), 16), { id, memberCount }) }, headers());

/** POST /members/bulk for exactly these emails, all of which exist. */
const allExist = (emails: string[], accessGroupIds?: string[], paid?: boolean) => {
  const data = emails.map((email) => ({
    email,
    status: 'conflict',
    error: { code: 'conflict', message: 'exists' },
  }));
  api()
    .post(`${PREFIX}/members/bulk`, {
      members: emails.map((email) => ({ email, ...(paid === undefined ? {} : { paid }) })),
      ...(accessGroupIds ? { accessGroupIds } : {}),
    })
    .reply(
      207,
      { data, summary: { total: data.length, created: 0, failed: data.length } },
      headers(),
    );
};

const groupPage = (groupId: string, items: unknown[], after?: string, next: string | null = null) =>
  api()
    .get(`${PREFIX}/access-groups/${groupId}/members`)
    .query(after === undefined ? { limit: '100' } : { limit: '100', after })
    .reply(200, pageOf(items, next), headers());

const added = (groupId: string, n: number) =>
  api()
    .post(`${PREFIX}/access-groups/${groupId}/members`, { memberId: idOf(n) })
    .reply(201, { data: fullMember(n, [], { email: emailOf(n) }) }, headers());

const outcomes = (report: BulkReport) => report.results.map((r) => [r.email, r.status, r.memberId]);

describe('bulk run: a replay after a throttle goes on where the run stopped', () => {
  it("keeps a group list's position on a throttle: the replay reads on from the next page, sending nobody again", async () => {
    const emails = range(4).map(emailOf);
    groupWith(G1, 150);
    allExist(emails, [G1]);
    groupPage(G1, [existingMember(0), existingMember(1)], undefined, 'c1');
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(...THROTTLED);
    const first = await run(entriesOf(emails), { groupIds: [G1] });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(first.fatal)?.status).toBe(429);
    // The two the first page showed in the group are done; the other two wait for the replay.
    expect(outcomes(first)).toEqual([
      [emailOf(0), 'existing', idOf(0)],
      [emailOf(1), 'existing', idOf(1)],
      [emailOf(2), 'failed', null],
      [emailOf(3), 'failed', null],
    ]);
    expect(first.apiRequests).toBe(4);

    // No group check, no bulk request: page c1 and the page after it.
    groupPage(G1, [existingMember(2)], 'c1', 'c2');
    groupPage(G1, [existingMember(3)], 'c2');
    const replay = await run(entriesOf(emails), { groupIds: [G1] });
    expect(outcomes(replay)).toEqual([
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
    allExist(emails, [G1]);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([existingMember(0), existingMember(1)], 'c1'), headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(...THROTTLED);
    const first = await run(entriesOf(emails), { groupIds: [G1] });
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
    for (const n of range(5)) added(G1, n);
    const replay = await run(entriesOf(emails), { groupIds: [G1] });
    expect(outcomes(replay)).toEqual(range(5).map((n) => [emailOf(n), 'added_to_groups', idOf(n)]));
    expect(replay).toMatchObject({ apiRequests: 6, memberPages: 1, lookups: 0 });
  });

  it('a group list read to the end is not read again; the one a throttle stopped is', async () => {
    const emails = range(8).map(emailOf);
    groupWith(G1, 100);
    groupWith(G2, 100);
    allExist(emails, [G1, G2]);
    // G1's list (one page) shows e0–e3; G2's first page meets the rate limit.
    groupPage(
      G1,
      range(4).map((n) => existingMember(n)),
    );
    api()
      .get(`${PREFIX}/access-groups/${G2}/members`)
      .query({ limit: '100' })
      .delay(100)
      .reply(...THROTTLED);
    const first = await run(entriesOf(emails), { groupIds: [G1, G2] });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(first).toMatchObject({ apiRequests: 5, groupsUnchecked: 8 });

    // G2's list shows everyone: e0–e3 are done, e4–e7 go into G1 only.
    groupPage(
      G2,
      range(8).map((n) => existingMember(n)),
    );
    for (const n of range(8).slice(4)) added(G1, n);
    const replay = await run(entriesOf(emails), { groupIds: [G1, G2] });
    expect(outcomes(replay)).toEqual(
      range(8).map((n) => [emailOf(n), n < 4 ? 'existing' : 'added_to_groups', idOf(n)]),
    );
    expect(replay).toMatchObject({ apiRequests: 5, lookups: 0 });
    expect(replay.fatal).toBeUndefined();
  });

  it('a member added to one group of two before a throttle is added to the other only', async () => {
    groupWith(G1, 0);
    groupWith(G2, 0);
    allExist([emailOf(0)], [G1, G2]);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(0), limit: '1' })
      .reply(200, pageOf([existingMember(0)]), headers());
    added(G1, 0);
    api()
      .post(`${PREFIX}/access-groups/${G2}/members`, { memberId: idOf(0) })
      .reply(...THROTTLED);
    const first = await run(entriesOf([emailOf(0)]), { groupIds: [G1, G2] });
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(outcomes(first)).toEqual([[emailOf(0), 'failed', idOf(0)]]);

    added(G2, 0);
    const replay = await run(entriesOf([emailOf(0)]), { groupIds: [G1, G2] });
    expect(replay.results.map((r) => [r.status, r.reason])).toEqual([
      ['added_to_groups', 'Already a member; added to 1 of 2 group(s), already in the rest.'],
    ]);
    expect(replay).toMatchObject({ apiRequests: 1, lookups: 0 });
  });

  it("remembers a member's Paid and status: the replay PATCHes without reading the member again", async () => {
    const emails = [emailOf(0), emailOf(1)];
    allExist(emails, undefined, true);
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
    const first = await run(entriesOf(emails, true), update);
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(outcomes(first)).toEqual([
      [emailOf(0), 'failed', idOf(0)],
      [emailOf(1), 'existing', idOf(1)],
    ]);

    api()
      .patch(`${PREFIX}/members/${idOf(0)}`, { paid: true, status: 'active' })
      .reply(200, { data: fullMember(0, [], { email: emailOf(0), paid: true }) }, headers());
    const replay = await run(entriesOf(emails, true), update);
    expect(outcomes(replay)[0]).toEqual([emailOf(0), 'updated', idOf(0)]);
    expect(replay).toMatchObject({ apiRequests: 1, lookups: 0 });
  });

  it('an existing member a look-up cannot find is sent again by the replay', async () => {
    allExist([emailOf(0)]);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(0), limit: '1' })
      .reply(200, pageOf([]), headers());
    const update = { updateExisting: UPDATE_EXISTING.paid };
    const first = await run(entriesOf([emailOf(0)]), update);
    expect(outcomes(first)).toEqual([[emailOf(0), 'failed', null]]);

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
    const replay = await run(entriesOf([emailOf(0)]), update);
    expect(outcomes(replay)).toEqual([[emailOf(0), 'created', idOf(0)]]);
  });

  it('a list position Sotion refuses (HTTP 400) is dropped: the replay reads the list from the top', async () => {
    const emails = range(6).map(emailOf);
    groupWith(G1, 150);
    allExist(emails, [G1]);
    groupPage(G1, [existingMember(0)], undefined, 'c1');
    api()
      .get(`${PREFIX}/access-groups/${G1}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(400, { error: 'Invalid cursor' }, headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(...THROTTLED);
    const first = await run(entriesOf(emails), { groupIds: [G1] });
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(first.apiRequests).toBe(5);

    groupPage(
      G1,
      range(6).map((n) => existingMember(n)),
    );
    const replay = await run(entriesOf(emails), { groupIds: [G1] });
    expect(outcomes(replay).slice(1)).toEqual(
      range(6)
        .slice(1)
        .map((n) => [emailOf(n), 'existing', idOf(n)]),
    );
    expect(replay.apiRequests).toBe(1);
  });
});
