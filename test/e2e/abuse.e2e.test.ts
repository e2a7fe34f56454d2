import type { Bundle, ZObject } from 'zapier-platform-core';
import { perform as bulkAddMembers } from '../../creates/bulk_add_members';
import { perform as createAccessGroup } from '../../creates/create_access_group';
import { perform as newAccessGroup } from '../../triggers/new_access_group';
import { testAuth } from '../../src/zap/authentication';
import type { BulkOutput } from '../../src/bulk/output';
import { DEMO_KEY, OTHER_KEY } from '../../sandbox/store';
import { appTester, messageOf } from '../helpers';
import { bulkInput, demoSite, e2eBundle, groupByName, useSandbox } from './harness';

/**
 * The fault and abuse suite: nothing a user sent is lost under throttling, server errors,
 * resets and replays; bad input is answered clearly before any request; secrets stay secret;
 * sites stay apart. It prints its figures at the end (the README quotes them).
 */
jest.setTimeout(300_000);

const figures = {
  badInputCases: 0,
  faultRuns: 0,
  stepRuns: 0,
  faultsInjected: 0,
  membersLost: 0,
  duplicates: 0,
  groupsDuplicated: 0,
};
afterAll(() => {
  console.log(
    `fault and abuse suite: ${figures.badInputCases} bad-input cases, ${figures.faultRuns} faulty runs ` +
      `(${figures.stepRuns} step runs including replays), ${figures.faultsInjected} faults injected, ` +
      `members lost: ${figures.membersLost}, duplicates: ${figures.duplicates}, groups created twice: ${figures.groupsDuplicated}`,
  );
});

type Perform = (z: ZObject, bundle: Bundle) => Promise<unknown>;
const operations: Record<string, Perform> = {
  create_access_group: createAccessGroup as Perform,
  bulk_add_members: bulkAddMembers as Perform,
  new_access_group: newAccessGroup as Perform,
  auth: testAuth as Perform,
};

