import type { Behaviour } from '../../sandbox/decisions';
import type { SiteData } from '../../sandbox/store';
import { perform as setGroups } from '../../creates/set_member_access_groups';
import { appTester, messageOf, rejection } from '../tester';
import { demoSite, e2eBundle, groupByName, http, useSandbox } from './harness';

/**
 * Set Member's Access Groups against the sandbox over real HTTP, under each answer Sotion might
 * give where its docs are silent: removing a member who is not in the group (404 or 204), and a
 * create's status (201 or 200). After each step the sandbox's own state is checked, and the
 * requests it saw, by route.
 */
jest.setTimeout(60_000);

const variants: Array<[string, Partial<Behaviour>]> = [
  ['404 for a non-member, 201 creates', { removeNotInGroup: 404, createStatus: 201 }],
  ['204 for a non-member, 200 creates', { removeNotInGroup: 204, createStatus: 200 }],
  [
    '404 for a non-member, 200 creates, groups newest first',
    { removeNotInGroup: 404, createStatus: 200, groupOrder: 'newest' },
  ],
];

describe.each(variants)(
  "Set Member's Access Groups against the sandbox: %s",
  (_name, behaviour) => {
    const sandbox = useSandbox({ behaviour });
    const site = (): SiteData => demoSite(sandbox());
    const memberByEmail = (email: string) => site().members.find((m) => m.email === email);
    const groupsOf = (memberId: string) =>
      site()
        .groups.filter((g) => (site().memberships[g.id] ?? []).includes(memberId))
        .map((g) => g.name)
        .sort();
    const id = (name: string) => groupByName(site(), name).id;
    const plans = () => ['Silver Plan', 'Gold Plan', 'Bronze Plan'].map(id);

    /** Runs a step and checks the requests the sandbox saw, by route. */
    const counted = async <T>(routes: Record<string, number>, run: () => Promise<T>) => {
      sandbox().resetStats();
      const result = await run();
      expect(sandbox().stats.byRoute).toEqual(routes);
      return result;
    };
    const run = (input: Record<string, unknown>) => appTester(setGroups, e2eBundle(input));

    beforeAll(async () => {
      for (const name of ['Silver Plan', 'Gold Plan', 'Bronze Plan']) {
        expect((await http(sandbox(), 'POST', '/access-groups', { name })).status).toBe(
          behaviour.createStatus ?? 201,
        );
      }
      const made = await http(sandbox(), 'POST', '/members', {
        email: 'plan@example.org',
        paid: true,
        accessGroupIds: [id('Silver Plan'), id('Premium Members')],
      });
      expect(made.status).toBe(behaviour.createStatus ?? 201);
    });

    it('changes the plan Silver → Gold, and a repeat changes nothing', async () => {
      const planMember = memberByEmail('plan@example.org')!;
      const change = await counted(
        {
          'GET /members?email': 1,
          'GET /members/:id': 1,
          'POST /access-groups/:id/members': 1,
          'DELETE /access-groups/:id/members/:id': 1,
        },
        () =>
          run({
            member: 'Plan@Example.org',
            access_group_ids: [id('Gold Plan')],
            managed_access_group_ids: plans(),
          }),
      );
      expect(change).toMatchObject({
        id: planMember.id,
        addedNames: ['Gold Plan'],
        removedNames: ['Silver Plan'],
        keptNames: [],
        changed: true,
        memberCreated: false,
        paidChanged: false,
      });
      expect(change.accessGroupNames.sort()).toEqual(['Gold Plan', 'Premium Members']);
      expect(groupsOf(planMember.id)).toEqual(['Gold Plan', 'Premium Members']);

      const repeat = await counted({ 'GET /members/:id': 1 }, () =>
        run({
          member: planMember.id,
          access_group_ids: [id('Gold Plan')],
          managed_access_group_ids: plans(),
        }),
      );
      expect(repeat).toMatchObject({
        addedIds: [],
        removedIds: [],
        keptNames: ['Gold Plan'],
        changed: false,
      });
      expect(groupsOf(planMember.id)).toEqual(['Gold Plan', 'Premium Members']);
    });

    it('cancels with an empty list (and Paid off), and a repeat changes nothing', async () => {
      const planMember = memberByEmail('plan@example.org')!;
      const cancel = await counted(
        {
          'GET /members/:id': 1,
          'DELETE /access-groups/:id/members/:id': 1,
          'PATCH /members/:id': 1,
        },
        () =>
          run({
            member: planMember.id,
            access_group_ids: [],
            managed_access_group_ids: plans(),
            paid: 'false',
          }),
      );
      expect(cancel).toMatchObject({
        removedNames: ['Gold Plan'],
        accessGroupNames: ['Premium Members'],
        paid: false,
        paidChanged: true,
        changed: true,
      });
      expect(groupsOf(planMember.id)).toEqual(['Premium Members']);
      expect(memberByEmail('plan@example.org')!.paid).toBe(false);

      const repeat = await counted({ 'GET /members/:id': 1 }, () =>
        run({
          member: planMember.id,
          access_group_ids: [],
          managed_access_group_ids: plans(),
          paid: 'false',
        }),
      );
      expect([repeat.changed, repeat.removedIds, repeat.paidChanged]).toEqual([false, [], false]);
      expect(groupsOf(planMember.id)).toEqual(['Premium Members']);
    });

    it('with "create", a new buyer is made already in the plan, in one POST', async () => {
      const made = await counted({ 'GET /members?email': 1, 'POST /members': 1 }, () =>
        run({
          member: 'buyer@example.org',
          access_group_ids: [id('Gold Plan')],
          managed_access_group_ids: plans(),
          if_member_missing: 'create',
          paid: 'true',
        }),
      );
      expect(made).toMatchObject({
        email: 'buyer@example.org',
        paid: true,
        addedNames: ['Gold Plan'],
        memberCreated: true,
        changed: true,
      });
      expect(groupsOf(memberByEmail('buyer@example.org')!.id)).toEqual(['Gold Plan']);

      const again = await counted({ 'GET /members?email': 1, 'GET /members/:id': 1 }, () =>
        run({
          member: 'buyer@example.org',
          access_group_ids: [id('Gold Plan')],
          managed_access_group_ids: plans(),
          if_member_missing: 'create',
          paid: 'true',
        }),
      );
      expect([again.memberCreated, again.changed, again.keptNames]).toEqual([
        false,
        false,
        ['Gold Plan'],
      ]);
      expect(site().members.filter((m) => m.email === 'buyer@example.org')).toHaveLength(1);
    });

    it('Managed Access Groups empty manages every custom group and leaves scope groups', async () => {
      const grace = memberByEmail('grace@example.com')!;
      expect(groupsOf(grace.id)).toEqual(['Course Students']);
      await run({ member: grace.id, access_group_ids: [id('Beta Testers')] });
      const moved = await counted(
        {
          'GET /members/:id': 1,
          'POST /access-groups/:id/members': 1,
          'DELETE /access-groups/:id/members/:id': 1,
        },
        () => run({ member: grace.id, access_group_ids: [id('Silver Plan')] }),
      );
      expect([moved.addedNames, moved.removedNames]).toEqual([['Silver Plan'], ['Beta Testers']]);
      expect(groupsOf(grace.id)).toEqual(['Course Students', 'Silver Plan']);
    });

    it('a scope group or an unknown group stops the step before any write', async () => {
      const ada = memberByEmail('ada@example.com')!;
      const before = groupsOf(ada.id);
      const scoped = await counted({ 'GET /members/:id': 1, 'GET /access-groups': 1 }, () =>
        rejection(
          run({ member: ada.id, access_group_ids: [id('Gold Plan'), id('Course Students')] }),
        ),
      );
      expect(messageOf(scoped)).toMatch(
        /^Access Groups includes "Course Students" .*a scope group/,
      );
      const unknown = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';
      const missing = await counted({ 'GET /members/:id': 1, 'GET /access-groups': 1 }, () =>
        rejection(run({ member: ada.id, access_group_ids: [id('Gold Plan'), unknown] })),
      );
      expect(messageOf(missing)).toMatch(
        new RegExp(`^Access Groups includes ${unknown}, but this site has no access group`),
      );
      // One new group is checked by its own add: Sotion refuses it, and nothing has changed.
      const single = await counted(
        { 'GET /members/:id': 1, 'POST /access-groups/:id/members': 1 },
        () => rejection(run({ member: ada.id, access_group_ids: [id('Course Students')] })),
      );
      expect(messageOf(single)).toMatch(/is a scope group .*read-only via the API/);
      expect(groupsOf(ada.id)).toEqual(before);
    });

    it('two runs at once for one member: one adds, the other keeps; nothing is claimed twice', async () => {
      const made = await http(sandbox(), 'POST', '/members', {
        email: 'twice@example.org',
        accessGroupIds: [id('Bronze Plan')],
      });
      const memberId = (made.json as { data: { id: string } }).data.id;
      const input = {
        member: memberId,
        access_group_ids: [id('Gold Plan')],
        managed_access_group_ids: plans(),
      };
      const results = await Promise.all([run(input), run(input)]);
      expect(results.flatMap((r) => r.addedNames)).toEqual(['Gold Plan']);
      const removed = results.flatMap((r) => r.removedNames);
      if (behaviour.removeNotInGroup === 204) {
        // A 204 for a member no longer in the group cannot be told from a removal.
        expect(removed.length).toBeGreaterThanOrEqual(1);
        expect(new Set(removed)).toEqual(new Set(['Bronze Plan']));
      } else {
        expect(removed).toEqual(['Bronze Plan']);
      }
      for (const r of results) expect(r.accessGroupNames).toEqual(['Gold Plan']);
      expect(groupsOf(memberId)).toEqual(['Gold Plan']);
      expect(site().memberships[id('Gold Plan')]!.filter((m) => m === memberId)).toHaveLength(1);
    });
  },
);
