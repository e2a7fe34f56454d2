import { perform } from '../../creates/bulk_add_members';
import * as membersApi from '../../src/api/members';
import { BULK_CONCURRENCY } from '../../src/bulk/send';

import {
  api,
  BASE,
  appTester,
  group,
  groupListRead,
  headers,
  KEY,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';

import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

// One test makes the member lookup fail as a bug would; every other test gets the real one.
jest.mock('../../src/api/members', () => {
  const actual = jest.requireActual<typeof membersApi>('../../src/api/members');
  return { ...actual, findMemberByEmail: jest.fn(actual.findMemberByEmail) };
});

const G1 = uuid(101);
const G2 = uuid(102);

type SentMember = { email: string; displayName?: string; paid?: boolean };
type BulkBody = { members: SentMember[]; accessGroupIds?: string[] };

const memberOf = (email: string, n: number) => ({
  id: uuid(5000 + n),
  email,
  displayName: null,
  status: 'active',
  verified: false,
  paid: false,
  registeredAt: null,
  lastLoginAt: null,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
});

/** Answers POST /members/bulk like Sotion: conflict for `existing`, created otherwise. */
const bulkReplies = (
  existing: Set<string>,
  sent: BulkBody[],
  opts: { delayMs?: number; times?: number; body?: BulkBody } = {},
) => {
  let n = 0;
  api()
    .post(`${PREFIX}/members/bulk`, opts.body)
    .times(opts.times ?? 1)
    .delay(opts.delayMs ?? 0)
    .reply(
      207,
      (_uri, body) => {
        const request = body as BulkBody;
        sent.push(request);
        const data = request.members.map((m) => {
          n += 1;
          return existing.has(m.email)
            ? {
                email: m.email,
                status: 'conflict',
                error: { code: 'conflict', message: 'Member already exists' },
              }
            : { email: m.email, status: 'created', member: memberOf(m.email, n) };
        });
        const created = data.filter((d) => d.status === 'created').length;
        return { data, summary: { total: data.length, created, failed: data.length - created } };
      },
      headers('bulk'),
    );
};

const verifyGroups = (...ids: string[]) => {
  for (const id of ids) {
    api()
      .get(`${PREFIX}/access-groups/${id}`)
      .reply(200, { data: group(Number.parseInt(id.slice(-3), 16), { id }) }, headers());
  }
};

describe('bulk_add_members: input', () => {
  it.each([
    [
      {},
      'No members to add: fill in Members line items, Emails or CSV File, for example `ada@example.com`.',
    ],
    [
      { emails: ['  ', ''] },
      'No members to add: fill in Members line items, Emails or CSV File, for example `ada@example.com`.',
    ],
    [
      { emails: ['a@example.com'], access_group_ids: ['not-a-uuid'] },
      /Access Groups must be Sotion IDs .* "not-a-uuid" is not\./,
    ],
    [
      { emails: ['a@example.com'], default_paid: 'maybe' },
      'Paid by Default must be true or false (yes/no); it was "maybe".',
    ],
    [
      { emails: ['a@example.com'], fail_when: 'sometimes' },
      'Fail the Step When must be one of its choices: "A member could not be added", "A member could not be added or an email is invalid" or "Never (report every problem in the output)"; it was "sometimes". Pick one from the dropdown.',
    ],
    [
      { members: ['a@example.com'] },
      'Members line item 1 must have an Email; it was "a@example.com".',
    ],
    [
      { members: [{ email: 'a@example.com', paid: 'perhaps' }] },
      'Paid of line item 1 must be true or false (yes/no); it was "perhaps".',
    ],
    // Moved from the abuse suite: they need no sandbox (nock refuses any request, so a request
    // would change the message).
    [{ emails: [] }, /^No members to add/],
    [{ emails: ['   ', '\n'] }, /^No members to add/],
    [{ emails: null, members: null }, /^No members to add/],
    [
      { emails: ['a@example.org'], access_group_ids: 'Premium Members' },
      /^Access Groups must be Sotion IDs \(UUIDs such as [0-9a-f-]+\); "Premium Members" is not\. .*Find Access Group gives a group's ID from its name\)\.$/,
    ],
    [
      { emails: ['a@example.org'], access_group_ids: ['Premium Members, VIP Buyers'] },
      /; "Premium Members", "VIP Buyers" are not\./,
    ],
    [
      { emails: ['a@example.org'], access_group_ids: [42] },
      /^Access Groups must be Sotion IDs .*"42" is not\./,
    ],
    [
      { emails: ['a@example.org'], add_existing_to_groups: 'perhaps' },
      /^Add Existing Members to the Groups must be true or false/,
    ],
    [{ members: [{ email: { a: 1 } }] }, /^Email of line item 1 must be text/],
    [
      { members: [{ email: 'a@example.org', display_name: ['x'] }] },
      /^Display Name of line item 1 must be text/,
    ],
    [{ emails: [{ email: 'a@example.org' }] }, /^Emails entry 1 must be text/],
    [{ emails: ['a@example.org'], default_paid: 2 }, /^Paid by Default must be true or false/],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    if (typeof message === 'string') expect(messageOf(error)).toBe(message);
    else expect(messageOf(error)).toMatch(message);
  });

  it('refuses a key that is not a v1 key before any request, whatever the input', async () => {
    const error = await rejection(
      appTester(perform, makeBundle({ emails: ['a@example.org'] }, {}, 'api_key_123')),
    );
    expect(messageOf(error)).toMatch(/^This is not a Sotion API v1 key/);
  });

  it('refuses 100,000 emails before any request', async () => {
    const emails = Array.from({ length: 100_000 }, (_, i) => `m${i}@example.org`);
    const error = await rejection(appTester(perform, makeBundle({ emails })));
    expect(messageOf(error)).toMatch(
      /^This step got 100,000 emails; one step takes at most 25,000/,
    );
  });

  it('refuses more than 25,000 emails before any request', async () => {
    const emails = Array.from({ length: 25_001 }, (_, i) => `m${i}@example.com`).join('\n');
    const error = await rejection(appTester(perform, makeBundle({ emails: [emails] })));
    expect(messageOf(error)).toMatch(/^This step got 25,001 emails; one step takes at most 25,000/);
  });

  it('refuses a scope group before sending any member', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G1}`)
      .reply(200, { data: group(1, { id: G1, name: 'Notion DB', type: 'scope' }) }, headers());
    const error = await rejection(
      appTester(perform, makeBundle({ emails: ['a@example.com'], access_group_ids: [G1] })),
    );
    expect(messageOf(error)).toBe(
      `Access group "Notion DB" (${G1}) is a scope group, managed from a Notion collection; members cannot be added to it through the API. Choose custom groups only.`,
    );
  });

  it('an unknown group stops the step with a not-found error naming it', async () => {
    api().get(`${PREFIX}/access-groups/${G1}`).reply(404, '', headers('nf'));
    const error = await rejection(
      appTester(perform, makeBundle({ emails: ['a@example.com'], access_group_ids: [G1] })),
    );
    expect(messageOf(error)).toMatch(new RegExp(`could not find access group ${G1}.*req-nf`));
  });
});

describe('bulk_add_members: outcomes', () => {
  it('sends exact batches and accounts for every input email once', async () => {
    const sent: BulkBody[] = [];
    verifyGroups(G1, G2);
    bulkReplies(new Set(['old@example.com', 'older@example.com']), sent);
    // old@example.com: looked up, added to G1, already in G2
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'old@example.com', limit: '1' })
      .reply(200, pageOf([memberOf('old@example.com', 1)]), headers());
    api()
      .post(`${PREFIX}/access-groups/${G1}/members`, { memberId: uuid(5001) })
      .reply(
        201,
        { data: { ...memberOf('old@example.com', 1), accessGroups: [{ id: G1 }] } },
        headers(),
      );
    api()
      .post(`${PREFIX}/access-groups/${G2}/members`, { memberId: uuid(5001) })
      .reply(409, { error: 'already in group' }, headers());
    // older@example.com: already in both groups
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'older@example.com', limit: '1' })
      .reply(200, pageOf([memberOf('older@example.com', 2)]), headers());
    api()
      .post(`${PREFIX}/access-groups/${G1}/members`, { memberId: uuid(5002) })
      .reply(409, '', headers());
    api()
      .post(`${PREFIX}/access-groups/${G2}/members`, { memberId: uuid(5002) })
      .reply(409, '', headers());

    const result = await appTester(
      perform,
      makeBundle({
        members: [
          { email: ' Ada@Example.com ', display_name: 'Ada', paid: 'false' },
          { email: 'grace@example.com', display_name: '', paid: true },
          { email: '', display_name: 'No Email' },
          { email: 'x@y.com; z@y.com', display_name: 'Two' },
        ],
        emails: [
          'old@example.com, OLDER@example.com;not-an-email',
          'ada@example.com\nnew@example.com',
        ],
        default_paid: 'true',
        access_group_ids: [G1, G2, G1],
      }),
    );
    expect(sent).toEqual([
      {
        members: [
          { email: 'ada@example.com', displayName: 'Ada', paid: false },
          { email: 'grace@example.com', paid: true },
          { email: 'x@y.com', paid: true },
          { email: 'z@y.com', paid: true },
          { email: 'old@example.com', paid: true },
          { email: 'older@example.com', paid: true },
          { email: 'new@example.com', paid: true },
        ],
        accessGroupIds: [G1, G2],
      },
    ]);
    expect(result.results.map((r) => [r.email, r.source, r.status])).toEqual([
      ['ada@example.com', 'line item 1', 'created'],
      ['grace@example.com', 'line item 2', 'created'],
      ['', 'line item 3', 'invalid'],
      ['x@y.com', 'line item 4', 'created'],
      ['z@y.com', 'line item 4', 'created'],
      ['old@example.com', 'email list entry 1', 'added_to_groups'],
      ['older@example.com', 'email list entry 1', 'existing'],
      ['not-an-email', 'email list entry 1', 'invalid'],
      ['ada@example.com', 'email list entry 2', 'duplicate'],
      ['new@example.com', 'email list entry 2', 'created'],
    ]);
    expect(result).toMatchObject({
      total: 10,
      createdCount: 5,
      existingCount: 1,
      addedToGroupsCount: 1,
      invalidCount: 2,
      duplicateCount: 1,
      failedCount: 0,
      createdEmails: [
        'ada@example.com',
        'grace@example.com',
        'x@y.com',
        'z@y.com',
        'new@example.com',
      ],
      existingEmails: ['older@example.com'],
      addedToGroupsEmails: ['old@example.com'],
      invalidEmails: ['', 'not-an-email'],
      duplicateEmails: ['ada@example.com'],
      failedEmails: [],
      accessGroupIds: [G1, G2],
      apiRequests: 2 + 1 + 2 * 3,
    });
    expect(result.results[0]?.memberId).toBe(uuid(5001));
    expect(result.results[2]?.reason).toBe('Not sent: the email is empty.');
    expect(result.results[7]?.reason).toBe('Not sent: the email has no @.');
    expect(result.results[8]?.reason).toBe('Not sent again: the same email is in line item 1.');
    expect(result.results[5]?.reason).toBe(
      'Already a member; added to 1 of 2 group(s), already in the rest.',
    );
  });

  it('splits 2,201 members into 5 batches (4 of 500, 1 of 201) with exactly 4 requests in flight at the peak', async () => {
    const sent: BulkBody[] = [];
    let inFlight = 0;
    let peak = 0;
    api()
      .post(`${PREFIX}/members/bulk`)
      .times(5)
      .reply(
        207,
        async (_uri, body) => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 100));
          inFlight -= 1;
          const request = body as BulkBody;
          sent.push(request);
          return {
            data: request.members.map((m, i) => ({
              email: m.email,
              status: 'created',
              member: memberOf(m.email, i),
            })),
            summary: { total: request.members.length, created: request.members.length, failed: 0 },
          };
        },
        headers(),
      );
    const emails = Array.from({ length: 2201 }, (_, i) => `m${i}@example.com`);
    const result = await appTester(perform, makeBundle({ emails: [emails.join(',')] }));
    expect(sent.map((b) => b.members.length).sort((a, b) => b - a)).toEqual([
      500, 500, 500, 500, 201,
    ]);
    expect(sent.flatMap((b) => b.members.map((m) => m.email)).sort()).toEqual([...emails].sort());
    expect(sent.every((b) => b.accessGroupIds === undefined)).toBe(true);
    // Five batches answered after 100 ms each: four overlap, the fifth waits for a free lane.
    expect(BULK_CONCURRENCY).toBe(4);
    expect(peak).toBe(BULK_CONCURRENCY);
    expect(result.createdCount).toBe(2201);
    expect(result.apiRequests).toBe(5);
  });

  it('leaves existing members alone when "Add Existing Members to the Groups" is off', async () => {
    const sent: BulkBody[] = [];
    verifyGroups(G1);
    bulkReplies(new Set(['old@example.com']), sent);
    const result = await appTester(
      perform,
      makeBundle({
        emails: ['old@example.com'],
        access_group_ids: G1,
        add_existing_to_groups: 'false',
      }),
    );
    expect(result.results).toEqual([
      {
        email: 'old@example.com',
        source: 'email list entry 1',
        status: 'existing',
        memberId: null,
        reason:
          'Already a member; not added to the groups ("Add Existing Members to the Groups" is off).',
      },
    ]);
  });

  it('a replay after a lost first try reports everyone as existing and adds nobody twice', async () => {
    const sent: BulkBody[] = [];
    bulkReplies(new Set(['a@example.com', 'b@example.com']), sent);
    const result = await appTester(
      perform,
      makeBundle({ emails: ['a@example.com b@example.com'] }),
    );
    expect(result.existingEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(result.results[0]?.reason).toBe('Already a member.');
  });

  it('per-member errors fail the step by default, naming the email and reason', async () => {
    api()
      .post(`${PREFIX}/members/bulk`)
      .reply(
        207,
        {
          data: [
            { email: 'ok@example.com', status: 'created', member: memberOf('ok@example.com', 1) },
            {
              email: 'bad@example.com',
              status: 'error',
              error: { code: 'invalid_email', message: 'Domain does not accept mail' },
            },
          ],
          summary: { total: 2, created: 1, failed: 1 },
        },
        headers(),
      );
    const error = await rejection(
      appTester(
        perform,
        makeBundle({ emails: ['ok@example.com', 'bad@example.com', 'missing@example.com'] }),
      ),
    );
    expect(messageOf(error)).toBe(
      'Bulk Add Members could not add 2 members: bad@example.com (email list entry 2): Sotion could not create this member: invalid_email: Domain does not accept mail. ' +
        "missing@example.com (email list entry 3): Sotion's answer to the bulk request did not mention this email. " +
        'Of 3 emails: 1 created, 0 already members, 2 failed. Replaying the step is safe: members created by this run will show as already members, and nobody is added twice.',
    );
  });

  it('with "never" the same run succeeds and reports the failures in the output', async () => {
    api()
      .post(`${PREFIX}/members/bulk`)
      .reply(
        207,
        {
          data: [{ email: 'bad@example.com', status: 'error' }],
          summary: { total: 1, created: 0, failed: 1 },
        },
        headers(),
      );
    const result = await appTester(
      perform,
      makeBundle({ emails: ['bad@example.com', 'nope'], fail_when: 'never' }),
    );
    expect(result.failedEmails).toEqual(['bad@example.com']);
    expect(result.invalidEmails).toEqual(['nope']);
    expect(result.results[0]?.reason).toBe('Sotion could not create this member: no reason given.');
  });

  it('"any_problem" also fails on invalid emails; the default only reports them', async () => {
    const sent: BulkBody[] = [];
    bulkReplies(new Set(), sent, { times: 2 });
    const error = await rejection(
      appTester(
        perform,
        makeBundle({ emails: ['a@example.com', 'a@@b'], fail_when: 'any_problem' }),
      ),
    );
    expect(messageOf(error)).toMatch(
      /^1 email in the input is not valid and was not sent: a@@b \(email list entry 2\): Not sent: the email has more than one @\. Of 2 emails: 1 created/,
    );
    const ok = await appTester(perform, makeBundle({ emails: ['a@example.com', 'a@@b'] }), true);
    expect(ok.invalidCount).toBe(1);
  });

  it('all emails invalid: nothing is sent and, under the default, the step fails saying why', async () => {
    const error = await rejection(appTester(perform, makeBundle({ emails: ['nope, also-nope@'] })));
    expect(messageOf(error)).toBe(
      'No email in the input is valid, so nothing was sent: nope (email list entry 1): Not sent: ' +
        'the email has no @. also-nope@ (email list entry 1): Not sent: nothing comes after the ' +
        '@. Of 2 emails: 0 created, 0 already members, 2 invalid. Fix them.',
    );
    const result = await appTester(
      perform,
      makeBundle({ emails: ['nope, also-nope@'], fail_when: 'never' }),
    );
    expect(result.invalidEmails).toEqual(['nope', 'also-nope@']);
    expect(result.apiRequests).toBe(0);
  });

  it('an invalid email given twice is still nothing sent: the step fails the same way', async () => {
    const error = await rejection(appTester(perform, makeBundle({ emails: ['nope, nope'] })));
    expect(messageOf(error)).toMatch(/^No email in the input is valid, so nothing was sent: nope /);
  });
});

describe('bulk_add_members: invalid emails under "any_problem"', () => {
  it('names each invalid email, one period per reason, and counts the rest', async () => {
    api()
      .post(`${PREFIX}/members/bulk`, { members: [{ email: 'ok@example.com' }] })
      .reply(
        207,
        {
          data: [
            { email: 'ok@example.com', status: 'created', member: memberOf('ok@example.com', 1) },
          ],
          summary: { total: 1, created: 1, failed: 0 },
        },
        headers(),
      );
    const error = await rejection(
      appTester(
        perform,
        makeBundle({ emails: ['a@@b, ok@example.com, c@'], fail_when: 'any_problem' }),
      ),
    );
    expect(messageOf(error)).toBe(
      '2 emails in the input are not valid and were not sent: a@@b (email list entry 1): Not ' +
        'sent: the email has more than one @. c@ (email list entry 1): Not sent: nothing comes ' +
        'after the @. Of 3 emails: 1 created, 0 already members, 2 invalid. Fix them, or set ' +
        '"Fail the Step When" to another choice.',
    );
  });
});

describe('bulk_add_members: a lost answer', () => {
  it("members the resend calls existing may be this step's own: the output and errors say so", async () => {
    api()
      .post(`${PREFIX}/members/bulk`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    api()
      .post(`${PREFIX}/members/bulk`, {
        members: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
      })
      .reply(
        207,
        {
          data: [
            { email: 'a@example.com', status: 'conflict' },
            { email: 'b@example.com', status: 'created', member: memberOf('b@example.com', 2) },
          ],
          summary: { total: 2, created: 1, failed: 1 },
        },
        headers(),
      );
    const result = await appTester(
      perform,
      makeBundle({ emails: ['a@example.com', 'b@example.com'] }),
    );
    expect(result.existingEmails).toEqual(['a@example.com']);
    expect(result.results[0]?.reason).toBe(
      "Already a member. It may have been created by this step's own earlier request, whose " +
        'answer was lost.',
    );
  });

  it('without a lost answer, existing members are plainly existing', async () => {
    api()
      .post(`${PREFIX}/members/bulk`)
      .reply(
        207,
        {
          data: [{ email: 'a@example.com', status: 'conflict' }],
          summary: { total: 1, created: 0, failed: 1 },
        },
        headers(),
      );
    const result = await appTester(perform, makeBundle({ emails: ['a@example.com'] }));
    expect(result.results[0]?.reason).toBe('Already a member.');
  });
});

describe('bulk_add_members: answers that do not line up', () => {
  const answer = (data: unknown[]) => ({
    data,
    summary: { total: data.length, created: 0, failed: 0 },
  });

  it('an answer repeating an email with different outcomes: the first one wins', async () => {
    api()
      .post(`${PREFIX}/members/bulk`, {
        members: [
          { email: 'a@example.com' },
          { email: 'b@example.com' },
          { email: 'c@example.com' },
        ],
      })
      .reply(
        207,
        answer([
          { email: 'a@example.com', status: 'created', member: memberOf('a@example.com', 1) },
          { email: 'A@example.com', status: 'conflict' },
          { email: 'b@example.com', status: 'conflict' },
          { email: 'b@example.com', status: 'created', member: memberOf('b@example.com', 2) },
          { email: 'c@example.com', status: 'error', error: { code: 'x', message: 'no' } },
          { email: 'c@example.com', status: 'created', member: memberOf('c@example.com', 3) },
        ]),
        headers(),
      );
    const result = await appTester(
      perform,
      makeBundle({ emails: ['a@example.com b@example.com c@example.com'], fail_when: 'never' }),
    );
    expect(result.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      ['a@example.com', 'created', uuid(5001), null],
      ['b@example.com', 'existing', null, 'Already a member.'],
      ['c@example.com', 'failed', null, 'Sotion could not create this member: x: no.'],
    ]);
  });

  it('a look-up that answers with another member is not taken for the one asked for', async () => {
    verifyGroups(G1);
    bulkReplies(new Set(['old@example.com']), [], {
      body: { members: [{ email: 'old@example.com' }], accessGroupIds: [G1] },
    });
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'old@example.com', limit: '1' })
      .reply(200, pageOf([memberOf('older@example.com', 9)]), headers());
    const result = await appTester(
      perform,
      makeBundle({ emails: ['old@example.com'], access_group_ids: [G1], fail_when: 'never' }),
    );
    // No group add is sent for the other member (nock would refuse it).
    expect(result.results[0]).toMatchObject({ status: 'failed', memberId: null });
    expect(result.results[0]?.reason).toBe(
      'Sotion said this email already exists but could not find the member by email, so it was not added to the groups.',
    );
  });

  it('an error the pipeline did not raise (a bug, an unknown failure) stops the step', async () => {
    verifyGroups(G1);
    bulkReplies(new Set(['old@example.com']), [], {
      body: { members: [{ email: 'old@example.com' }], accessGroupIds: [G1] },
    });
    const lookup = jest.mocked(membersApi.findMemberByEmail);
    lookup.mockClear().mockRejectedValueOnce(new TypeError('Cannot read properties of undefined'));
    const error = await rejection(
      appTester(
        perform,
        makeBundle({ emails: ['old@example.com'], access_group_ids: [G1], fail_when: 'never' }),
      ),
    );
    expect(messageOf(error)).toBe(
      'Bulk Add Members stopped: Cannot read properties of undefined Of 1 email: 0 created, 0 already members, 1 failed. Replaying the step is safe: members created by this run will show as already members, and nobody is added twice.',
    );
    expect(lookup).toHaveBeenCalledTimes(1);
  });
});

describe('bulk_add_members: failures are never silent', () => {
  it('a batch that keeps failing fails the step with what was done', async () => {
    api()
      .post(`${PREFIX}/members/bulk`)
      .times(4)
      .reply(503, { error: 'maintenance' }, headers('down'));
    const error = await rejection(appTester(perform, makeBundle({ emails: ['a@example.com'] })));
    expect(messageOf(error)).toMatch(
      /^Bulk Add Members could not add 1 member: a@example.com \(email list entry 1\): Sotion had a problem \(HTTP 503\) while creating members in bulk\..*req-down\)\. Of 1 email: 0 created, 0 already members, 1 failed\. Replaying the step is safe/,
    );
  });

  it('a revoked key mid-run stops the step as ExpiredAuthError', async () => {
    api().post(`${PREFIX}/members/bulk`).reply(401, '', headers('gone'));
    const error = await rejection(appTester(perform, makeBundle({ emails: ['a@example.com'] })));
    expect(error.name).toBe('ExpiredAuthError');
  });

  it('a 403 mid-run stops sending and says what was done', async () => {
    api().post(`${PREFIX}/members/bulk`).reply(403, '', headers('no'));
    const error = await rejection(appTester(perform, makeBundle({ emails: ['a@example.com'] })));
    expect(messageOf(error)).toMatch(
      /^Bulk Add Members stopped: One of the chosen access groups is a scope group.*Of 1 email: 0 created/,
    );
  });

  it('a long throttle hands the step back to Zapier with progress', async () => {
    api()
      .post(`${PREFIX}/members/bulk`)
      .reply(429, '', headers('rl', { 'retry-after': '120' }));
    const error = await rejection(appTester(perform, makeBundle({ emails: ['a@example.com'] })));
    expect(error.name).toBe('ThrottledError');
    const body = JSON.parse(error.message) as { message: string; delay: number };
    expect(body.message).toMatch(
      /^Sotion's rate limit stopped Bulk Add Members part way\. Of 1 email: 0 created/,
    );
    // 120 seconds plus jitter (so throttled Zaps do not all come back in the same second).
    expect(body.delay).toBeGreaterThanOrEqual(121);
    expect(body.delay).toBeLessThanOrEqual(121 + 30);
  });

  it('work that does not fit in the time is reported, not dropped', async () => {
    // 2.5 s of work after the 4 s kept back for the output and its results file (2,500 results).
    process.env.SOTION_RUN_BUDGET_MS = '6500';
    try {
      const sent: BulkBody[] = [];
      bulkReplies(new Set(), sent, { delayMs: 1200, times: 4 });
      const emails = Array.from({ length: 2500 }, (_, i) => `m${i}@example.com`);
      const error = await rejection(appTester(perform, makeBundle({ emails })));
      expect(messageOf(error)).toMatch(
        /^Bulk Add Members ran out of the time Zapier allows a step \(30 seconds\) before sending 500 members\. Of 2,500 emails: 2,000 created, 0 already members, 500 not sent\. Split the input across several steps, or replay this one to finish\./,
      );
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });

  it('an existing member who cannot be found by email is reported as failed', async () => {
    const sent: BulkBody[] = [];
    verifyGroups(G1);
    bulkReplies(new Set(['ghost@example.com']), sent);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'ghost@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    const result = await appTester(
      perform,
      makeBundle({ emails: ['ghost@example.com'], access_group_ids: [G1], fail_when: 'never' }),
    );
    expect(result.results[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/could not find the member by email/),
    });
  });
});

describe('bulk_add_members: hostile conditions (issue 11)', () => {
  const existing = Array.from({ length: 20 }, (_, i) => `e${i}@example.com`);
  const idOf = (email: string) => uuid(7000 + existing.indexOf(email));
  const listed = (email: string, over: Record<string, unknown> = {}) => ({
    ...memberOf(email, 0),
    id: idOf(email),
    ...over,
  });
  const adds: Array<[string, string]> = [];
  const addReplies = (groupId: string, times: number, already: Set<string> = new Set()) => {
    api()
      .post(`${PREFIX}/access-groups/${groupId}/members`)
      .times(times)
      .reply((_uri, body) => {
        const { memberId } = body as { memberId: string };
        adds.push([groupId, memberId]);
        return already.has(memberId)
          ? [409, { error: 'already in group' }, headers()]
          : [
              201,
              { data: { ...listed('x@example.com'), id: memberId, accessGroups: [] } },
              headers(),
            ];
      });
  };
  const groupWith = (id: string, memberCount: number) =>
    api()
      .get(`${PREFIX}/access-groups/${id}`)
      .reply(
        200,
        { data: group(Number.parseInt(id.slice(-3), 16), { id, memberCount }) },
        headers(),
      );
  const groupPage = (emails: string[], nextCursor: string | null) =>
    pageOf(
      emails.map((email) => {
        const { createdAt: _c, updatedAt: _u, ...rest } = listed(email);
        return rest;
      }),
      nextCursor,
    );
  beforeEach(() => {
    adds.length = 0;
  });

  it('a replay sends nothing an earlier run of the same step confirmed (z.cache, per connection)', async () => {
    const sent: BulkBody[] = [];
    verifyGroups(G1);
    bulkReplies(new Set(), sent);
    const input = makeBundle({
      emails: ['a@example.com', 'b@example.com'],
      access_group_ids: [G1],
    });
    const first = await appTester(perform, input);
    expect(first.createdCount).toBe(2);
    // The replay: no request at all, everyone reported as done.
    const replay = await appTester(perform, input);
    expect(replay.apiRequests).toBe(0);
    expect(replay.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      [
        'a@example.com',
        'existing',
        uuid(5001),
        'Done by an earlier run of this step; not sent again.',
      ],
      [
        'b@example.com',
        'existing',
        uuid(5002),
        'Done by an earlier run of this step; not sent again.',
      ],
    ]);
    // Another step (other groups) or another connection does not share that memory.
    verifyGroups(G2);
    bulkReplies(new Set(['a@example.com', 'b@example.com']), sent);
    addReplies(G2, 2);
    api()
      .get(`${PREFIX}/members`)
      .query(true)
      .times(2)
      .reply(
        200,
        (uri) => pageOf([listed(new URL(uri, BASE).searchParams.get('email')!)]),
        headers(),
      );
    const other = await appTester(
      perform,
      makeBundle({ emails: ['a@example.com', 'b@example.com'], access_group_ids: [G2] }),
    );
    expect(other.addedToGroupsCount).toBe(2);
  });

  it("splits a batch Sotion rejects whole and reports the refused member in the user's terms", async () => {
    const emails = Array.from({ length: 8 }, (_, i) => `p${i}@example.com`);
    const bad = 'p5@example.com';
    const sizes: number[] = [];
    api()
      .post(`${PREFIX}/members/bulk`)
      .times(7)
      .reply((_uri, body) => {
        const request = body as BulkBody;
        sizes.push(request.members.length);
        const index = request.members.findIndex((m) => m.email === bad);
        if (index >= 0)
          return [422, { error: `Invalid email at members[${index}]: ${bad}` }, headers('no')];
        const data = request.members.map((m, n) => ({
          email: m.email,
          status: 'created',
          member: memberOf(m.email, n),
        }));
        return [
          207,
          { data, summary: { total: data.length, created: data.length, failed: 0 } },
          headers(),
        ];
      });
    const result = await appTester(perform, makeBundle({ emails, fail_when: 'never' }));
    // 8 → 4 + 4 → the bad half in 2 + 2 → 1 + 1: the refused member alone, everyone else created.
    expect(sizes).toEqual([8, 4, 4, 2, 1, 1, 2]);
    expect(result.createdCount).toBe(7);
    const refused = result.results.find((r) => r.email === bad);
    expect(refused).toEqual({
      email: bad,
      source: 'email list entry 6',
      status: 'failed',
      memberId: null,
      reason:
        'Sotion refused this member (HTTP 422, X-Request-Id: req-no): Invalid email: p5@example.com. The other members of its batch were sent without it.',
    });
  });

  it('reads the site member list instead of one look-up per existing member, and stops when all are found', async () => {
    // A group too long to read for 20 members (11 pages).
    groupWith(G1, 1001);
    bulkReplies(new Set(existing), []);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(
        200,
        pageOf(
          existing.slice(0, 12).map((e) => listed(e)),
          'c1',
        ),
        headers(),
      );
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: 'c1' })
      .reply(
        200,
        pageOf(
          existing.slice(12).map((e) => listed(e)),
          'c2',
        ),
        headers(),
      );
    addReplies(G1, existing.length);
    const result = await appTester(
      perform,
      makeBundle({ emails: existing, access_group_ids: [G1] }),
    );
    expect(result.addedToGroupsCount).toBe(20);
    // 1 group check + 1 bulk + 2 list pages (not 20 look-ups; the third page is not read) + 20 adds.
    expect(result.apiRequests).toBe(1 + 1 + 2 + 20);
  });

  it('with nobody created, reads short group lists and adds only who is missing', async () => {
    const [inG1, unlisted] = existing.slice(18) as [string, string];
    groupWith(G1, 19);
    groupWith(G2, 18);
    bulkReplies(new Set(existing), []);
    groupListRead(G1).reply(
      200,
      groupPage([...existing.slice(0, 18), inG1, 'outsider@example.com'], null),
      headers(),
    );
    groupListRead(G2).reply(200, groupPage(existing.slice(0, 18), null), headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ email: unlisted, limit: '1' })
      .reply(200, pageOf([listed(unlisted)]), headers());
    addReplies(G2, 2);
    addReplies(G1, 1);
    const result = await appTester(
      perform,
      makeBundle({ emails: existing, access_group_ids: [G1, G2] }),
    );
    expect(adds.sort()).toEqual(
      [
        [G2, idOf(inG1)],
        [G1, idOf(unlisted)],
        [G2, idOf(unlisted)],
      ].sort(),
    );
    expect(result.existingCount).toBe(18);
    expect(result.apiRequests).toBe(2 + 1 + 2 + 1 + 3);
  });

  it('"Update Existing Members": PATCHes only members whose Paid or blocked status differ, and says what changed', async () => {
    const [unpaid, blocked, fine] = ['back@example.com', 'blocked@example.com', 'fine@example.com'];
    bulkReplies(new Set([unpaid, blocked, fine]), []);
    const member = (email: string, over: Record<string, unknown>) => ({
      ...memberOf(email, 0),
      id: uuid(email.length),
      ...over,
    });
    const replies: Record<string, unknown> = {
      [unpaid]: member(unpaid, { paid: false }),
      [blocked]: member(blocked, { paid: true, status: 'blocked', id: uuid(900) }),
      [fine]: member(fine, { paid: true, id: uuid(901) }),
    };
    for (const email of [unpaid, blocked, fine]) {
      api()
        .get(`${PREFIX}/members`)
        .query({ email, limit: '1' })
        .reply(200, pageOf([replies[email]]), headers());
    }
    const patches: unknown[] = [];
    api()
      .patch(new RegExp(`${PREFIX}/members/.+`))
      .times(2)
      .reply((uri, body) => {
        patches.push([uri.split('/').pop(), body]);
        return [200, { data: { ...member(unpaid, {}), accessGroups: [] } }, headers()];
      });
    const result = await appTester(
      perform,
      makeBundle({
        emails: [unpaid, blocked, fine],
        default_paid: 'true',
        update_existing: 'set_paid_and_unblock',
      }),
    );
    expect(patches).toEqual([
      [uuid(unpaid.length), { paid: true }],
      [uuid(900), { status: 'active' }],
    ]);
    expect(result.results.map((r) => [r.email, r.status, r.reason])).toEqual([
      [unpaid, 'updated', 'Already a member; Paid set to true.'],
      [blocked, 'updated', 'Already a member; unblocked.'],
      [fine, 'existing', 'Already a member; nothing to change.'],
    ]);
    expect(result.updatedCount).toBe(2);
    // The default leaves them alone: no look-up, no PATCH.
    bulkReplies(new Set([unpaid]), []);
    const left = await appTester(perform, makeBundle({ emails: [unpaid], default_paid: 'true' }));
    expect(left.results[0]?.status).toBe('existing');
    expect(left.apiRequests).toBe(1);
  });

  it('a batch refused without a body or request id: the member is reported with the status alone', async () => {
    let n = 0;
    api()
      .post(`${PREFIX}/members/bulk`)
      .times(3)
      .reply((_uri, body) => {
        n += 1;
        const request = body as BulkBody;
        if (n === 1) return [413, ''];
        if (request.members[0]?.email === 'b@example.com') return [400, ''];
        const data = [
          { email: 'a@example.com', status: 'created', member: memberOf('a@example.com', 1) },
        ];
        return [207, { data, summary: { total: 1, created: 1, failed: 0 } }, headers()];
      });
    const result = await appTester(
      perform,
      makeBundle({ emails: ['a@example.com', 'b@example.com'], fail_when: 'never' }),
    );
    expect(result.results.map((r) => [r.status, r.reason])).toEqual([
      ['created', null],
      [
        'failed',
        'Sotion refused this member (HTTP 400). The other members of its batch were sent without it.',
      ],
    ]);
  });

  it('a group list that keeps resetting is skipped, the rest found another way; a 401 there stops the step', async () => {
    groupWith(G1, 5);
    bulkReplies(new Set(existing), []);
    groupListRead(G1)
      .times(4)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(
        200,
        pageOf([memberOf('outsider@example.com', 1), ...existing.map((e) => listed(e))]),
        headers(),
      );
    addReplies(G1, existing.length);
    const result = await appTester(
      perform,
      makeBundle({ emails: existing, access_group_ids: [G1] }),
    );
    expect(result.addedToGroupsCount).toBe(20);
    expect(result.apiRequests).toBe(1 + 1 + 4 + 1 + 20);

    groupWith(G1, 5);
    bulkReplies(new Set(existing), []);
    groupListRead(G1).reply(401, { error: 'unauthorized' }, headers('revoked'));
    const error = await rejection(
      appTester(perform, makeBundle({ emails: existing, access_group_ids: [G1] }), true),
    );
    expect(error.name).toBe('ExpiredAuthError');
  });

  it('a member the group list shows in the group is only PATCHed, when Paid differs', async () => {
    const [a, b] = existing.slice(0, 2) as [string, string];
    groupWith(G1, 2);
    bulkReplies(new Set([a, b]), []);
    groupListRead(G1).reply(
      200,
      pageOf([
        { ...listed(a), paid: false },
        { ...listed(b), paid: true },
      ]),
      headers(),
    );
    api()
      .patch(`${PREFIX}/members/${idOf(a)}`, { paid: true })
      .reply(200, { data: { ...listed(a), paid: true, accessGroups: [] } }, headers());
    const result = await appTester(
      perform,
      makeBundle({
        emails: [a, b],
        access_group_ids: [G1],
        default_paid: 'true',
        update_existing: 'set_paid',
      }),
    );
    expect(result.results.map((r) => [r.status, r.reason])).toEqual([
      ['updated', 'Already a member; Paid set to true; already in every chosen group.'],
      ['existing', 'Already a member, already in every chosen group.'],
    ]);
    expect(result.apiRequests).toBe(1 + 1 + 1 + 1);
  });
});

const bundle = (inputData: Record<string, unknown> = {}) => ({
  authData: { apiKey: KEY },
  inputData: inputData as never,
});

describe('bulk edges', () => {
  const created = (email: string, withMember = true) => ({
    email,
    status: 'created',
    ...(withMember
      ? {
          member: {
            id: uuid(7),
            email,
            displayName: null,
            status: 'active',
            verified: false,
            paid: false,
            registeredAt: null,
            lastLoginAt: null,
            createdAt: null,
            updatedAt: null,
          },
        }
      : {}),
  });

  it('takes a single line item object and a plain text email list; repeated answers count once', async () => {
    api()
      .post(`${PREFIX}/members/bulk`, {
        members: [{ email: 'one@example.com', displayName: 'One' }, { email: 'two@example.com' }],
      })
      .reply(
        207,
        {
          data: [
            created('one@example.com'),
            created('ONE@example.com'),
            created('two@example.com', false),
          ],
          summary: { total: 2, created: 2, failed: 0 },
        },
        headers(),
      );
    const result = await appTester(
      perform,
      bundle({
        members: { email: 'one@example.com', display_name: 'One' },
        emails: 'two@example.com',
      }),
    );
    expect(result.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['one@example.com', 'created', uuid(7)],
      ['two@example.com', 'created', null],
    ]);
  });

  it('reports empty line items, and lists at most 5 examples in an error', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `bad${i}@@x.com`);
    const error = await rejection(
      appTester(perform, bundle({ members: [{}], emails, fail_when: 'any_problem' })),
    );
    expect(messageOf(error)).toMatch(
      /^No email in the input is valid, so nothing was sent: \(empty\) \(line item 1\): Not sent: the email is empty\. bad0@@x\.com .*…and 2 more in the same way\./,
    );
  });

  it('stops sending once a batch hits a fatal error and says the rest were not sent', async () => {
    const emails = Array.from({ length: 2600 }, (_, i) => `m${i}@example.com`);
    type Sent = { members: Array<{ email: string }> };
    // The first of the four batches in flight is refused; the three others are created.
    const isBatch = (body: Sent) =>
      body.members.length === 500 && body.members.every((m) => emails.includes(m.email));
    api().post(`${PREFIX}/members/bulk`, isBatch).reply(403, '', headers());
    process.env.SOTION_RUN_BUDGET_MS = '20000';
    try {
      api()
        .post(`${PREFIX}/members/bulk`, isBatch)
        .times(3)
        .delay(200)
        .reply(
          207,
          (_u, body) => {
            const members = (body as { members: Array<{ email: string }> }).members;
            return {
              data: members.map((m) => created(m.email)),
              summary: { total: members.length, created: members.length, failed: 0 },
            };
          },
          headers(),
        );
      const error = await rejection(appTester(perform, bundle({ emails, fail_when: 'never' })));
      expect(messageOf(error)).toMatch(
        /^Bulk Add Members stopped: .*Of 2,600 emails: 1,500 created, 0 already members, 600 not sent, 500 failed\./,
      );
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });

  it('existing members not looked up in time are reported as sent, their groups unchecked', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '2600';
    const G = uuid(300);
    try {
      api()
        .get(`${PREFIX}/access-groups/${G}`)
        .reply(200, { data: group(300, { id: G }) }, headers());
      api()
        .post(`${PREFIX}/members/bulk`, {
          members: [{ email: 'old@example.com' }],
          accessGroupIds: [G],
        })
        .delay(1200)
        .reply(
          207,
          {
            data: [{ email: 'old@example.com', status: 'conflict' }],
            summary: { total: 1, created: 0, failed: 1 },
          },
          headers(),
        );
      const error = await rejection(
        appTester(perform, bundle({ emails: ['old@example.com'], access_group_ids: [G] })),
      );
      expect(messageOf(error)).toMatch(
        /^Bulk Add Members ran out of the time Zapier allows a step \(30 seconds\) before checking the access groups of 1 existing member\. Of 1 email: 0 created, 0 already members, 1 existing member whose access groups were not checked yet\./,
      );
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });
});

describe('bulk edges: the existing-member pass', () => {
  const G = uuid(400);
  const conflicts = (emails: string[]) => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(400, { id: G }) }, headers());
    api()
      .post(`${PREFIX}/members/bulk`, {
        members: emails.map((email) => ({ email })),
        accessGroupIds: [G],
      })
      .reply(
        207,
        {
          data: emails.map((email) => ({ email, status: 'conflict' })),
          summary: { total: emails.length, created: 0, failed: emails.length },
        },
        headers(),
      );
  };

  it('a look-up that keeps failing fails that member with the reason', async () => {
    conflicts(['old@example.com']);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'old@example.com', limit: '1' })
      .times(4)
      .reply(500, '', headers('lk'));
    const result = await appTester(
      perform,
      bundle({ emails: ['old@example.com'], access_group_ids: [G], fail_when: 'never' }),
    );
    expect(result.results[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(
        /^Sotion had a problem \(HTTP 500\) while reading members\..*req-lk\)\.$/,
      ),
    });
  });

  it('a 403 stops the pass; existing members not started are reported with their groups unchecked', async () => {
    const existing = Array.from({ length: 20 }, (_, i) => `old${i}@example.com`);
    conflicts(existing);
    // 20 ids cost one page of the site's member list rather than 20 look-ups: the 403 there
    // stops the pass before anyone is looked up.
    api().get(`${PREFIX}/members`).query({ limit: '100' }).reply(403, '', headers('stop'));
    const error = await rejection(
      appTester(perform, bundle({ emails: existing, access_group_ids: [G], fail_when: 'never' })),
    );
    expect(messageOf(error)).toMatch(
      /^Bulk Add Members stopped: .*Of 20 emails: 0 created, 0 already members, 20 existing members whose access groups were not checked yet\. Replaying/,
    );
  });
});