describe('bad input is answered clearly, and never with a request when it is known to be bad', () => {
  const sandbox = useSandbox();
  const long = (n: number) => 'x'.repeat(n);
  // Inputs are built when a case runs: jest formats each table row, and a 100,000-email row is slow.
  // Every row has all five columns: jest takes a test function with more parameters than the
  // row has values as one that waits for a `done` callback.
  const cases: Array<[string, string, () => Record<string, unknown>, RegExp, string]> = [
    ['create_access_group', 'empty name', () => ({ name: '' }), /^Name is required/, DEMO_KEY],
    [
      'create_access_group',
      'whitespace-only name',
      () => ({ name: ' \t\n ' }),
      /^Name is required/,
      DEMO_KEY,
    ],
    ['create_access_group', 'null name', () => ({ name: null }), /^Name is required/, DEMO_KEY],
    [
      'create_access_group',
      '101-character name',
      () => ({ name: long(101) }),
      /^Name must be at most 100 characters; it has 101\./,
      DEMO_KEY,
    ],
    [
      'create_access_group',
      '501-character description',
      () => ({ name: 'ok', description: long(501) }),
      /^Description must be at most 500 characters; it has 501\./,
      DEMO_KEY,
    ],
    [
      'create_access_group',
      'object as name',
      () => ({ name: { first: 'a' } }),
      /^Name must be text; it was \{"first":"a"\}\./,
      DEMO_KEY,
    ],
    [
      'create_access_group',
      'list as name',
      () => ({ name: ['a', 'b'] }),
      /^Name must be text/,
      DEMO_KEY,
    ],
    [
      'create_access_group',
      'unknown choice',
      () => ({ name: 'ok', if_name_taken: 'overwrite' }),
      /^If the Name Is Taken must be "error" or "return_existing"; it was "overwrite"\./,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'nothing at all',
      () => ({}),
      /^No members to add: fill in Members line items or Emails/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'empty email list',
      () => ({ emails: [] }),
      /^No members to add/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'whitespace-only emails',
      () => ({ emails: ['   ', '\n'] }),
      /^No members to add/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'null emails and members',
      () => ({ emails: null, members: null }),
      /^No members to add/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      '100,000 members in one step',
      () => ({ emails: Array.from({ length: 100_000 }, (_, i) => `m${i}@example.org`) }),
      /^This step got 100,000 emails; one step takes at most 25,000/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'malformed group id',
      () => ({ emails: ['a@example.org'], access_group_ids: ['premium'] }),
      /^Access Groups must be Sotion IDs .*"premium" is not\./,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'numeric group id',
      () => ({ emails: ['a@example.org'], access_group_ids: [42] }),
      /^Access Groups must be Sotion IDs .*"42" is not\./,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'paid default not a boolean',
      () => ({ emails: ['a@example.org'], default_paid: 'sometimes' }),
      /^Paid by Default must be true or false \(yes\/no\); it was "sometimes"\./,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'existing-members switch not a boolean',
      () => ({ emails: ['a@example.org'], add_existing_to_groups: 'perhaps' }),
      /^Add Existing Members to the Groups must be true or false/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'unknown failure policy',
      () => ({ emails: ['a@example.org'], fail_when: 'sometimes' }),
      /^Fail the Step When must be "any_failed", "any_problem" or "never"; it was "sometimes"\./,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'line item that is text',
      () => ({ members: ['a@example.org'] }),
      /^Members line item 1 must have an Email; it was "a@example.org"\./,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'line item paid not a boolean',
      () => ({ members: [{ email: 'a@example.org', paid: 'perhaps' }] }),
      /^Paid of line item 1 must be true or false/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'line item email an object',
      () => ({ members: [{ email: { a: 1 } }] }),
      /^Email of line item 1 must be text/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'line item name a list',
      () => ({ members: [{ email: 'a@example.org', display_name: ['x'] }] }),
      /^Display Name of line item 1 must be text/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'email entry an object',
      () => ({ emails: [{ email: 'a@example.org' }] }),
      /^Emails entry 1 must be text/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'boolean paid as number 2',
      () => ({ emails: ['a@example.org'], default_paid: 2 }),
      /^Paid by Default must be true or false/,
      DEMO_KEY,
    ],
    [
      'new_access_group',
      'unknown group type',
      () => ({ type: 'secret' }),
      /^Group Type must be "custom" or "scope"; it was "secret"\./,
      DEMO_KEY,
    ],
    [
      'new_access_group',
      'group type an object',
      () => ({ type: { a: 1 } }),
      /^Group Type must be text/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'the API key in upper case as an email (before: sent to Sotion as a member)',
      () => ({ emails: ['ada@example.org', DEMO_KEY.toUpperCase()] }),
      /^A value of this step contains the connection's API key \(in emails\[1\]\), so nothing was sent to Sotion\. Check which fields are mapped into this step\.$/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'the API key in mixed case inside a line item email',
      () => ({ members: [{ email: `x${DEMO_KEY.replace('so_', 'So_')}@example.org` }] }),
      /^A value of this step contains the connection's API key \(in members\[0\]\.email\)/,
      DEMO_KEY,
    ],
    [
      'create_access_group',
      'the API key in upper case in a name that is also too long',
      () => ({ name: `${DEMO_KEY.toUpperCase()} ${long(200)}` }),
      /^A value of this step contains the connection's API key \(in name\)/,
      DEMO_KEY,
    ],
    [
      'new_access_group',
      'the API key as the group type',
      () => ({ type: DEMO_KEY }),
      /^A value of this step contains the connection's API key \(in type\)/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'a display name of 1 MB (before: sent unchecked)',
      () => ({ members: [{ email: 'a@example.org', display_name: long(1_000_000) }] }),
      /^Display Name of line item 1 must be at most 255 characters; it has 1,000,000 \("x{80}… \(1,000,000 characters\)"\)\. Shorten it and try again\.$/,
      DEMO_KEY,
    ],
    [
      'bulk_add_members',
      'a line item of 1 MB text',
      () => ({ members: [long(1_000_000)] }),
      /^Members line item 1 must have an Email; it was "x{80}… \(1,000,000 characters\)"\.$/,
      DEMO_KEY,
    ],
    ['auth', 'empty key', () => ({}), /^No API key was entered\./, ''],
    ['auth', 'whitespace key', () => ({}), /^No API key was entered\./, '   '],
    [
      'auth',
      'a Stripe-looking key',
      () => ({}),
      /^This is not a Sotion API v1 key: those start with "so_"\./,
      'sk_live_123',
    ],
    [
      'auth',
      'legacy Members API key (UUID)',
      () => ({}),
      /^This looks like a key of the legacy Sotion Members API/,
      'd600c2d2-e07e-46b9-b79a-f0376aaa303d',
    ],
    [
      'auth',
      'key with a line break inside',
      () => ({}),
      /^The API key contains spaces or line breaks\./,
      'so_abc\ndef',
    ],
    [
      'bulk_add_members',
      'bad key with valid input',
      () => ({ emails: ['a@example.org'] }),
      /^This is not a Sotion API v1 key/,
      'api_key_123',
    ],
  ];

  it.each(cases)('%s: %s', async (operation, _label, input, expected, key) => {
    figures.badInputCases += 1;
    const before = sandbox().stats.total;
    let message = '';
    try {
      await appTester(operations[operation]!, e2eBundle(input(), {}, key));
    } catch (error) {
      message = messageOf(error);
    }
    expect(message).toMatch(expected);
    expect(sandbox().stats.total).toBe(before);
  });

  it('answers input that is only known to be bad after a look-up with one look-up and no member sent', async () => {
    const site = demoSite(sandbox());
    const scope = groupByName(site, 'Course Students');
    const unknown = '0b7c2e1d-5a4f-4c3b-9e8d-1f2a3b4c5d6e';
    for (const [ids, pattern] of [
      [
        [scope.id],
        /"Course Students" .* is a scope group, managed from a Notion collection; members cannot be added to it through the API\. Choose custom groups only\./,
      ],
      [
        [unknown],
        new RegExp(
          `^Sotion could not find access group ${unknown}\\. .*\\(X-Request-Id: [0-9a-f-]{36}\\)$`,
        ),
      ],
    ] as Array<[string[], RegExp]>) {
      figures.badInputCases += 1;
      sandbox().resetStats();
      let message = '';
      try {
        await appTester(
          bulkAddMembers,
          e2eBundle({ emails: ['someone@example.org'], access_group_ids: ids }),
        );
      } catch (error) {
        message = messageOf(error);
      }
      expect(message).toMatch(pattern);
      expect(sandbox().stats.byRoute).toEqual({ 'GET /access-groups/:id': 1 });
    }
  });

  it('`Name <address>`, quoted local parts and upper-case group ids are read as meant', async () => {
    figures.badInputCases += 1;
    const site = demoSite(sandbox());
    const beta = groupByName(site, 'Beta Testers');
    const result = (await appTester(
      bulkAddMembers,
      e2eBundle({
        emails: ['Ada Byron <ada.byron@example.org>, "Lovelace, Augusta" <augusta@example.org>'],
        members: [{ email: 'Grace Hopper <grace.hopper@example.org>' }],
        access_group_ids: [beta.id.toUpperCase()],
        fail_when: 'never',
      }),
    )) as BulkOutput;
    expect(result.results.map((r) => [r.email, r.source, r.status])).toEqual([
      ['grace.hopper@example.org', 'line item 1', 'created'],
      ['ada.byron@example.org', 'email list entry 1', 'created'],
      ['augusta@example.org', 'email list entry 1', 'created'],
    ]);
    const named = (email: string) => site.members.find((m) => m.email === email);
    expect(named('ada.byron@example.org')?.displayName).toBe('Ada Byron');
    expect(named('augusta@example.org')?.displayName).toBe('Lovelace, Augusta');
    expect(named('grace.hopper@example.org')?.displayName).toBe('Grace Hopper');
    for (const email of ['ada.byron@example.org', 'grace.hopper@example.org']) {
      expect(site.memberships[beta.id]).toContain(named(email)?.id);
    }
    // A quoted local part is one entry (whatever Sotion then says about it), never two.
    const quoted = (await appTester(
      bulkAddMembers,
      e2eBundle({ emails: ['"john doe"@example.org'], fail_when: 'never' }),
    )) as BulkOutput;
    expect(quoted.total).toBe(1);
    expect(quoted.results[0]?.email).toBe('"john doe"@example.org');
    expect(quoted.results[0]?.reason ?? '').toMatch(/^$|[^.]\.$/);
  });

  it('malformed, internationalised and oversized entries are reported one by one; the rest are added', async () => {
    figures.badInputCases += 1;
    const result = (await appTester(
      bulkAddMembers,
      e2eBundle({
        members: [{ email: 'long.name@example.org', display_name: long(255) }, { email: null }],
        emails: [
          'ada@, @example.org, a b@example.org, jürgen@müller.de, 用户@例子.广告, ok@example.org',
        ],
        default_paid: 'false',
        fail_when: 'never',
      }),
    )) as BulkOutput;
    expect(result.results.map((r) => [r.email, r.status])).toEqual([
      ['long.name@example.org', 'created'],
      ['', 'invalid'],
      ['ada@', 'invalid'],
      ['@example.org', 'invalid'],
      ['a', 'invalid'],
      ['b@example.org', 'created'],
      ['jürgen@müller.de', 'created'],
      ['用户@例子.广告', 'created'],
      ['ok@example.org', 'created'],
    ]);
    expect(result.results[2]?.reason).toBe('Not sent: nothing comes after the @.');
    expect(
      demoSite(sandbox()).members.find((m) => m.email === 'long.name@example.org')?.displayName,
    ).toBe(long(255));
  });
});

