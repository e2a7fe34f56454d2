import { OTHER_KEY } from '../../sandbox/store';
import type { Behaviour } from '../../sandbox/decisions';
import { testAuth } from '../../src/zap/authentication';
import { perform as bulkAddMembers } from '../../creates/bulk_add_members';
import { perform as createAccessGroup } from '../../creates/create_access_group';
import { perform as newAccessGroup } from '../../triggers/new_access_group';
import { appTester, messageOf, rejection } from '../tester';
import {
  bulkInput,
  demoSite,
  e2eBundle,
  expectMembersInGroups,
  groupByName,
  http,
  useSandbox,
} from './harness';

jest.setTimeout(120_000);

/** [name, behaviour, members in the bulk test]: the full 1,200 once, smaller runs for the rest. */
const variants: Array<[string, Partial<Behaviour>, number]> = [
  ['default (oldest first, Retry-After, string errors, 201)', {}, 1200],
  [
    'newest first, reset-only 429, object errors, 200',
    { groupOrder: 'newest', throttle: 'reset-only', errorShape: 'object', createStatus: 200 },
    300,
  ],
  ['by name', { groupOrder: 'name' }, 300],
  [
    '204 for a removal of a non-member, 200 login links, membership ids',
    {
      removeNotInGroup: 204,
      loginLinkStatus: 200,
      membershipPayload: 'ids',
    },
    300,
  ],
  ['no createdAt on any group', { groupCreatedAt: 'null' }, 300],
];

