import type { Behaviour } from '../../sandbox/decisions';
import { perform as createAccessGroup } from '../../creates/create_access_group';
import { perform as createMember } from '../../creates/create_member';
import { perform as deleteAccessGroup } from '../../creates/delete_access_group';
import { perform as updateAccessGroup } from '../../creates/update_access_group';
import { perform as findAccessGroup } from '../../searches/find_access_group';
import { perform as findMember } from '../../searches/find_member';
import { perform as memberChoices } from '../../triggers/member_choices';
import { perform as newMember } from '../../triggers/new_member';
import { makeMember } from '../../sandbox/store';
import { cursorStore, mockCursorRpc } from '../cursor-rpc';
import { appTester, messageOf, rejection } from '../tester';
import { demoSite, e2eBundle, groupByName, http, useSandbox } from './harness';

jest.setTimeout(60_000);

const variants: Array<[string, Partial<Behaviour>]> = [
  ['default (oldest first, string errors, 201)', {}],
  [
    'newest first, object errors, 200',
    { groupOrder: 'newest', errorShape: 'object', createStatus: 200 },
  ],
  ['by name, null group timestamps', { groupOrder: 'name', groupCreatedAt: 'null' }],
];

describe.each(variants)('access groups, searches and member triggers: %s', (_name, behaviour) => {
  const sandbox = useSandbox({ behaviour });
  const site = () => demoSite(sandbox());

  /** Runs a step and returns its result with the number of API requests it made. */
  const counted = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const before = sandbox().stats.total;
    const result = await run();
    return [result, sandbox().stats.total - before];
  };

  afterEach(() => {
    delete process.env.ZAPIER_DEPLOY_KEY;
    cursorStore.clear();
  });

  it('Update Access Group renames, replaces and clears; a taken name names its holder', async () => {
    const beta = groupByName(site(), 'Beta Testers');
    const [renamed, requests] = await counted(() =>
      appTester(
        updateAccessGroup,
        e2eBundle({ access_group_id: beta.id, name: 'Beta Readers', description: 'Early access' }),
      ),
    );
    expect(requests).toBe(1);
    expect(renamed).toMatchObject({
      id: beta.id,
      name: 'Beta Readers',
      description: 'Early access',
    });
    expect(groupByName(site(), 'Beta Readers')).toMatchObject({ description: 'Early access' });

    await appTester(
      updateAccessGroup,
      e2eBundle({ access_group_id: beta.id, clear_description: true }),
    );
    expect(groupByName(site(), 'Beta Readers').description).toBeNull();

    const premium = groupByName(site(), 'Premium Members');
    const [error, conflictRequests] = await counted(() =>
      rejection(
        appTester(
          updateAccessGroup,
          e2eBundle({ access_group_id: beta.id, name: 'premium members' }),
        ),
      ),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(
        `^Access group ${beta.id} was not renamed to "premium members": access group "Premium ` +
          `Members" \\(ID ${premium.id}\\) already has it\\..*\\(X-Request-Id: [0-9a-f-]{36}\\)$`,
      ),
    );
    expect(conflictRequests).toBe(2);
    expect(groupByName(site(), 'Beta Readers').id).toBe(beta.id);

    const course = groupByName(site(), 'Course Students');
    const scope = await rejection(
      appTester(updateAccessGroup, e2eBundle({ access_group_id: course.id, name: 'Students' })),
    );
    expect(messageOf(scope)).toMatch(/is a scope group .*read-only via the API/);
    expect(groupByName(site(), 'Course Students').id).toBe(course.id);
  });

  it('Delete Access Group keeps the members; a second delete errors or succeeds as chosen', async () => {
    const created = await http(sandbox(), 'POST', '/access-groups', { name: 'Refunded' });
    const groupId = (created.json as { data: { id: string } }).data.id;
    const ada = site().members.find((m) => m.email === 'ada@example.com')!;
    await http(sandbox(), 'POST', `/access-groups/${groupId}/members`, { memberId: ada.id });

    const [result, requests] = await counted(() =>
      appTester(deleteAccessGroup, e2eBundle({ access_group_id: groupId })),
    );
    expect([result, requests]).toEqual([{ id: groupId, deleted: true }, 1]);
    expect(site().groups.some((g) => g.id === groupId)).toBe(false);
    expect(site().members.some((m) => m.id === ada.id)).toBe(true);

    const again = await rejection(
      appTester(deleteAccessGroup, e2eBundle({ access_group_id: groupId })),
    );
    expect(messageOf(again)).toMatch(new RegExp(`^Sotion has no access group ${groupId} \\(404`));
    expect(
      await appTester(
        deleteAccessGroup,
        e2eBundle({ access_group_id: groupId, if_not_found: 'succeed' }),
      ),
    ).toEqual({ id: groupId, deleted: false });
  });

  it('Find Member by email, ID and search text, with groups and filters', async () => {
    const ada = site().members.find((m) => m.email === 'ada@example.com')!;
    const [byEmail, emailRequests] = await counted(() =>
      appTester(findMember, e2eBundle({ email: 'ADA@example.com' })),
    );
    expect(emailRequests).toBe(2);
    expect(byEmail).toEqual([
      expect.objectContaining({
        id: ada.id,
        email: 'ada@example.com',
        paid: true,
        accessGroupNames: ['Premium Members'],
      }),
    ]);

    const [byId, idRequests] = await counted(() =>
      appTester(findMember, e2eBundle({ member_id: ada.id })),
    );
    expect([byId, idRequests]).toEqual([byEmail, 1]);

    const [lean, leanRequests] = await counted(() =>
      appTester(findMember, e2eBundle({ q: 'hopper', include_access_groups: false })),
    );
    expect(leanRequests).toBe(1);
    expect(lean.map((m) => m.email)).toEqual(['grace@example.com']);

    expect(
      (await appTester(findMember, e2eBundle({ q: 'alan', status: 'blocked' })))[0]?.email,
    ).toBe('alan@example.com');
    expect(await appTester(findMember, e2eBundle({ q: 'grace', paid: true }))).toEqual([]);
    const [missing, missingRequests] = await counted(() =>
      appTester(findMember, e2eBundle({ email: 'nobody@example.com' })),
    );
    expect([missing, missingRequests]).toEqual([[], 1]);
    expect(
      await appTester(findMember, e2eBundle({ member_id: '00000000-0000-4000-8000-000000000000' })),
    ).toEqual([]);
  });

  it('Find Access Group by exact or case-insensitive name, with a type filter', async () => {
    const premium = groupByName(site(), 'Premium Members');
    const [found, requests] = await counted(() =>
      appTester(findAccessGroup, e2eBundle({ name: 'premium MEMBERS' })),
    );
    expect(found.map((g) => g.id)).toEqual([premium.id]);
    expect(requests).toBe(1);
    expect(
      (await appTester(findAccessGroup, e2eBundle({ name: 'Course Students', type: 'scope' })))
        .length,
    ).toBe(1);
    expect(
      await appTester(findAccessGroup, e2eBundle({ name: 'Course Students', type: 'custom' })),
    ).toEqual([]);
  });

  it('Find or Create Access Group: nothing found, created once, then found', async () => {
    expect(await appTester(findAccessGroup, e2eBundle({ name: 'Lemon Squeezy Buyers' }))).toEqual(
      [],
    );
    const created = await appTester(createAccessGroup, e2eBundle({ name: 'Lemon Squeezy Buyers' }));
    const found = await appTester(findAccessGroup, e2eBundle({ name: 'Lemon Squeezy Buyers' }));
    expect(found).toEqual([
      expect.objectContaining({ id: created.id, name: 'Lemon Squeezy Buyers' }),
    ]);
    expect(site().groups.filter((g) => g.name === 'Lemon Squeezy Buyers')).toHaveLength(1);
  });

  it('Find or Create Member: nobody found, created once, then found with its groups', async () => {
    const email = 'buyer@example.org';
    expect(await appTester(findMember, e2eBundle({ email }))).toEqual([]);
    const created = await appTester(createMember, e2eBundle({ email, paid: true }));
    const [found] = await appTester(findMember, e2eBundle({ email: 'Buyer@Example.org' }));
    expect(found).toMatchObject({ id: created.id, email, paid: true, accessGroupIds: [] });
    expect(site().members.filter((m) => m.email === email)).toHaveLength(1);
  });

  it('New Member: one request a poll, newest first; member dropdown pages with Load more', async () => {
    for (const email of ['first@example.org', 'second@example.org', 'third@example.org']) {
      await http(sandbox(), 'POST', '/members', { email });
    }
    const [polled, requests] = await counted(() => appTester(newMember, e2eBundle({})));
    expect(requests).toBe(1);
    expect(polled.slice(0, 3).map((m) => m.email)).toEqual([
      'third@example.org',
      'second@example.org',
      'first@example.org',
    ]);
    expect(polled.map((m) => m.id).sort()).toEqual(
      site()
        .members.map((m) => m.id)
        .sort(),
    );
    const sample = await appTester(newMember, e2eBundle({}, { isLoadingSample: true }));
    expect(sample.map((m) => m.email)).toEqual(polled.slice(0, 3).map((m) => m.email));

    mockCursorRpc();
    for (let i = 0; i < 120; i += 1) site().members.push(makeMember(`bulk${i}@example.org`));
    const first = await appTester(memberChoices, e2eBundle({}, { page: 0 }));
    const second = await appTester(memberChoices, e2eBundle({}, { page: 1 }));
    const third = await appTester(memberChoices, e2eBundle({}, { page: 2 }));
    expect(first).toHaveLength(100);
    expect(third).toEqual([]);
    expect([...first, ...second].map((m) => m.id).sort()).toEqual(
      site()
        .members.map((m) => m.id)
        .sort(),
    );
  });
});