describe('faults: 429 bursts, 5% 5xx, 2% resets, 2% malformed, slow answers; replays converge', () => {
  const sandbox = useSandbox();

  it.each([11, 23, 37])(
    'seed %i: every valid email a member once, in every group, every input accounted for',
    async (seed) => {
      figures.faultRuns += 1;
      const { origin } = sandbox();
      await fetch(`${origin}/__sandbox/reset`, { method: 'POST', body: '{}' });
      const existing = Array.from({ length: 60 }, (_, i) => `old${seed}-${i}@example.org`);
      await fetch(`${origin}/__sandbox/seed`, {
        method: 'POST',
        body: JSON.stringify({ key: DEMO_KEY, members: existing }),
      });
      await fetch(`${origin}/__sandbox/config`, {
        method: 'POST',
        body: JSON.stringify({
          faults: {
            seed,
            failRate: 0.05,
            resetRate: 0.02,
            malformedRate: 0.02,
            slowRate: 0.01,
            slowMs: 4000,
            throttleBurst: 3,
            throttleResetSeconds: 1,
            latencyMs: 1,
            jitterMs: 4,
          },
        }),
      });
      sandbox().resetStats();
      const site = demoSite(sandbox());
      const groups = [
        groupByName(site, 'Premium Members').id,
        groupByName(site, 'Beta Testers').id,
      ];
      const input = bulkInput(1500, existing);
      let output: BulkOutput | undefined;
      process.env.SOTION_RUN_BUDGET_MS = '12000';
      try {
        for (let run = 0; run < 10 && !output; run += 1) {
          figures.stepRuns += 1;
          try {
            output = (await appTester(
              bulkAddMembers,
              e2eBundle({ emails: input.emails, access_group_ids: groups }),
            )) as BulkOutput;
          } catch (error) {
            const message = messageOf(error);
            expect(message).not.toContain(DEMO_KEY);
            expect(message).toMatch(/Of 1,\d{3} emails: |X-Request-Id/);
          }
        }
        // Create Access Group under the same faults: replays never create a second group.
        for (let i = 0; i < 4; i += 1) {
          figures.stepRuns += 1;
          try {
            await appTester(
              createAccessGroup,
              e2eBundle({ name: `Faulty ${seed}`, if_name_taken: 'return_existing' }),
            );
          } catch (error) {
            expect(messageOf(error)).toMatch(/X-Request-Id/);
          }
        }
      } finally {
        delete process.env.SOTION_RUN_BUDGET_MS;
      }
      const faults = sandbox().stats.faults;
      figures.faultsInjected +=
        faults.fail + faults.reset + faults.malformed + faults.slow + faults.throttle;
      await fetch(`${origin}/__sandbox/config`, {
        method: 'POST',
        body: JSON.stringify({
          faults: { failRate: 0, resetRate: 0, malformedRate: 0, slowRate: 0 },
        }),
      });

      expect(output).toBeDefined();
      expect(output!.results).toHaveLength(input.emails.length);
      expect(output!.failedCount).toBe(0);
      const valid = [...input.fresh, ...existing];
      const lost = valid.filter((email) => {
        const member = site.members.find((m) => m.email === email);
        return !member || !groups.every((g) => (site.memberships[g] ?? []).includes(member.id));
      });
      const emails = site.members.map((m) => m.email);
      const duplicates = emails.length - new Set(emails).size;
      figures.membersLost += lost.length;
      figures.duplicates += duplicates;
      figures.groupsDuplicated += Math.max(
        0,
        site.groups.filter((g) => g.name === `Faulty ${seed}`).length - 1,
      );
      expect(lost).toEqual([]);
      expect(duplicates).toBe(0);
      expect(site.groups.filter((g) => g.name === `Faulty ${seed}`).length).toBeLessThanOrEqual(1);
      for (const g of groups)
        expect(new Set(site.memberships[g]).size).toBe(site.memberships[g]!.length);
    },
  );
});

