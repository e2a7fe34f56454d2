import type { SiteData } from '../../sandbox/store';
import { perform as addToGroup } from '../../creates/add_member_to_access_group';
import { perform as blockMember } from '../../creates/block_member';
import { perform as createLoginLink } from '../../creates/create_login_link';
import { perform as createMember } from '../../creates/create_member';
import { perform as removeFromGroup } from '../../creates/remove_member_from_access_group';
import { perform as updateMember } from '../../creates/update_member';
import { perform as findMember } from '../../searches/find_member';
import App from '../../index';
import { appTester } from '../tester';
import { demoSite, e2eBundle, groupByName, useSandbox } from './harness';

/**
 * The two flows users build, step by step as Zapier runs them, against the sandbox, with the
 * sandbox's state checked after each step: a sale (Stripe → Find or Create Member, paid → Add
 * Member to Access Group → Create Login Link) and a cancellation (Remove Member From Access
 * Group → Update Member paid false → Block Member).
 */
describe('flows as users build them', () => {
  const sandbox = useSandbox();
  const site = (): SiteData => demoSite(sandbox());
  const member = (email: string) => site().members.find((m) => m.email === email);
  const groupsOf = (memberId: string) =>
    Object.entries(site().memberships)
      .filter(([, ids]) => ids.includes(memberId))
      .map(([id]) => id);
  const premium = () => groupByName(site(), 'Premium Members').id;
  const requests = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const before = sandbox().stats.total;
    const result = await run();
    return [result, sandbox().stats.total - before];
  };

  /** Find or Create Member as Zapier runs it: the search, then the create when nothing is found. */
  const findOrCreate = async (email: string, createInput: Record<string, unknown>) => {
    const pair = App.searchOrCreates?.find_member;
    expect(pair).toMatchObject({ search: 'find_member', create: 'create_member' });
    const found = await appTester(findMember, e2eBundle({ email }));
    if (found.length > 0) return { member: found[0]!, created: false };
    return {
      member: await appTester(createMember, e2eBundle({ email, ...createInput })),
      created: true,
    };
  };

  it('a sale for a new buyer, a repeat sale, then a cancellation (and its replay)', async () => {
    const email = 'gumroad.buyer@example.org';
    // 1. Find or Create Member: nobody yet, so the create runs (paid).
    const [first, saleRequests] = await requests(() =>
      findOrCreate(email, { display_name: 'Gumroad Buyer', paid: true }),
    );
    expect(first.created).toBe(true);
    expect(saleRequests).toBe(2); // the search's look-up, the create
    expect(member(email)).toMatchObject({
      paid: true,
      status: 'active',
      displayName: 'Gumroad Buyer',
    });

    // 2. Add Member to Access Group, by the id the first step gave.
    const [added, addRequests] = await requests(() =>
      appTester(addToGroup, e2eBundle({ access_group_id: premium(), member: first.member.id })),
    );
    expect(addRequests).toBe(1);
    expect(added.alreadyInGroup).toBe(false);
    expect(groupsOf(first.member.id)).toEqual([premium()]);

    // 3. Create Login Link: a link for the step that emails it, and no email from Sotion.
    const [link, linkRequests] = await requests(() =>
      appTester(createLoginLink, e2eBundle({ member: first.member.id })),
    );
    expect(linkRequests).toBe(1);
    expect(link.url).toMatch(/^https:\/\//);
    expect(link.expiresAt).toEqual(expect.any(String));

    // The same buyer again (a renewal): found, not created; the group add is a success.
    const again = await findOrCreate(email, { paid: true });
    expect(again).toMatchObject({ created: false, member: { id: first.member.id } });
    const repeat = await appTester(
      addToGroup,
      e2eBundle({ access_group_id: premium(), member: email }),
    );
    expect(repeat.alreadyInGroup).toBe(true);
    expect(site().members.filter((m) => m.email === email)).toHaveLength(1);

    // Cancellation, twice (a replayed Zap run must not fail because access is already gone).
    for (const run of [1, 2]) {
      const removed = await appTester(
        removeFromGroup,
        e2eBundle({ access_group_id: premium(), member: email }),
      );
      expect(removed.removed).toBe(run === 1);
      const unpaid = await appTester(updateMember, e2eBundle({ member: email, paid: false }));
      expect(unpaid.paid).toBe(false);
      const blocked = await appTester(blockMember, e2eBundle({ member: email }));
      expect(blocked.changed).toBe(run === 1);
      expect(member(email)).toMatchObject({ paid: false, status: 'blocked' });
      expect(groupsOf(first.member.id)).toEqual([]);
    }
  });
});
