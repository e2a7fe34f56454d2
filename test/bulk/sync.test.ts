/**
 * The sync engine (src/bulk/sync.ts) run directly on a client whose deadline the test moves:
 * every request exact (nock), every result and counter checked, across runs through z.cache.
 */
import type { Bundle, ZObject } from 'zapier-platform-core';
import type { BulkEntry } from '../../src/bulk/entries';
import { BulkMemory } from '../../src/bulk/memory';
import {
  defaultMaxRemovals,
  NOT_IN_LIST,
  SYNC_STEP,
  syncGroupMembers,
  type SyncOptions,
  type SyncReport,
  type SyncStatus,
} from '../../src/bulk/sync';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
import { errorInfo } from '../../src/http/errors';
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
  uuid,
} from '../helpers';
import { recordCalls } from './calls';
import {
  bulk,
  countsOf,
  emailOf,
  entriesOf,
  existingMember,
  G1,
  groupAdd,
  groupList,
  groupWith,
  idOf,
  leaving,
  lookup,
  MovableDeadline,
  newEmail,
  range,
  removal,
  THROTTLED,
} from './engine';

const nobody = (email: string) =>
  api()
    .get(`${PREFIX}/members`)
    .query({ email, limit: '1' })
    .reply(200, pageOf([]), headers('nobody'));

const sent = recordCalls();

/** Runs the engine on a fresh client; `memory` names the step memory (z.cache) it shares. */
const runSync = async (
  entries: BulkEntry[],
  { memory, ...options }: Partial<Omit<SyncOptions, 'memory'>> & { memory?: string } = {},
  deadline: Deadline = new MovableDeadline(),
): Promise<SyncReport> => {
  let report: SyncReport | undefined;
  await appTester(async (z: ZObject, bundle: Bundle) => {
    const client = new SotionClient(z, bundle, deadline);
    report = await syncGroupMembers(client, entries, {
      groupId: G1,
      createMissing: true,
      removeOthers: true,
      dryRun: false,
      ...options,
      ...(memory === undefined
        ? {}
        : { memory: new BulkMemory(z, 'sync_access_group_members', memory) }),
    });
    return null;
  }, makeBundle({}));
  if (report === undefined) throw new Error('the engine returned no report');
  return report;
};

const rows = (report: SyncReport) =>
  report.results.map((r) => [r.email, r.source, r.status, r.memberId, r.reason]);
const L = (i: number) => `email list entry ${i}`;

const ADDED = 'Already a member of the site; added to the group.';
const CREATED = 'Created, in the group.';
const UNCHANGED = 'Already in the group.';
const REMOVED = 'Not in the list; removed from the group.';
const EARLIER = 'Done by an earlier run of this step.';
const OUT_ALREADY =
  "Not in the list. The group's member list showed this member, but Sotion answered that it " +
  'is no longer in the group (someone removed it meanwhile): nothing to remove.';
const LEFT =
  'Not done yet: the step was handed back to Zapier before it got here (the rate limit or the ' +
  'time Zapier allows a step); the replay goes on from here.';

/** The replay of a list of e0 alone (found in the group earlier), which removes e5 from it. */
const replayRemovingE5 = async (entries: BulkEntry[]) => {
  removal(5);
  const replay = await runSync(entries, { memory: 'step' });
  expect(rows(replay)).toEqual([
    [emailOf(0), L(1), 'unchanged', idOf(0), `${UNCHANGED} ${EARLIER}`],
    [emailOf(5), NOT_IN_LIST, 'removed', idOf(5), REMOVED],
  ]);
  return replay;
};

describe('sync engine: the normal path', () => {
  it('keeps, creates, adds and removes with the fewest requests, writes after every read', async () => {
    groupWith(G1, 2);
    groupList(G1, [existingMember(0), existingMember(5)]);
    bulk([emailOf(1), 'new@example.com'], { [emailOf(1)]: 'conflict' }, [G1]);
    lookup(1);
    groupAdd(G1, 1);
    removal(5);
    const report = await runSync(entriesOf([emailOf(0), emailOf(1), 'new@example.com']));
    expect(rows(report)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(1), L(2), 'added', idOf(1), ADDED],
      ['new@example.com', L(3), 'created', expect.any(String), CREATED],
      [emailOf(5), NOT_IN_LIST, 'removed', idOf(5), REMOVED],
    ]);
    expect(report).toMatchObject({
      apiRequests: 6,
      lookups: 1,
      memberPages: 0,
      notSent: 0,
      memberCount: 2,
      maxRemovals: 10,
      dryRun: false,
      groupId: G1,
      groupName: 'Group 101',
    });
    expect(report.fatal).toBeUndefined();
    // Every read before the first write.
    expect(sent).toEqual([
      `GET /access-groups/${G1}`,
      `GET /access-groups/${G1}/members?limit=100`,
      'POST /members/bulk',
      `GET /members?email=${emailOf(1)}&limit=1`,
      `POST /access-groups/${G1}/members`,
      `DELETE /access-groups/${G1}/members/${idOf(5)}`,
    ]);
  });

  it('says who is blocked, and that it does not unblock them', async () => {
    groupWith(G1, 1);
    groupList(G1, [existingMember(0, { status: 'blocked' })]);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(1), limit: '1' })
      .reply(200, pageOf([existingMember(1, { status: 'blocked' })]), headers());
    groupAdd(G1, 1);
    const report = await runSync(entriesOf([emailOf(0), emailOf(1)]), { createMissing: false });
    const blocked =
      ' The member is blocked: no access until unblocked (this step does not unblock members).';
    expect(rows(report)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED + blocked],
      [emailOf(1), L(2), 'added', idOf(1), ADDED + blocked],
    ]);
  });

  it('a member put into the group while the step ran (409) is unchanged; one out of it already (404) is not claimed as removed', async () => {
    groupWith(G1, 1);
    groupList(G1, [existingMember(5)]);
    lookup(1);
    groupAdd(G1, 1, 409);
    removal(5, 404);
    const report = await runSync(entriesOf([emailOf(1)]), { createMissing: false });
    expect(rows(report)).toEqual([
      [
        emailOf(1),
        L(1),
        'unchanged',
        idOf(1),
        'Already in the group (put there while this step ran).',
      ],
      [
        emailOf(5),
        NOT_IN_LIST,
        'not_in_group',
        idOf(5),
        "Not in the list. The group's member list showed this member, but Sotion answered that it is no longer in the group (someone removed it meanwhile): nothing to remove.",
      ],
    ]);
  });

  it('reads every page of the group before writing, and counts invalid and repeated emails apart', async () => {
    groupWith(G1, 150);
    const members = range(150).map((n) => existingMember(n + 10));
    groupList(G1, members.slice(0, 100), undefined, 'c1');
    groupList(G1, [...members.slice(100), existingMember(0)], 'c1');
    const entries = [
      ...entriesOf([emailOf(0), 'not-an-email', emailOf(0).toUpperCase()]),
      ...range(150).map((n, i) => ({ raw: emailOf(n + 10), source: `line item ${i + 1}` })),
    ];
    const report = await runSync(entries);
    expect(report.results.map((r) => r.status).slice(0, 3)).toEqual([
      'unchanged',
      'invalid',
      'duplicate',
    ]);
    expect(report.results.filter((r) => r.status === 'unchanged')).toHaveLength(151);
    expect(report.results).toHaveLength(153);
    expect(report.apiRequests).toBe(3);
  });
});

