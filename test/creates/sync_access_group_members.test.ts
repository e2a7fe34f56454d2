import { parse } from 'csv-parse/sync';
import { perform } from '../../creates/sync_access_group_members';
import {
  api,
  appTester,
  groupListRead,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { onlyReads, recordCalls } from '../bulk/calls';
import {
  bulk,
  emailOf,
  existingMember,
  G1,
  groupAdd,
  groupList,
  groupWith,
  idOf,
  lookup,
  range,
  THROTTLED,
} from '../bulk/engine';
import { mockStash } from '../stash-rpc';

/**
 * Sync Access Group Members through its perform: the exact requests (nock; any other request
 * fails the test), the output, and what fails the step.
 */

const sent = recordCalls();

const GROUP = `GET /access-groups/${G1}`;
const PAGE = `GET /access-groups/${G1}/members?limit=100`;

const nobody = (email: string) =>
  api()
    .get(`${PREFIX}/members`)
    .query({ email, limit: '1' })
    .reply(200, pageOf([]), headers('nobody'));

const removal = (n: number, status = 204) =>
  api()
    .delete(`${PREFIX}/access-groups/${G1}/members/${idOf(n)}`)
    .reply(status, status === 204 ? '' : { error: 'no' }, headers('rm'));

const sync = (input: Record<string, unknown>) =>
  appTester(perform, makeBundle({ access_group_id: G1, ...input }));

/** The group Gold (G1): e0 and e5 in it; e1 a member of the site; new@ nobody yet. */
const gold = () => {
  groupWith(G1, 2);
  groupList(G1, [existingMember(0), existingMember(5)]);
};
const LIST = { emails: [`${emailOf(0)}, ${emailOf(1)}`, 'new@example.com'] };

const counts = (out: object) =>
  Object.fromEntries(Object.entries(out).filter(([key]) => key.endsWith('Count')));

describe('sync_access_group_members: input', () => {
  it.each([
    [{}, /^Access Group is required/],
    [{ access_group_id: 'Gold' }, /^Access Group must be a Sotion access group ID/],
    [
      { access_group_id: G1, emails: ['a@example.com'], max_removals: '-1' },
      'Max Removals must be a whole number of members, 0 or more, such as 50; it was "-1". Leave it empty for 10% of the group (at least 10).',
    ],
    [
      { access_group_id: G1, emails: ['a@example.com'], max_removals: 'ten' },
      /^Max Removals must be a whole number/,
    ],
    [
      { access_group_id: G1, emails: ['a@example.com'], dry_run: 'perhaps' },
      /^Dry Run must be true or false/,
    ],
    [
      { access_group_id: G1 },
      /^No members to sync: fill in Members line items, Emails or CSV File/,
    ],
    [
      { access_group_id: G1, emails: ['not-an-email'] },
      /^The list has no valid email \(1 invalid: not-an-email\), and a list with no valid email would remove everyone from the group, so nothing was done\./,
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    if (typeof message === 'string') expect(messageOf(error)).toBe(message);
    else expect(messageOf(error)).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('takes Max Removals as a number or its text', async () => {
    groupWith(G1, 2);
    groupList(G1, [existingMember(0), existingMember(5)]);
    const error = await rejection(sync({ emails: [emailOf(0)], max_removals: 0 }));
    expect(messageOf(error)).toMatch(/and Max Removals allows 0\./);
  });
});

describe('sync_access_group_members: what it does', () => {
  it('keeps, adds, creates and removes: the exact requests, and the output', async () => {
    gold();
    bulk([emailOf(1), 'new@example.com'], { [emailOf(1)]: 'conflict' }, [G1]);
    lookup(1);
    groupAdd(G1, 1);
    removal(5);
    const out = await sync(LIST);
    expect(sent).toEqual([
      GROUP,
      PAGE,
      'POST /members/bulk',
      `GET /members?email=${emailOf(1)}&limit=1`,
      `POST /access-groups/${G1}/members`,
      `DELETE /access-groups/${G1}/members/${idOf(5)}`,
    ]);
    expect(out).toEqual({
      accessGroupIds: [G1],
      dryRun: false,
      total: 3,
      maxRemovals: 10,
      resultsOmitted: 0,
      addedCount: 1,
      createdCount: 1,
      removedCount: 1,
      unchangedCount: 1,
      notAMemberCount: 0,
      notInGroupCount: 0,
      invalidCount: 0,
      duplicateCount: 0,
      failedCount: 0,
      addedEmails: [emailOf(1)],
      createdEmails: ['new@example.com'],
      removedEmails: [emailOf(5)],
      unchangedEmails: [emailOf(0)],
      notAMemberEmails: [],
      notInGroupEmails: [],
      invalidEmails: [],
      duplicateEmails: [],
      failedEmails: [],
      apiRequests: 6,
      results: [
        {
          email: emailOf(0),
          source: 'email list entry 1',
          status: 'unchanged',
          memberId: idOf(0),
          reason: 'Already in the group.',
        },
        {
          email: emailOf(1),
          source: 'email list entry 1',
          status: 'added',
          memberId: idOf(1),
          reason: 'Already a member of the site; added to the group.',
        },
        {
          email: 'new@example.com',
          source: 'email list entry 2',
          status: 'created',
          memberId: expect.any(String),
          reason: 'Created, in the group.',
        },
        {
          email: emailOf(5),
          source: 'access group (not in the list)',
          status: 'removed',
          memberId: idOf(5),
          reason: 'Not in the list; removed from the group.',
        },
      ],
      results_file: null,
      results_file_error: null,
    });
  });

  it('Dry Run sends only reads and reports what a real run would do', async () => {
    gold();
    lookup(1);
    nobody('new@example.com');
    const out = await sync({ ...LIST, dry_run: 'true' });
    expect(onlyReads(sent)).toBe(true);
    expect(sent).toEqual([
      GROUP,
      PAGE,
      `GET /members?email=${emailOf(1)}&limit=1`,
      'GET /members?email=new@example.com&limit=1',
    ]);
    expect(out.dryRun).toBe(true);
    expect(counts(out)).toMatchObject({
      addedCount: 1,
      createdCount: 1,
      removedCount: 1,
      unchangedCount: 1,
    });
    expect(out.results.map((r) => r.reason)).toEqual([
      'Already in the group.',
      'Dry run: would be added to the group (already a member of the site).',
      'Dry run: would be created in the group (no member has this email).',
      'Dry run: would be removed from the group (not in the list).',
    ]);
  });

  it('the removal guard stops the step before any write, with the count and how to allow it', async () => {
    groupWith(G1, 40);
    groupList(G1, [existingMember(0), ...range(11).map((n) => existingMember(n + 10))]);
    const error = await rejection(sync(LIST));
    expect(messageOf(error)).toBe(
      'Sync Access Group Members stopped before changing anything: it would remove 11 members ' +
        `from "Group 101" (those not in the list), and Max Removals allows 10 (the default: 10% ` +
        'of its 40 members, at least 10). The list has 3 valid emails: if it was cut short, fix ' +
        'it first. To allow this, set Max Removals to 11, or turn Remove Others off. Members it ' +
        'would remove: e10@example.com, e11@example.com, e12@example.com, e13@example.com, ' +
        'e14@example.com and 6 more.',
    );
    expect(sent).toEqual([GROUP, PAGE]);
  });

  it('Max Removals set high enough lets the same sync through', async () => {
    groupWith(G1, 40);
    const others = range(11).map((n) => n + 10);
    groupList(G1, [existingMember(0), ...others.map((n) => existingMember(n))]);
    for (const n of others) removal(n);
    const out = await sync({ emails: [emailOf(0)], max_removals: '11' });
    expect(counts(out)).toMatchObject({ removedCount: 11, unchangedCount: 1 });
    expect(out.maxRemovals).toBe(11);
  });

  it('Create Missing Members off: nobody is created; emails of nobody are listed as not members', async () => {
    gold();
    lookup(1);
    nobody('new@example.com');
    groupAdd(G1, 1);
    removal(5);
    const out = await sync({ ...LIST, create_missing_members: 'false' });
    expect(sent.filter((r) => r.startsWith('POST /members/bulk'))).toEqual([]);
    expect(counts(out)).toMatchObject({ addedCount: 1, createdCount: 0, notAMemberCount: 1 });
    expect(out.notAMemberEmails).toEqual(['new@example.com']);
    expect(out.apiRequests).toBe(6);
  });

  it('Remove Others off: nobody is removed, and the guard does not apply', async () => {
    groupWith(G1, 40);
    groupList(G1, [existingMember(0), ...range(30).map((n) => existingMember(n + 10))]);
    bulk([emailOf(1), 'new@example.com'], { [emailOf(1)]: 'conflict' }, [G1]);
    lookup(1);
    groupAdd(G1, 1);
    const out = await sync({ ...LIST, remove_others: 'false' });
    expect(sent.filter((r) => r.startsWith('DELETE'))).toEqual([]);
    expect(counts(out)).toMatchObject({ removedCount: 0, addedCount: 1, createdCount: 1 });
    expect(out.total).toBe(3);
    expect(out.results).toHaveLength(3);
  });
});

describe('sync_access_group_members: across runs', () => {
  it('a throttled run is handed back; the replay finishes from memory; the next run reads only the list', async () => {
    gold();
    bulk([emailOf(1), 'new@example.com'], { [emailOf(1)]: 'conflict' }, [G1]);
    lookup(1);
    api()
      .post(`${PREFIX}/access-groups/${G1}/members`, { memberId: idOf(1) })
      .reply(...THROTTLED);
    const error = await rejection(sync(LIST));
    expect(error.name).toBe('ThrottledError');
    const body = JSON.parse(error.message) as { message: string; delay: number };
    expect(body.message).toBe(
      "Sotion's rate limit stopped Sync Access Group Members part way. Of 3 emails in the " +
        'list: 1 unchanged, 0 added, 1 created; 0 removed from the group, 2 not done yet. ' +
        'Replaying the step is safe: within the hour it goes on where this run stopped, and it ' +
        'only ever changes what still differs.',
    );
    expect(body.delay).toBeGreaterThanOrEqual(121);

    // Zapier's replay: the add and the removal, nothing else.
    sent.length = 0;
    groupAdd(G1, 1);
    removal(5);
    const out = await sync(LIST);
    expect(sent).toEqual([
      `POST /access-groups/${G1}/members`,
      `DELETE /access-groups/${G1}/members/${idOf(5)}`,
    ]);
    expect(counts(out)).toMatchObject({
      addedCount: 1,
      createdCount: 1,
      removedCount: 1,
      unchangedCount: 1,
      failedCount: 0,
    });
    expect(out.results[2]?.reason).toBe(
      'Created, in the group. Done by an earlier run of this step.',
    );

    // The next run with the same list: the group's list pages, nothing else.
    sent.length = 0;
    groupList(G1, [
      existingMember(0),
      existingMember(1),
      { ...existingMember(2), email: 'new@example.com' },
    ]);
    const again = await sync(LIST);
    expect(sent).toEqual([PAGE]);
    expect(counts(again)).toMatchObject({ unchangedCount: 3, addedCount: 0, removedCount: 0 });
  });

  it('a run out of time is handed back as a throttle, soon', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '2000';
    try {
      groupWith(G1, 2);
      groupListRead(G1)
        .delay(600)
        .reply(200, pageOf([existingMember(0)], 'c1'), headers());
      const error = await rejection(sync({ emails: [emailOf(0), emailOf(1)] }));
      expect(error.name).toBe('ThrottledError');
      const body = JSON.parse(error.message) as { message: string; delay: number };
      expect(body.message).toBe(
        'Sync Access Group Members needs more than the 30 seconds Zapier allows a step, so ' +
          "Zapier runs it again in a few seconds to finish reading the rest of the group's " +
          'member list and syncing 1 member. Of 2 emails in the ' +
          'list: 1 unchanged, 0 added, 0 created; 0 removed from the group, 1 not done yet. ' +
          'Replaying the step is safe: within the hour it goes on where this run stopped, and it ' +
          'only ever changes what still differs.',
      );
      expect(body.delay).toBeLessThanOrEqual(7);
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });
});

describe('sync_access_group_members: failures are never silent', () => {
  it('a member Sotion refuses fails the step after the rest is done', async () => {
    gold();
    lookup(1);
    groupAdd(G1, 1, 400);
    removal(5);
    const error = await rejection(
      sync({ emails: [emailOf(0), emailOf(1)], create_missing_members: 'false' }),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(
        `^Sync Access Group Members could not sync 1 member: ${emailOf(1)} \\(email list entry 2\\): Sotion rejected the request while adding member .*Of 2 emails in the list: 1 unchanged, 0 added, 0 created; 1 removed from the group, 1 failed\\. Replaying the step is safe`,
      ),
    );
  });

  it('"Never" reports a refused member in the output instead; the progress names every outcome', async () => {
    gold();
    lookup(1);
    groupAdd(G1, 1, 400);
    nobody('new@example.com');
    removal(5);
    const out = await sync({
      emails: [emailOf(0), emailOf(1), 'new@example.com', 'bad@', emailOf(0)],
      create_missing_members: false,
      fail_when: 'never',
    });
    expect(counts(out)).toEqual({
      unchangedCount: 1,
      addedCount: 0,
      createdCount: 0,
      removedCount: 1,
      notAMemberCount: 1,
      notInGroupCount: 0,
      invalidCount: 1,
      duplicateCount: 1,
      failedCount: 1,
    });
    expect(out.failedEmails).toEqual([emailOf(1)]);
  });

  it('a refusal that stops the run says what was done', async () => {
    gold();
    removal(5, 403);
    const error = await rejection(sync({ emails: [emailOf(0)] }));
    expect(messageOf(error)).toMatch(
      /^Sync Access Group Members stopped: .*scope group.* Of 1 email in the list: 1 unchanged, 0 added, 0 created; 0 removed from the group, 1 not done yet\./,
    );
  });

  it('a revoked key stops the step as ExpiredAuthError', async () => {
    groupWith(G1, 2);
    groupListRead(G1).reply(401, '', headers('gone'));
    const error = await rejection(sync({ emails: [emailOf(0)] }));
    expect(error.name).toBe('ExpiredAuthError');
  });
});

describe('sync_access_group_members: the results file', () => {
  it('more than 100 results: every row in a CSV stored at Zapier', async () => {
    const uploads = mockStash();
    const emails = range(101).map((n) => emailOf(n + 100));
    groupWith(G1, 101);
    groupList(
      G1,
      range(100).map((n) => existingMember(n + 100)),
      undefined,
      'c1',
    );
    groupList(G1, [existingMember(200)], 'c1');
    const out = await sync({ emails });
    expect(out.results_file).toMatch(/^https:\/\/zapier-stash\.test\/uploads\/stash-1\.csv$/);
    const rows = parse(uploads[0]?.content ?? Buffer.alloc(0), { bom: true }) as string[][];
    expect(rows).toHaveLength(102);
    expect(rows[1]).toEqual([
      'email list entry 1',
      emailOf(100),
      'unchanged',
      idOf(100),
      'Already in the group.',
    ]);
  });
});