describe('secrets and isolation', () => {
  const sandbox = useSandbox();

  it('the key appears in no output, error or log line, core HTTP logs included', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    process.env.LOG_TO_STDOUT = 'true';
    process.env.DETAILED_LOG_TO_STDOUT = 'true';
    const outputs: unknown[] = [];
    try {
      outputs.push(await appTester(testAuth, e2eBundle({})));
      outputs.push(await appTester(createAccessGroup, e2eBundle({ name: 'Secret Keepers' })));
      outputs.push(
        await appTester(
          bulkAddMembers,
          e2eBundle({
            emails: ['leak@example.org', 'bad@@x'],
            access_group_ids: [groupByName(demoSite(sandbox()), 'Beta Testers').id],
          }),
        ),
      );
      outputs.push(await appTester(newAccessGroup, e2eBundle({})));
      for (const attempt of [
        () => appTester(createAccessGroup, e2eBundle({ name: 'Premium Members' })),
        () => appTester(createAccessGroup, e2eBundle({ name: `Mapped wrong: ${DEMO_KEY}` })),
        () =>
          appTester(
            bulkAddMembers,
            e2eBundle({ members: [{ email: 'a@example.org', display_name: DEMO_KEY }] }),
          ),
        () => appTester(testAuth, e2eBundle({}, {}, 'so_sandbox_not_a_real_key_999')),
        // Before: upper and mixed case got past the guard, were sent as member emails and came
        // back in invalidEmails, results[].email, the step error and core's log line.
        () =>
          appTester(
            bulkAddMembers,
            e2eBundle({ emails: ['ok@example.org', DEMO_KEY.toUpperCase()] }),
          ),
        () =>
          appTester(
            bulkAddMembers,
            e2eBundle({
              members: [{ email: `${DEMO_KEY.replace('sandbox', 'SANDBOX')}@example.org` }],
            }),
          ),
      ]) {
        try {
          await attempt();
        } catch (error) {
          outputs.push(messageOf(error));
        }
      }
    } finally {
      delete process.env.LOG_TO_STDOUT;
      delete process.env.DETAILED_LOG_TO_STDOUT;
      spy.mockRestore();
    }
    const everything = [...lines, ...outputs.map((o) => JSON.stringify(o))].join('\n');
    // core's HTTP logs were captured (it prints bodies; headers it refuses to print to stdout)
    expect(
      lines.filter((line) => /^(GET|POST) http:\/\/127\.0\.0\.1/.test(line)).length,
    ).toBeGreaterThan(4);
    for (const secret of [DEMO_KEY, 'so_sandbox_not_a_real_key_999'])
      expect(everything.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(everything).toContain(
      "A value of this step contains the connection's API key (in name), so nothing was sent to Sotion",
    );
    expect(everything).toContain('API key (in emails[1]), so nothing was sent to Sotion');
    expect(everything).toContain('API key (in members[0].email), so nothing was sent to Sotion');
    expect(demoSite(sandbox()).members.map((m) => m.email)).not.toContain('ok@example.org');
  });

  it("a key of one site never sees another site's data", async () => {
    const demoGroups = demoSite(sandbox()).groups.map((g) => g.id);
    const other = (await appTester(
      newAccessGroup,
      e2eBundle({}, { isPopulatingDedupe: true }, OTHER_KEY),
    )) as Array<{ id: string }>;
    expect(other.map((g) => g.id).filter((id) => demoGroups.includes(id))).toEqual([]);
    const result = (await appTester(
      bulkAddMembers,
      e2eBundle({ emails: ['ada@example.com'] }, {}, OTHER_KEY),
    )) as BulkOutput;
    expect(result.createdCount).toBe(1); // ada exists on the demo site, not on the other one
  });
});