describe('sync engine: dry run', () => {
  it('reads what a real run would read, writes nothing, and reports what it would do', async () => {
    groupWith(G1, 2);
    groupList(G1, [existingMember(0), existingMember(5)]);
    lookup(1);
    nobody('new@example.com');
    const report = await runSync(entriesOf([emailOf(0), emailOf(1), 'new@example.com']), {
      dryRun: true,
    });
    expect(rows(report)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [
        emailOf(1),
        L(2),
        'added',
        idOf(1),
        'Dry run: would be added to the group (already a member of the site).',
      ],
      [
        'new@example.com',
        L(3),
        'created',
        null,
        'Dry run: would be created in the group (no member has this email).',
      ],
      [
        emailOf(5),
        NOT_IN_LIST,
        'removed',
        idOf(5),
        'Dry run: would be removed from the group (not in the list).',
      ],
    ]);
    expect(sent.every((request) => request.startsWith('GET '))).toBe(true);
    expect(sent).toHaveLength(4);
    expect(report).toMatchObject({ dryRun: true, apiRequests: 4, notSent: 0 });
  });

  it('tells who is nobody yet from the site list read to its end, without a look-up each', async () => {
    groupWith(G1, 0);
    groupList(G1, []);
    const emails = range(5).map((n) => `new${n}@example.com`);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([existingMember(1), existingMember(2)]), headers());
    const report = await runSync(entriesOf([...emails, emailOf(1)]), {
      dryRun: true,
      createMissing: false,
    });
    expect(report.results.map((r) => r.status)).toEqual([
      ...emails.map(() => 'not_a_member'),
      'added',
    ]);
    expect(report.results[0]?.reason).toBe(
      'No member has this email; it would not be created ("Create Missing Members" is off).',
    );
    expect(report).toMatchObject({ apiRequests: 3, lookups: 0, memberPages: 1 });
    expect(sent.every((request) => request.startsWith('GET '))).toBe(true);
  });
});