describe.each(variants)('every operation against the sandbox: %s', (_name, behaviour, size) => {
  const sandbox = useSandbox({ behaviour });

  it('tests the key and names the connection; a revoked key is refused', async () => {
    expect(await appTester(testAuth, e2eBundle({}))).toMatchObject({
      slug: 'demo-docs',
      connectionLabel: 'Demo Docs',
    });
    const error = await rejection(appTester(testAuth, e2eBundle({}, {}, 'so_sandbox_unknown_key')));
    // (Session auth: core turns the 401 into RefreshAuthError before afterResponse, so Sotion's
    // words and the X-Request-Id do not reach the message.)
    expect(messageOf(error)).toMatch(
      /^Sotion did not accept this API key \(HTTP 401\): it is invalid, revoked, or was rolled to a new value\. Create a key .*shown only once\)\.$/,
    );
  });

  it('creates an access group once, and a replay with "return the existing group" finds it', async () => {
    const first = await appTester(
      createAccessGroup,
      e2eBundle({ name: 'Gumroad Buyers', description: 'From Gumroad sales' }),
    );
    const replay = await appTester(
      createAccessGroup,
      e2eBundle({ name: 'Gumroad Buyers', if_name_taken: 'return_existing' }),
    );
    expect(replay).toEqual({ ...first, alreadyExisted: true });
    const error = await rejection(
      appTester(createAccessGroup, e2eBundle({ name: 'Gumroad Buyers' })),
    );
    expect(messageOf(error)).toMatch(/^An access group named "Gumroad Buyers" already exists/);
    expect(demoSite(sandbox()).groups.filter((g) => g.name === 'Gumroad Buyers')).toHaveLength(1);
  });

  it(`bulk adds ${size} members with duplicates, invalid and existing members into two groups`, async () => {
    const site = demoSite(sandbox());
    const premium = groupByName(site, 'Premium Members');
    const beta = groupByName(site, 'Beta Testers');
    const input = bulkInput(size, ['ada@example.com', 'GRACE@example.com']);
    const result = await appTester(
      bulkAddMembers,
      e2eBundle({
        emails: [input.emails.join('\n')],
        access_group_ids: [premium.id, beta.id],
        default_paid: 'true',
      }),
    );
    expect(result.total).toBe(input.emails.length);
    expect(result.createdCount).toBe(size);
    expect(result.addedToGroupsCount).toBe(2);
    expect(result.duplicateCount).toBe(input.duplicates.length);
    expect(result.invalidCount).toBe(input.invalid.length);
    expect(result.failedCount).toBe(0);
    expect(result.results.map((r) => r.email).sort()).toEqual(
      [
        ...input.fresh,
        'ada@example.com',
        'grace@example.com',
        ...input.duplicates.map((e) => e.toLowerCase()),
        ...input.invalid,
      ].sort(),
    );
    expectMembersInGroups(
      site,
      [...input.fresh, 'ada@example.com', 'grace@example.com'],
      [premium.id, beta.id],
    );
    expect(
      site.members.filter((m) => m.email.startsWith('person')).every((m) => m.paid === true),
    ).toBe(true);
    expect(site.members.some((m) => m.email.startsWith('broken'))).toBe(false);

    // Replaying the same step sends nothing: the run remembered (z.cache, scoped to the
    // connection) whom it confirmed.
    sandbox().resetStats();
    const bundle = e2eBundle({
      emails: [input.emails.join('\n')],
      access_group_ids: [premium.id, beta.id],
      default_paid: 'true',
    });
    const remembered = await appTester(bulkAddMembers, bundle);
    expect(remembered.existingCount).toBe(size + 2);
    expect(remembered.apiRequests).toBe(0);
    expect(sandbox().stats.total).toBe(0);

    // Without that memory it converges too: nobody new, nobody twice, everyone reported as
    // existing. Everyone was created by this step, so the groups' member lists (a page per 100)
    // find them all, instead of a look-up and two adds each.
    const replay = await appTester(bulkAddMembers, bundle, true);
    expect(replay.createdCount).toBe(0);
    expect(replay.existingCount).toBe(size + 2);
    const pages = [premium, beta].reduce(
      (sum, g) => sum + Math.ceil((site.memberships[g.id] ?? []).length / 100),
      0,
    );
    expect(sandbox().stats.byRoute).toEqual({
      'GET /access-groups/:id': 2,
      'POST /members/bulk': Math.ceil((size + 2) / 500),
      'GET /access-groups/:id/members': pages,
    });
    expect(replay.apiRequests).toBe(sandbox().stats.total);
    expectMembersInGroups(
      site,
      [...input.fresh, 'ada@example.com', 'grace@example.com'],
      [premium.id, beta.id],
    );
  });

  it('New Access Group returns the newest groups first, whatever order the sandbox serves', async () => {
    const before = demoSite(sandbox()).groups.length;
    for (let i = 0; i < 230; i += 1) {
      const created = await http(sandbox(), 'POST', '/access-groups', {
        name: `Cohort ${String(i).padStart(3, '0')}`,
      });
      expect(created.status).toBe(sandbox().behaviour.createStatus);
    }
    const polled = await appTester(newAccessGroup, e2eBundle({}));
    if (sandbox().behaviour.groupCreatedAt === 'null') {
      // Which groups are new cannot be known: every group comes back, and Zapier's dedupe (by id)
      // triggers on the new ones. Twenty more created later are all in the next poll.
      expect(polled).toHaveLength(before + 230);
      const seen = new Set(polled.map((g) => g.id));
      for (let i = 0; i < 20; i += 1) {
        await http(sandbox(), 'POST', '/access-groups', { name: `Late ${i}` });
      }
      const next = await appTester(newAccessGroup, e2eBundle({}));
      const fresh = next.filter((g) => !seen.has(g.id)).map((g) => g.name);
      expect(fresh.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `Late ${i}`).sort());
      expect(next).toHaveLength(before + 250);
    } else {
      expect(polled).toHaveLength(100);
      expect(polled[0]?.name).toBe('Cohort 229');
      expect(polled[99]?.name).toBe('Cohort 130');
    }
    const scope = await appTester(newAccessGroup, e2eBundle({ type: 'scope' }));
    expect(scope.map((g) => g.name)).toEqual(['Course Students']);
    const dedupe = await appTester(newAccessGroup, e2eBundle({}, { isPopulatingDedupe: true }));
    expect(dedupe).toHaveLength(demoSite(sandbox()).groups.length);
  });

  it('a key sees only its own site, and a refused step changes neither site', async () => {
    const other = await appTester(newAccessGroup, e2eBundle({}, {}, OTHER_KEY));
    expect(other.map((g) => g.name)).toEqual(['Other Group']);
    const site = demoSite(sandbox());
    const otherSite = sandbox().store.siteForKey(OTHER_KEY)!;
    const state = () =>
      structuredClone([site.members, site.memberships, otherSite.members, otherSite.memberships]);
    const before = state();
    const error = await rejection(
      appTester(
        bulkAddMembers,
        e2eBundle(
          { emails: ['x@example.org'], access_group_ids: [site.groups[0]!.id] },
          {},
          OTHER_KEY,
        ),
      ),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(`^Sotion could not find access group ${site.groups[0]!.id}\\. `),
    );
    expect(state()).toEqual(before);
  });

  it('refuses a scope group before creating anyone', async () => {
    const site = demoSite(sandbox());
    const count = site.members.length;
    const error = await rejection(
      appTester(
        bulkAddMembers,
        e2eBundle({
          emails: ['new-scope@example.org'],
          access_group_ids: [groupByName(site, 'Course Students').id],
        }),
      ),
    );
    expect(messageOf(error)).toMatch(/"Course Students" .* is a scope group/);
    expect(site.members.length).toBe(count);
  });
});