describe('sync engine: the removal guard', () => {
  it('trips before any write, with the count, the default and how to allow it', async () => {
    groupWith(G1, 20);
    groupList(G1, [existingMember(0), ...range(12).map((n) => existingMember(n + 10))]);
    const error = await rejection(runSync(entriesOf([emailOf(0), 'new@example.com'])));
    expect(messageOf(error)).toBe(
      'Sync Access Group Members stopped before changing anything: it would remove 12 members ' +
        'from "Group 101" (those not in the list), and Max Removals allows 10 (the default: 10% ' +
        'of its 20 members, at least 10). The list has 2 valid emails: if it was cut short, fix ' +
        'it first. To allow this, set Max Removals to 12, or turn Remove Others off. Members it ' +
        'would remove: e10@example.com, e11@example.com, e12@example.com, e13@example.com, ' +
        'e14@example.com and 7 more.',
    );
    expect(sent).toEqual([
      `GET /access-groups/${G1}`,
      `GET /access-groups/${G1}/members?limit=100`,
    ]);
  });

  it('Max Removals 0 forbids any removal; a dry run reports the stop a real run would make', async () => {
    groupWith(G1, 2);
    groupList(G1, [existingMember(0), existingMember(5)]);
    const error = await rejection(
      runSync(entriesOf([emailOf(0)]), { maxRemovals: 0, dryRun: true }),
    );
    expect(messageOf(error)).toBe(
      'Dry run: a real run would stop before changing anything: it would remove 1 member from ' +
        '"Group 101" (those not in the list), and Max Removals allows 0. The list has 1 valid ' +
        'email: if it was cut short, fix it first. To allow this, set Max Removals to 1, or turn ' +
        'Remove Others off. Members it would remove: e5@example.com.',
    );
  });

  it('trips on a list read in part when it already has too many, saying "at least"', async () => {
    groupWith(G1, 500);
    groupList(
      G1,
      range(100).map((n) => existingMember(n + 10)),
      undefined,
      'c1',
    );
    groupListRead(G1, 'c1').reply(...THROTTLED);
    const error = await rejection(runSync(entriesOf([emailOf(0)]), { memory: 'step' }));
    expect(messageOf(error)).toMatch(
      /^Sync Access Group Members stopped before changing anything: it would remove at least 100 members .* set Max Removals to 100 or more, or turn Remove Others off\./,
    );
  });

  it('the default is 10% of the group, at least 10', () => {
    expect([0, 99, 100, 109, 110, 1_000].map(defaultMaxRemovals)).toEqual([
      10, 10, 10, 10, 11, 100,
    ]);
  });

  it('a list with no valid email is refused before any request', async () => {
    const error = await rejection(runSync(entriesOf(['nope', ''])));
    expect(messageOf(error)).toBe(
      'The list has no valid email (2 invalid: nope, (empty)), and a list with no valid email ' +
        'would remove everyone from the group, so nothing was done. Fill in Emails, Members or ' +
        'the CSV file, for example `ada@example.com`.',
    );
    // Up to three quoted, then how many more.
    expect(messageOf(await rejection(runSync(entriesOf(['a', 'b', 'c']))))).toMatch(
      /^The list has no valid email \(3 invalid: a, b, c\), and/,
    );
    expect(messageOf(await rejection(runSync(entriesOf(['a', 'b', 'c', 'd', 'e']))))).toMatch(
      /^The list has no valid email \(5 invalid: a, b, c and 2 more\), and/,
    );
    const off = await rejection(runSync([], { removeOthers: false }));
    expect(messageOf(off)).toBe(
      'The list has no valid email, so there is nothing to sync. Fill in Emails, Members or the ' +
        'CSV file, for example `ada@example.com`.',
    );
  });

  it('a scope group is refused after its check, before any other request', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G1}`)
      .reply(200, { data: group(1, { id: G1, name: 'Notion DB', type: 'scope' }) }, headers());
    const error = await rejection(runSync(entriesOf([emailOf(0)])));
    expect(messageOf(error)).toBe(
      `Access group "Notion DB" (${G1}) is a scope group, managed from a Notion collection; ` +
        'members cannot be added to or removed from it through the API. Choose custom groups only.',
    );
  });
});

describe('sync engine: options', () => {
  it('Create Missing Members off: an email nobody has is reported, not created', async () => {
    groupWith(G1, 0);
    groupList(G1, []);
    lookup(1);
    nobody('new@example.com');
    groupAdd(G1, 1);
    const report = await runSync(entriesOf([emailOf(1), 'new@example.com']), {
      createMissing: false,
    });
    expect(rows(report)).toEqual([
      [emailOf(1), L(1), 'added', idOf(1), ADDED],
      [
        'new@example.com',
        L(2),
        'not_a_member',
        null,
        'No member has this email; not created ("Create Missing Members" is off).',
      ],
    ]);
    expect(sent.filter((r) => r.includes('/members/bulk'))).toEqual([]);
    expect(report.apiRequests).toBe(5);
  });

  it('Remove Others off: nobody is removed, and the list read stops once every email is found', async () => {
    groupWith(G1, 300);
    groupList(G1, [existingMember(0), existingMember(1), existingMember(5)], undefined, 'c1');
    const report = await runSync(entriesOf([emailOf(0), emailOf(1)]), { removeOthers: false });
    expect(rows(report)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(1), L(2), 'unchanged', idOf(1), UNCHANGED],
    ]);
    expect(report.apiRequests).toBe(2);
  });

  it('Remove Others off: reads to the end when an email is not in the group, then adds it', async () => {
    groupWith(G1, 2);
    groupList(G1, [existingMember(0), existingMember(5)]);
    bulk([emailOf(1)], { [emailOf(1)]: 'created' }, [G1]);
    const report = await runSync(entriesOf([emailOf(0), emailOf(1)]), { removeOthers: false });
    expect(report.results.map((r) => r.status)).toEqual(['unchanged', 'created']);
    expect(report.apiRequests).toBe(3);
  });
});

describe('sync engine: across runs', () => {
  it('a second run with the same list costs only the group list pages', async () => {
    groupWith(G1, 1);
    groupList(G1, [existingMember(5)]);
    bulk([emailOf(1)], {}, [G1]);
    removal(5);
    const first = await runSync(entriesOf([emailOf(1)]), { memory: 'step' });
    expect(first.results.map((r) => r.status)).toEqual(['created', 'removed']);
    expect(first.apiRequests).toBe(4);

    groupListRead(G1).reply(200, pageOf([{ ...existingMember(1), id: idOf(1) }]), headers());
    const second = await runSync(entriesOf([emailOf(1)]), { memory: 'step' });
    expect(rows(second)).toEqual([[emailOf(1), L(1), 'unchanged', idOf(1), UNCHANGED]]);
    expect(second.apiRequests).toBe(1);
  });

  it('a throttled run hands back; the replay goes on without reading or sending anything again', async () => {
    groupWith(G1, 3);
    groupList(G1, [existingMember(0), existingMember(5), existingMember(6)]);
    bulk([emailOf(1), 'new@example.com'], { [emailOf(1)]: 'conflict' }, [G1]);
    lookup(1);
    groupAdd(G1, 1);
    // Someone else took e5 out meanwhile.
    removal(5, 404);
    api()
      .delete(`${PREFIX}/access-groups/${G1}/members/${idOf(6)}`)
      .reply(...THROTTLED);
    const entries = entriesOf([emailOf(0), emailOf(1), 'new@example.com']);
    const first = await runSync(entries, { memory: 'step' });
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(first.notSent).toBe(1);
    expect(first.results.map((r) => r.status)).toEqual([
      'unchanged',
      'added',
      'created',
      'not_in_group',
      'failed',
    ]);

    // The replay: only the removal left.
    removal(6);
    const replay = await runSync(entries, { memory: 'step' });
    expect(rows(replay)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), `${UNCHANGED} ${EARLIER}`],
      [emailOf(1), L(2), 'added', idOf(1), `${ADDED} ${EARLIER}`],
      ['new@example.com', L(3), 'created', expect.any(String), `${CREATED} ${EARLIER}`],
      [emailOf(5), NOT_IN_LIST, 'not_in_group', idOf(5), `${OUT_ALREADY} ${EARLIER}`],
      [emailOf(6), NOT_IN_LIST, 'removed', idOf(6), REMOVED],
    ]);
    expect(replay).toMatchObject({ apiRequests: 1, notSent: 0 });
    expect(replay.fatal).toBeUndefined();

    // Done: the next run reads the group again (and only that).
    groupListRead(G1).reply(
      200,
      pageOf([
        existingMember(0),
        existingMember(1),
        { ...existingMember(2), email: 'new@example.com' },
      ]),
      headers(),
    );
    const third = await runSync(entries, { memory: 'step' });
    expect(third.results.map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(third.apiRequests).toBe(1);
  });

  it('a group list longer than the run can read goes on where it stopped, writing nothing before its end', async () => {
    const deadline = new MovableDeadline();
    groupWith(G1, 150);
    groupListRead(G1).reply(
      leaving(
        deadline,
        1_000,
        200,
        pageOf([existingMember(0), existingMember(5)], 'c1'),
        headers(),
      ),
    );
    const entries = entriesOf([emailOf(0), emailOf(1)]);
    const first = await runSync(entries, { memory: 'step' }, deadline);
    expect(first.fatal).toBeUndefined();
    expect(first.notSent).toBe(1);
    expect(rows(first)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(1), L(2), 'failed', null, LEFT],
    ]);
    expect(first.apiRequests).toBe(2);

    // The replay reads on from page 2, then writes: e1 found on page 2, e5 removed.
    groupList(G1, [existingMember(1)], 'c1');
    removal(5);
    const replay = await runSync(entries, { memory: 'step' });
    expect(rows(replay)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), `${UNCHANGED} ${EARLIER}`],
      [emailOf(1), L(2), 'unchanged', idOf(1), UNCHANGED],
      [emailOf(5), NOT_IN_LIST, 'removed', idOf(5), REMOVED],
    ]);
    expect(replay.apiRequests).toBe(2);
  });

  it('a group list that breaks part way stops the step with what broke it, before any write', async () => {
    groupWith(G1, 150);
    groupList(G1, [existingMember(0)], undefined, 'c1');
    groupListRead(G1, 'c1').reply(200, pageOf([], 'c1'), headers('loop'));
    const report = await runSync(entriesOf([emailOf(0), emailOf(1)]));
    expect(messageOf(report.fatal)).toMatch(
      /^Sotion said more members of access group .* follow but repeated the cursor c1/,
    );
    expect(report.results.map((r) => r.status)).toEqual(['unchanged', 'failed']);
  });

  it('out of time before an add or a removal: left for the replay, with nothing claimed', async () => {
    const deadline = new MovableDeadline();
    groupWith(G1, 1);
    groupListRead(G1).reply(200, pageOf([existingMember(5)]), headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(1), limit: '1' })
      .reply(leaving(deadline, 1_000, 200, pageOf([existingMember(1)]), headers()));
    const entries = entriesOf([emailOf(1)]);
    const first = await runSync(entries, { memory: 'step', createMissing: false }, deadline);
    expect(rows(first)).toEqual([
      [emailOf(1), L(1), 'failed', null, LEFT],
      [emailOf(5), NOT_IN_LIST, 'failed', idOf(5), LEFT],
    ]);
    expect(first).toMatchObject({ notSent: 2, apiRequests: 3 });

    // The replay adds e1 by the id the look-up found, and removes e5: no read at all.
    groupAdd(G1, 1);
    removal(5);
    const replay = await runSync(entries, { memory: 'step', createMissing: false });
    expect(replay.results.map((r) => r.status)).toEqual(['added', 'removed']);
    expect(replay).toMatchObject({ notSent: 0, apiRequests: 2, lookups: 0 });
  });

  it('a refused member fails for good and is tried again by a replay; an existing one nobody can find fails too', async () => {
    groupWith(G1, 0);
    groupList(G1, []);
    bulk(
      ['bad@example.com', emailOf(1)],
      { 'bad@example.com': 'error', [emailOf(1)]: 'conflict' },
      [G1],
    );
    nobody(emailOf(1));
    const report = await runSync(entriesOf(['bad@example.com', emailOf(1)]));
    expect(rows(report)).toEqual([
      [
        'bad@example.com',
        L(1),
        'failed',
        null,
        'Sotion could not create this member: error: said error.',
      ],
      [
        emailOf(1),
        L(2),
        'failed',
        null,
        'Sotion said this email already exists but could not find the member by email, so it was not added to the group. Replay the step.',
      ],
    ]);
    expect(report.notSent).toBe(0);
  });

  it('a throttle during the adds leaves the members not started, and every removal, for the replay', async () => {
    groupWith(G1, 1);
    groupList(G1, [existingMember(5)]);
    const many = range(20).map((n) => n + 10);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf(many.map((n) => existingMember(n))), headers());
    api()
      .post(`${PREFIX}/access-groups/${G1}/members`)
      .times(16)
      .reply(...THROTTLED);
    const report = await runSync(entriesOf(many.map(emailOf)), {
      createMissing: false,
      memory: 'step',
    });
    expect(errorInfo(report.fatal)?.status).toBe(429);
    expect(report.results.filter((r) => r.reason === LEFT)).toHaveLength(5);
    expect(report.results.every((r) => r.status === 'failed')).toBe(true);
    expect(report.notSent).toBe(21);
  });

  it('within the hour the group is not checked again; the guard then names it by its ID', async () => {
    groupWith(G1, 0);
    groupList(G1, []);
    bulk([emailOf(1)], {}, [G1]);
    await runSync(entriesOf([emailOf(1)]), { memory: 'step' });
    groupList(G1, [existingMember(1), ...range(11).map((n) => existingMember(n + 10))]);
    const error = await rejection(runSync(entriesOf([emailOf(1)]), { memory: 'step' }));
    expect(messageOf(error)).toMatch(
      new RegExp(
        `it would remove 11 members from access group ${G1} \\(those not in the list\\), and Max Removals allows 10 \\(the default: 10% of its 12 members`,
      ),
    );
    expect(sent.filter((r) => r === `GET /access-groups/${G1}`)).toHaveLength(1);
  });
});

describe('SYNC_STEP: what a run did, in one sentence of its error', () => {
  const out = countsOf<SyncStatus>;

  it('names every count that is not zero, and leaves out those that are', () => {
    expect(
      SYNC_STEP.progress(
        out({
          total: 1_200,
          unchangedCount: 1_000,
          addedCount: 2,
          createdCount: 1,
          notAMemberCount: 4,
          invalidCount: 5,
          duplicateCount: 6,
          removedCount: 3,
          notInGroupCount: 7,
          failedCount: 11,
        }),
        { notSent: 8 },
      ),
    ).toBe(
      'Of 1,200 emails in the list: 1,000 unchanged, 2 added, 1 created, 4 of no member, ' +
        '5 invalid, 6 duplicates in the list; 3 removed from the group, 7 out of it already, ' +
        '8 not done yet, 3 failed.',
    );
    expect(SYNC_STEP.progress(out({ total: 1, unchangedCount: 1 }), {})).toBe(
      'Of 1 email in the list: 1 unchanged, 0 added, 0 created; 0 removed from the group.',
    );
  });
});

describe('sync engine: reading the group list', () => {
  it('with Remove Others on, reads every page even once every email of the list is found', async () => {
    groupWith(G1, 3);
    groupList(G1, [existingMember(0), existingMember(5)], undefined, 'c1');
    groupList(G1, [existingMember(6)], 'c1');
    removal(5);
    removal(6);
    const report = await runSync(entriesOf([emailOf(0)]));
    expect(rows(report)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(5), NOT_IN_LIST, 'removed', idOf(5), REMOVED],
      [emailOf(6), NOT_IN_LIST, 'removed', idOf(6), REMOVED],
    ]);
    expect(report).toMatchObject({ apiRequests: 5, notSent: 0 });
  });

  it('with Remove Others off, reads on while an email is not found, and stops at the page that finds the last', async () => {
    groupWith(G1, 300);
    groupList(G1, [existingMember(0)], undefined, 'c1');
    groupList(G1, [existingMember(5), existingMember(1)], 'c1', 'c2');
    const report = await runSync(entriesOf([emailOf(0), emailOf(1)]), { removeOthers: false });
    expect(rows(report)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(1), L(2), 'unchanged', idOf(1), UNCHANGED],
    ]);
    expect(sent).toEqual([
      `GET /access-groups/${G1}`,
      `GET /access-groups/${G1}/members?limit=100`,
      `GET /access-groups/${G1}/members?limit=100&after=c1`,
    ]);
  });

  it('with Remove Others off, the group members not in the list do not count toward its size', async () => {
    // Sotion's count lags: the list shows 110 other members. Max Removals stays the default of
    // a group of 5, and nobody is removed.
    groupWith(G1, 5);
    groupList(
      G1,
      range(100).map((n) => existingMember(n + 10)),
      undefined,
      'c1',
    );
    groupList(
      G1,
      range(10).map((n) => existingMember(n + 110)),
      'c1',
    );
    lookup(1);
    groupAdd(G1, 1);
    const report = await runSync(entriesOf([emailOf(1)]), {
      removeOthers: false,
      createMissing: false,
    });
    expect(rows(report)).toEqual([[emailOf(1), L(1), 'added', idOf(1), ADDED]]);
    expect(report).toMatchObject({ maxRemovals: 10, memberCount: 5, apiRequests: 5 });
  });

  it("the guard's default counts the members the list showed, when more than Sotion's count", async () => {
    groupWith(G1, 3);
    groupList(G1, [existingMember(0), ...range(12).map((n) => existingMember(n + 10))]);
    const error = await rejection(runSync(entriesOf([emailOf(0), 'new@example.com'])));
    // 13: e0 and the 12 others; not the list's new email, who is not in the group.
    expect(messageOf(error)).toMatch(
      /^Sync Access Group Members stopped before changing anything: it would remove 12 members from "Group 101" \(those not in the list\), and Max Removals allows 10 \(the default: 10% of its 13 members, at least 10\)\./,
    );
  });

  it('a page that cannot be read as time runs out hands the run back, without stopping it', async () => {
    const deadline = new MovableDeadline();
    groupWith(G1, 150);
    // Time for one more page, barely.
    groupListRead(G1).reply(
      leaving(deadline, 1_600, 200, pageOf([existingMember(0)], 'c1'), headers()),
    );
    // A 5xx, and no time left to try again.
    groupListRead(G1, 'c1').reply(
      leaving(deadline, 1_000, 503, { error: 'Service unavailable' }, headers('503')),
    );
    const entries = entriesOf([emailOf(0), emailOf(1)]);
    const first = await runSync(entries, { memory: 'step' }, deadline);
    expect(first.fatal).toBeUndefined();
    expect(rows(first)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(1), L(2), 'failed', null, LEFT],
    ]);
    expect(first).toMatchObject({ notSent: 1, apiRequests: 3 });

    // The replay reads that page again.
    groupList(G1, [existingMember(1)], 'c1');
    const replay = await runSync(entries, { memory: 'step' });
    expect(rows(replay)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), `${UNCHANGED} ${EARLIER}`],
      [emailOf(1), L(2), 'unchanged', idOf(1), UNCHANGED],
    ]);
    expect(replay.apiRequests).toBe(1);
  });

  it('a run stopped part way through the list, every email found, leaves the rest of the list (the removals) to the replay', async () => {
    groupWith(G1, 150);
    groupList(G1, [existingMember(0)], undefined, 'c1');
    groupListRead(G1, 'c1').reply(...THROTTLED);
    const entries = entriesOf([emailOf(0)]);
    const first = await runSync(entries, { memory: 'step' });
    expect(errorInfo(first.fatal)?.status).toBe(429);
    expect(rows(first)).toEqual([[emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED]]);

    // Nothing of the list is left, but the group's others on the pages not read yet are.

    groupList(G1, [existingMember(5)], 'c1');
    const replay = await replayRemovingE5(entries);
    expect(replay).toMatchObject({ apiRequests: 2, notSent: 0 });
  });

  it('out of time after the page that finds every email: the rest of the list (the removals) is left to the replay', async () => {
    const deadline = new MovableDeadline();
    groupWith(G1, 150);
    groupListRead(G1).reply(
      leaving(deadline, 1_000, 200, pageOf([existingMember(0)], 'c1'), headers()),
    );
    const entries = entriesOf([emailOf(0)]);
    const first = await runSync(entries, { memory: 'step' }, deadline);
    // Every email is found, but not the group's others on the pages not read: not finished.
    expect(rows(first)).toEqual([[emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED]]);
    expect(first).toMatchObject({ notSent: 0, listUnread: true, apiRequests: 2 });
    expect(first.fatal).toBeUndefined();
    expect(SYNC_STEP.leftUndone(first)).toEqual(["reading the rest of the group's member list"]);

    // The replay reads on from the second page and removes the member it shows.
    sent.length = 0;
    groupList(G1, [existingMember(5)], 'c1');
    const replay = await replayRemovingE5(entries);
    expect(replay).toMatchObject({ notSent: 0, apiRequests: 2 });
    expect(replay.listUnread).toBeUndefined();
    expect(SYNC_STEP.leftUndone(replay)).toEqual([]);
    expect(sent).toEqual([
      `GET /access-groups/${G1}/members?limit=100&after=c1`,
      `DELETE /access-groups/${G1}/members/${idOf(5)}`,
    ]);
  });

  it('a replay reading on finds the last email, even when a shifted page shows an email found before', async () => {
    const deadline = new MovableDeadline();
    groupWith(G1, 300);
    groupListRead(G1).reply(
      leaving(deadline, 1_000, 200, pageOf([existingMember(0)], 'c1'), headers()),
    );
    const entries = entriesOf([emailOf(0), emailOf(1)]);
    const first = await runSync(entries, { memory: 'step', removeOthers: false }, deadline);
    expect(rows(first)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(1), L(2), 'failed', null, LEFT],
    ]);
    expect(first).toMatchObject({ notSent: 1, apiRequests: 2 });
    // With Remove Others off, only the email not found yet is work left, not the list's rest.
    expect(first.listUnread).toBeUndefined();
    expect(SYNC_STEP.leftUndone(first)).toEqual(['syncing 1 member']);

    // Members joined meanwhile: e0 shows again on the next page, with e1; more pages follow.
    sent.length = 0;
    groupList(G1, [existingMember(0), existingMember(1)], 'c1', 'c2');
    const replay = await runSync(entries, { memory: 'step', removeOthers: false });
    expect(rows(replay)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), `${UNCHANGED} ${EARLIER}`],
      [emailOf(1), L(2), 'unchanged', idOf(1), UNCHANGED],
    ]);
    expect(sent).toEqual([`GET /access-groups/${G1}/members?limit=100&after=c1`]);
  });
});

describe('sync engine: time running out, and failures, while adding and removing', () => {
  /**
   * G1 holds e0 and e5 (not in the list); Sotion answers the DELETE of e5 with `status`, when 1 s
   * of the run is left. Returns the run's deadline.
   */
  const e5Removal = (status: number, error: string) => {
    const deadline = new MovableDeadline();
    groupWith(G1, 2);
    groupList(G1, [existingMember(0), existingMember(5)]);
    api()
      .delete(`${PREFIX}/access-groups/${G1}/members/${idOf(5)}`)
      .reply(leaving(deadline, 1_000, status, { error }, headers(String(status))));
    return deadline;
  };

  it('a look-up that cannot be tried again in the time left is left for the replay', async () => {
    const deadline = new MovableDeadline();
    groupWith(G1, 0);
    groupList(G1, []);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(1), limit: '1' })
      .reply(leaving(deadline, 1_000, 503, { error: 'Service unavailable' }, headers('503')));
    const entries = entriesOf([emailOf(1)]);
    const first = await runSync(entries, { memory: 'step', createMissing: false }, deadline);
    // Handed back (notSent), not stopped on the time-out.
    expect(first.fatal).toBeUndefined();
    expect(rows(first)).toEqual([[emailOf(1), L(1), 'failed', null, LEFT]]);
    expect(first).toMatchObject({ notSent: 1, apiRequests: 3 });

    lookup(1);
    groupAdd(G1, 1);
    const replay = await runSync(entries, { memory: 'step', createMissing: false });
    expect(rows(replay)).toEqual([[emailOf(1), L(1), 'added', idOf(1), ADDED]]);
    expect(replay).toMatchObject({ notSent: 0, apiRequests: 2 });
  });

  it('an add Sotion refuses as time runs out fails for good, and is not left for later', async () => {
    const deadline = new MovableDeadline();
    groupWith(G1, 0);
    groupList(G1, []);
    lookup(1);
    api()
      .post(`${PREFIX}/access-groups/${G1}/members`, { memberId: idOf(1) })
      .reply(leaving(deadline, 1_000, 404, { error: 'Member not found' }, headers('404')));
    const report = await runSync(entriesOf([emailOf(1)]), { createMissing: false }, deadline);
    expect(report.fatal).toBeUndefined();
    expect(rows(report)).toEqual([
      [
        emailOf(1),
        L(1),
        'failed',
        null,
        `Sotion could not find member ${idOf(1)}. It may have been deleted, or the ID may belong to another site (each API key sees only its own site). Check the ID or pick it from the dropdown. Sotion said: "Member not found". (X-Request-Id: req-404)`,
      ],
    ]);
    expect(report).toMatchObject({ notSent: 0, apiRequests: 4 });
  });

  it('a removal that cannot be tried again in the time left is left for the replay', async () => {
    const deadline = e5Removal(503, 'Service unavailable');
    const entries = entriesOf([emailOf(0)]);
    const first = await runSync(entries, { memory: 'step' }, deadline);
    expect(first.fatal).toBeUndefined();
    expect(rows(first)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [emailOf(5), NOT_IN_LIST, 'failed', idOf(5), LEFT],
    ]);
    expect(first).toMatchObject({ notSent: 1, apiRequests: 3 });

    const replay = await replayRemovingE5(entries);
    expect(replay).toMatchObject({ notSent: 0, apiRequests: 1 });
  });

  it('a removal Sotion refuses as time runs out fails for good, and is not left for later', async () => {
    const deadline = e5Removal(400, 'Invalid member id');
    const report = await runSync(entriesOf([emailOf(0)]), {}, deadline);
    expect(report.fatal).toBeUndefined();
    expect(rows(report)).toEqual([
      [emailOf(0), L(1), 'unchanged', idOf(0), UNCHANGED],
      [
        emailOf(5),
        NOT_IN_LIST,
        'failed',
        idOf(5),
        `Sotion rejected the request while removing member ${idOf(5)} from access group ${G1} (HTTP 400). Check the values in this step's fields. Sotion said: "Invalid member id". (X-Request-Id: req-400)`,
      ],
    ]);
    expect(report).toMatchObject({ notSent: 0, apiRequests: 3 });
  });

  it('an email Sotion said exists but no look-up finds is forgotten: the next replay sends it again', async () => {
    let deadline = new MovableDeadline();
    groupWith(G1, 1);
    groupList(G1, [existingMember(5)]);
    bulk([emailOf(1)], { [emailOf(1)]: 'conflict' }, [G1]).on('request', () => {
      deadline.left = 1_000;
    });
    const entries = entriesOf([emailOf(1)]);
    const first = await runSync(entries, { memory: 'step' }, deadline);
    expect(rows(first)).toEqual([
      [emailOf(1), L(1), 'failed', null, LEFT],
      [emailOf(5), NOT_IN_LIST, 'failed', idOf(5), LEFT],
    ]);
    expect(first).toMatchObject({ notSent: 2, apiRequests: 3 });

    // The replay looks it up (Sotion said it exists), finds nobody, and runs out of time.
    deadline = new MovableDeadline();
    api()
      .get(`${PREFIX}/members`)
      .query({ email: emailOf(1), limit: '1' })
      .reply(leaving(deadline, 1_000, 200, pageOf([]), headers('nobody')));
    const second = await runSync(entries, { memory: 'step' }, deadline);
    expect(rows(second)).toEqual([
      [
        emailOf(1),
        L(1),
        'failed',
        null,
        'Sotion said this email already exists but could not find the member by email, so it was not added to the group. Replay the step.',
      ],
      [emailOf(5), NOT_IN_LIST, 'failed', idOf(5), LEFT],
    ]);
    expect(second).toMatchObject({ notSent: 1, apiRequests: 1, lookups: 1 });

    // The next one creates it (no look-up), and removes e5.
    sent.length = 0;
    bulk([emailOf(1)], {}, [G1]);
    removal(5);
    const third = await runSync(entries, { memory: 'step' });
    expect(rows(third)).toEqual([
      [emailOf(1), L(1), 'created', uuid(5000), CREATED],
      [emailOf(5), NOT_IN_LIST, 'removed', idOf(5), REMOVED],
    ]);
    expect(sent).toEqual(['POST /members/bulk', `DELETE /access-groups/${G1}/members/${idOf(5)}`]);
  });
});

describe('sync engine: finding members the cheapest way', () => {
  const known = [1, 2, 3].map(emailOf);
  const conflicts = Object.fromEntries(known.map((email) => [email, 'conflict' as const]));

  const emptyGroup = () => {
    groupWith(G1, 0);
    groupList(G1, []);
  };
  /** The site's member list: one page showing members `ns`. */
  const siteList = (ns: number[]) =>
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf(ns.map((n) => existingMember(n))), headers());
  const addTheKnown = () => {
    for (const n of [1, 2, 3]) groupAdd(G1, n);
  };
  /** The rows of the 3 known members, list entries `at + 1` to `at + 3`. */
  const knownRows = (report: SyncReport, at: number) => rows(report).slice(at, at + 3);
  const knownAdded = (at: number) =>
    [1, 2, 3].map((n) => [emailOf(n), L(at + n), 'added', idOf(n), ADDED]);

  /**
   * A first run with a memory: Sotion creates `created` new members and says the 3 known exist,
   * leaving `left` ms, too little to go on: the 3 are left for the replay. Returns the entries
   * (`extra` after the 3).
   */
  const firstRun = async (created: number, left: number, extra: string[] = []) => {
    const deadline = new MovableDeadline();
    emptyGroup();
    const fresh = range(created).map(newEmail);
    bulk([...fresh, ...known], conflicts, [G1]).on('request', () => {
      deadline.left = left;
    });
    const entries = entriesOf([...fresh, ...known, ...extra]);
    const first = await runSync(entries, { memory: 'step' }, deadline);
    expect(knownRows(first, created)).toEqual(
      [1, 2, 3].map((n) => [emailOf(n), L(created + n), 'failed', null, LEFT]),
    );
    expect(first).toMatchObject({ notSent: 3, apiRequests: 3 });
    return entries;
  };

  it('Create Missing off: the site list read to its end tells who is nobody, without a look-up each', async () => {
    emptyGroup();
    const emails = range(5).map(newEmail);
    siteList([1, 2]);
    groupAdd(G1, 1);
    const report = await runSync(entriesOf([...emails, emailOf(1)]), { createMissing: false });
    expect(report.results.map((r) => r.status)).toEqual([
      ...emails.map(() => 'not_a_member'),
      'added',
    ]);
    expect(report).toMatchObject({ apiRequests: 4, lookups: 0, memberPages: 1 });
  });

  it('after creating 97, reads the site list for the 3 Sotion said exist, and looks up the one it does not show', async () => {
    emptyGroup();
    // The site list holds at least the 97 new members and the 3: one page, fewer requests than
    // 3 look-ups. Read to its end, it does not show e3, whom Sotion said exists: looked up.
    const fresh = range(97).map(newEmail);
    bulk([...fresh, ...known], conflicts, [G1]);
    siteList([1, 2]);
    lookup(3);
    addTheKnown();
    const report = await runSync(entriesOf([...fresh, ...known]));
    expect(report.results.filter((r) => r.status === 'created')).toHaveLength(97);
    expect(knownRows(report, 97)).toEqual(knownAdded(97));
    expect(report).toMatchObject({ apiRequests: 8, lookups: 1, memberPages: 1, notSent: 0 });
  });

  it('after creating 98, looks the 3 up rather than read the site list', async () => {
    emptyGroup();
    // 101 members at least: two pages, not worth it for 3 look-ups.
    const fresh = range(98).map(newEmail);
    bulk([...fresh, ...known], conflicts, [G1]);
    for (const n of [1, 2, 3]) lookup(n);
    addTheKnown();
    const report = await runSync(entriesOf([...fresh, ...known]));
    expect(report.results.filter((r) => r.status === 'created')).toHaveLength(98);
    expect(knownRows(report, 98)).toEqual(knownAdded(98));
    expect(report).toMatchObject({ apiRequests: 9, lookups: 3, memberPages: 0, notSent: 0 });
  });

  it('a replay counts the members the earlier run created: 98 of them, then a look-up each', async () => {
    const entries = await firstRun(98, 1_000);

    // The replay creates nobody, but counts the 98 of the run before: a look-up each, as above.
    for (const n of [1, 2, 3]) lookup(n);
    addTheKnown();
    const replay = await runSync(entries, { memory: 'step' });
    expect(replay.results.filter((r) => r.status === 'created')).toHaveLength(98);
    expect(knownRows(replay, 98)).toEqual(knownAdded(98));
    expect(replay).toMatchObject({ notSent: 0, apiRequests: 6, lookups: 3, memberPages: 0 });
  });

  it('replay after replay, the members the first run created are counted once', async () => {
    const entries = await firstRun(97, 400);

    // A replay with no time for a request: it sends nothing and keeps its memory.
    const late = new MovableDeadline();
    late.left = 400;
    const second = await runSync(entries, { memory: 'step' }, late);
    expect(second.results.filter((r) => r.status === 'created')).toHaveLength(97);
    expect(second).toMatchObject({ notSent: 3, apiRequests: 0 });

    // Still 97 created, not 194: the site list is one page, as after creating 97 above.
    siteList([1, 2]);
    lookup(3);
    addTheKnown();
    const third = await runSync(entries, { memory: 'step' });
    expect(knownRows(third, 97)).toEqual(knownAdded(97));
    expect(third).toMatchObject({ notSent: 0, apiRequests: 5, lookups: 1, memberPages: 1 });
  });

  it('a replay counts only the members created, not the other emails, when it weighs the site list', async () => {
    // Time runs out as Sotion creates the 48: too little is left for any other request.
    const invalid = range(50).map((n) => `not-an-email-${n}`);
    const entries = await firstRun(48, 400, invalid);

    // 48 created: the site list fits one page, fewer requests than 3 look-ups. Counted as
    // well, the other 53 results (invalid, failed) would have tipped it to a look-up each.
    siteList([1, 2, 3]);
    addTheKnown();
    const replay = await runSync(entries, { memory: 'step' });
    expect(knownRows(replay, 48)).toEqual(knownAdded(48));
    expect(replay).toMatchObject({ notSent: 0, apiRequests: 4, lookups: 0, memberPages: 1 });
  });
});
