import type { Behaviour } from '../../sandbox/decisions';
import type { SiteData } from '../../sandbox/store';
import { perform as addToGroup } from '../../creates/add_member_to_access_group';
import { perform as blockMember } from '../../creates/block_member';
import { perform as createLoginLink } from '../../creates/create_login_link';
import { perform as createMember } from '../../creates/create_member';
import { perform as deleteMember } from '../../creates/delete_member';
import { perform as removeFromGroup, REASONS } from '../../creates/remove_member_from_access_group';
import { perform as sendLoginLink } from '../../creates/send_login_link';
import { perform as unblockMember } from '../../creates/unblock_member';
import { perform as updateMember } from '../../creates/update_member';
import { appTester, messageOf, rejection } from '../tester';
import { OTHER_KEY } from '../../sandbox/store';
import { demoSite, e2eBundle, groupByName, useSandbox } from './harness';
import { useFastClock } from '../fast-clock';

// The login links' own pacing (a slot every 1.2 s, 50 a minute) and Retry-After waits are waited
// out on a clock that skips the waiting (test/fast-clock.ts): the same waits, without the wait.
useFastClock();

/**
 * Every member step against the sandbox over real HTTP, under both answers Sotion might give
 * where its docs are silent (404 or 204 for removing a non-member; 201 or 200 for login links).
 * Each step's requests are counted (the README's operations table quotes them) and asserted, so
 * a step that starts making more requests fails here.
 */
jest.setTimeout(60_000);

const variants: Array<[string, Partial<Behaviour>]> = [
  ['404 for a non-member, 201 login links', { removeNotInGroup: 404, loginLinkStatus: 201 }],
  ['204 for a non-member, 200 login links', { removeNotInGroup: 204, loginLinkStatus: 200 }],
];

/** operation → path → requests, from the first variant (printed once at the end). */
const measured: Array<[string, string, number]> = [];
afterAll(() => {
  console.log(
    'member steps, requests per path (sandbox):\n' +
      measured.map(([op, path, n]) => `| ${op} | ${path} | ${n} |`).join('\n'),
  );
});

describe.each(variants)('member steps against the sandbox: %s', (name, behaviour) => {
  const sandbox = useSandbox({ behaviour });
  const site = (): SiteData => demoSite(sandbox());
  const memberByEmail = (email: string) => site().members.find((m) => m.email === email);
  const groupsOf = (memberId: string) =>
    Object.entries(site().memberships)
      .filter(([, ids]) => ids.includes(memberId))
      .map(([id]) => id)
      .sort();
  const premium = () => groupByName(site(), 'Premium Members').id;
  const beta = () => groupByName(site(), 'Beta Testers').id;
  const scope = () => groupByName(site(), 'Course Students').id;

  /** Runs a step, checks how many requests it made, and records the figure. */
  const counted = async <T>(op: string, path: string, expected: number, run: () => Promise<T>) => {
    const before = sandbox().stats.total;
    const result = await run();
    const made = sandbox().stats.total - before;
    expect([op, path, made]).toEqual([op, path, expected]);
    if (name === variants[0]![0]) measured.push([op, path, made]);
    return result;
  };
  const refused = async (op: string, run: () => Promise<unknown>) => {
    const before = sandbox().stats.total;
    const error = await rejection(run());
    expect([op, sandbox().stats.total - before]).toEqual([op, 0]);
    return messageOf(error);
  };

  it('create_member: new, then each "If the Email Exists" choice, with the sandbox state', async () => {
    const email = 'buyer1@example.org';
    const created = await counted('Create Member', 'new member (any choice)', 1, () =>
      appTester(
        createMember,
        e2eBundle({ email: 'Buyer1@Example.org', paid: true, access_group_ids: [premium()] }),
      ),
    );
    expect(created).toMatchObject({ email, paid: true, alreadyExisted: false });
    expect(groupsOf(created.id)).toEqual([premium()]);

    const error = await counted('Create Member', 'email exists, "error"', 1, () =>
      rejection(appTester(createMember, e2eBundle({ email }))),
    );
    expect(messageOf(error)).toMatch(/^A member with the email buyer1@example.org already exists/);

    const existing = await counted('Create Member', 'email exists, "return_existing"', 3, () =>
      appTester(createMember, e2eBundle({ email, if_email_exists: 'return_existing' })),
    );
    expect(existing).toMatchObject({ id: created.id, alreadyExisted: true, updated: false });
    expect(existing.accessGroupIds).toEqual([premium()]);

    // A cancelled buyer (blocked, unpaid) pays again: one step restores everything.
    const record = memberByEmail(email)!;
    record.status = 'blocked';
    record.paid = false;
    const restored = await counted(
      'Create Member',
      'email exists, "update": changes and one new group',
      4,
      () =>
        appTester(
          createMember,
          e2eBundle({
            email,
            if_email_exists: 'update',
            paid: true,
            unblock: true,
            access_group_ids: [premium(), beta()],
          }),
        ),
    );
    expect(restored).toMatchObject({
      alreadyExisted: true,
      updated: true,
      groupsAdded: [beta()],
      groupsAddedNames: ['Beta Testers'],
      status: 'active',
      paid: true,
    });
    expect(memberByEmail(email)).toMatchObject({ status: 'active', paid: true });
    expect(groupsOf(created.id)).toEqual([premium(), beta()].sort());

    const unchanged = await counted(
      'Create Member',
      'email exists, "update": nothing to change, no groups',
      3,
      () => appTester(createMember, e2eBundle({ email, if_email_exists: 'update', paid: true })),
    );
    expect([unchanged.updated, unchanged.groupsAdded]).toEqual([false, []]);

    const scopeError = await rejection(
      appTester(createMember, e2eBundle({ email: 'x1@example.org', access_group_ids: scope() })),
    );
    expect(messageOf(scopeError)).toMatch(/^One of the chosen access groups is a scope group/);
    expect(memberByEmail('x1@example.org')).toBeUndefined();

    await counted('Create Member', 'new member, "Send Login Link Email" on', 2, () =>
      appTester(createMember, e2eBundle({ email: 'buyer2@example.org', send_login_link: true })),
    );
    const buyer2 = memberByEmail('buyer2@example.org')!;
    expect(site().loginLinks.filter((l) => l.memberId === buyer2.id)).toHaveLength(1);
    expect(await refused('Create Member', () => appTester(createMember, e2eBundle({})))).toMatch(
      /^Email is required/,
    );
  });

  it('update_member: only the fields given change; clearing is explicit; a taken email names it', async () => {
    await appTester(createMember, e2eBundle({ email: 'upd@example.org', display_name: 'Up' }));
    const id = memberByEmail('upd@example.org')!.id;
    const byEmail = await counted('Update Member', 'by email', 2, () =>
      appTester(
        updateMember,
        e2eBundle({ member: 'upd@example.org', new_email: 'upd2@example.org', paid: true }),
      ),
    );
    expect(byEmail).toMatchObject({ id, email: 'upd2@example.org', displayName: 'Up', paid: true });
    await counted('Update Member', 'by id', 1, () =>
      appTester(
        updateMember,
        e2eBundle({ member: id, clear_display_name: true, status: 'blocked' }),
      ),
    );
    expect(site().members.find((m) => m.id === id)).toMatchObject({
      email: 'upd2@example.org',
      displayName: null,
      paid: true,
      status: 'blocked',
    });
    const taken = await rejection(
      appTester(updateMember, e2eBundle({ member: id, new_email: 'ada@example.com' })),
    );
    expect(messageOf(taken)).toMatch(
      /^Another member already has the email ada@example.com \(Sotion answered 409 Conflict\)/,
    );
    expect(site().members.find((m) => m.id === id)!.email).toBe('upd2@example.org');
    expect(
      await refused('Update Member', () => appTester(updateMember, e2eBundle({ member: id }))),
    ).toMatch(/^Nothing to update/);
  });

  it('block_member and unblock_member: a second run changes nothing', async () => {
    await appTester(createMember, e2eBundle({ email: 'blk@example.org' }));
    const first = await counted('Block Member', 'by email, active', 2, () =>
      appTester(blockMember, e2eBundle({ member: 'blk@example.org' })),
    );
    expect([first.status, first.changed]).toEqual(['blocked', true]);
    expect(memberByEmail('blk@example.org')!.status).toBe('blocked');
    const again = await counted('Block Member', 'by email, already blocked', 2, () =>
      appTester(blockMember, e2eBundle({ member: 'blk@example.org' })),
    );
    expect([again.status, again.changed]).toEqual(['blocked', false]);
    const id = first.id;
    const unblocked = await counted('Unblock Member', 'by id, blocked', 2, () =>
      appTester(unblockMember, e2eBundle({ member: id })),
    );
    expect([unblocked.status, unblocked.changed]).toEqual(['active', true]);
    await counted('Unblock Member', 'by id, already active', 1, () =>
      appTester(unblockMember, e2eBundle({ member: id })),
    );
    expect(memberByEmail('blk@example.org')!.status).toBe('active');
  });

  it('delete_member: permanent, memberships gone; "If Not Found" decides a replay', async () => {
    const made = await appTester(
      createMember,
      e2eBundle({ email: 'del@example.org', access_group_ids: [premium()] }),
    );
    const deleted = await counted('Delete Member', 'by email', 2, () =>
      appTester(deleteMember, e2eBundle({ member: 'del@example.org' })),
    );
    expect(deleted).toEqual({ id: made.id, email: 'del@example.org', deleted: true });
    expect(memberByEmail('del@example.org')).toBeUndefined();
    expect(groupsOf(made.id)).toEqual([]);
    const replay = await counted('Delete Member', 'by id, not found, "succeed"', 1, () =>
      appTester(deleteMember, e2eBundle({ member: made.id, if_not_found: 'succeed' })),
    );
    expect(replay.deleted).toBe(false);
    const error = await rejection(appTester(deleteMember, e2eBundle({ member: made.id })));
    expect(messageOf(error)).toMatch(
      /^No member with the ID .* set "If Not Found" to "Succeed with Deleted: false"/,
    );
  });

  it('add_member_to_access_group: by id, by email, already in, create, scope group', async () => {
    const made = await appTester(createMember, e2eBundle({ email: 'add@example.org' }));
    const byId = await counted('Add Member to Access Group', 'by id', 1, () =>
      appTester(addToGroup, e2eBundle({ access_group_id: premium(), member: made.id })),
    );
    expect([byId.alreadyInGroup, byId.accessGroupNames]).toEqual([false, ['Premium Members']]);
    await counted('Add Member to Access Group', 'by email', 2, () =>
      appTester(addToGroup, e2eBundle({ access_group_id: beta(), member: 'add@example.org' })),
    );
    const again = await counted(
      'Add Member to Access Group',
      'by id, already in the group',
      2,
      () => appTester(addToGroup, e2eBundle({ access_group_id: beta(), member: made.id })),
    );
    expect(again.alreadyInGroup).toBe(true);
    const againByEmail = await counted(
      'Add Member to Access Group',
      'by email, already in the group',
      2,
      () =>
        appTester(addToGroup, e2eBundle({ access_group_id: beta(), member: 'add@example.org' })),
    );
    expect([againByEmail.id, againByEmail.alreadyInGroup]).toEqual([made.id, true]);
    expect(againByEmail.accessGroupIds).toEqual([beta()]);
    expect(groupsOf(made.id)).toEqual([premium(), beta()].sort());
    expect(site().memberships[beta()]!.filter((id) => id === made.id)).toHaveLength(1);

    const created = await counted(
      'Add Member to Access Group',
      'by email, no such member, "create"',
      2,
      () =>
        appTester(
          addToGroup,
          e2eBundle({
            access_group_id: beta(),
            member: 'fresh@example.org',
            if_member_missing: 'create',
            paid: true,
          }),
        ),
    );
    expect([created.memberCreated, created.paid]).toEqual([true, true]);
    expect(groupsOf(memberByEmail('fresh@example.org')!.id)).toEqual([beta()]);
    const missing = await rejection(
      appTester(addToGroup, e2eBundle({ access_group_id: beta(), member: 'nobody@example.org' })),
    );
    expect(messageOf(missing)).toMatch(/^No member with the email nobody@example.org/);
    const stranger = '7d1e3c2b-0a9f-4e8d-b7c6-5a4f3e2d1c0b';
    const unknown = await rejection(
      appTester(addToGroup, e2eBundle({ access_group_id: beta(), member: stranger })),
    );
    expect(messageOf(unknown)).toMatch(new RegExp(`^Sotion could not find member ${stranger}\\. `));
    const scoped = await rejection(
      appTester(addToGroup, e2eBundle({ access_group_id: scope(), member: made.id })),
    );
    expect(messageOf(scoped)).toMatch(/is a scope group .*read-only via the API/);
  });

  it('remove_member_from_access_group: removed: true only when it was in the group, under both answers', async () => {
    const made = await appTester(
      createMember,
      e2eBundle({ email: 'rm@example.org', access_group_ids: [premium(), beta()] }),
    );
    const removed = await counted('Remove Member From Access Group', 'by id, in the group', 2, () =>
      appTester(removeFromGroup, e2eBundle({ access_group_id: premium(), member: made.id })),
    );
    expect(removed).toMatchObject({ removed: true, reason: null });
    expect(groupsOf(made.id)).toEqual([beta()]);
    expect(memberByEmail('rm@example.org')).toBeDefined();

    // A second run: whether Sotion would answer 404 or 204, the step says it was not in the group.
    const again = await counted(
      'Remove Member From Access Group',
      'by id, not in the group',
      2,
      () => appTester(removeFromGroup, e2eBundle({ access_group_id: premium(), member: made.id })),
    );
    expect(again).toMatchObject({ removed: false, reason: REASONS.notInGroup });
    await counted('Remove Member From Access Group', 'by email, not in the group', 3, () =>
      appTester(
        removeFromGroup,
        e2eBundle({ access_group_id: premium(), member: 'rm@example.org' }),
      ),
    );
    const byEmail = await counted(
      'Remove Member From Access Group',
      'by email, in the group',
      3,
      () =>
        appTester(
          removeFromGroup,
          e2eBundle({ access_group_id: beta(), member: 'rm@example.org' }),
        ),
    );
    expect(byEmail.removed).toBe(true);
    expect(groupsOf(made.id)).toEqual([]);
    const nobody = await counted(
      'Remove Member From Access Group',
      'by email, no such member',
      1,
      () =>
        appTester(
          removeFromGroup,
          e2eBundle({ access_group_id: beta(), member: 'nobody@example.org' }),
        ),
    );
    expect(nobody).toMatchObject({ removed: false, reason: REASONS.noSuchEmail });

    // A random UUID, another site's member, and the group's own ID: never "removed".
    const other = sandbox().store.siteForKey(OTHER_KEY)!.members[0]!.id;
    for (const stranger of ['7d1e3c2b-0a9f-4e8d-b7c6-5a4f3e2d1c0b', other]) {
      const error = await counted(
        'Remove Member From Access Group',
        'by id, no such member',
        1,
        () =>
          rejection(
            appTester(removeFromGroup, e2eBundle({ access_group_id: beta(), member: stranger })),
          ),
      );
      expect(messageOf(error)).toMatch(new RegExp(`^No member with the ID ${stranger} `));
    }
    const itself = await refused('Remove Member From Access Group', () =>
      appTester(removeFromGroup, e2eBundle({ access_group_id: beta(), member: beta() })),
    );
    expect(itself).toMatch(/^Member holds the ID of the access group/);
  });

  it('send_login_link and create_login_link: one link each; blocked members and limits explained', async () => {
    await appTester(createMember, e2eBundle({ email: 'link@example.org' }));
    const id = memberByEmail('link@example.org')!.id;
    const sent = await counted('Send Login Link', 'by email', 2, () =>
      appTester(sendLoginLink, e2eBundle({ member: 'link@example.org' })),
    );
    expect(sent).toEqual({ memberId: id, email: 'link@example.org', status: 'sent' });
    const link = await counted('Create Login Link', 'by id', 1, () =>
      appTester(createLoginLink, e2eBundle({ member: id })),
    );
    expect(link.url).toMatch(/^https:\/\/docs\.example\.com\/_auth\?token=[0-9a-f]{32}$/);
    expect(Date.parse(link.expiresAt!) - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(site().loginLinks.filter((l) => l.memberId === id)).toHaveLength(2);

    const blocked = await rejection(
      appTester(createLoginLink, e2eBundle({ member: 'alan@example.com' })),
    );
    expect(messageOf(blocked)).toMatch(
      /^Sotion refused a login link for member .*unblock the member first \(Unblock Member\)/,
    );
    for (let i = 0; i < 3; i += 1) await appTester(sendLoginLink, e2eBundle({ member: id }));
    const throttled = await rejection(appTester(createLoginLink, e2eBundle({ member: id })));
    expect(throttled.name).toBe('ThrottledError');
    expect(messageOf(throttled)).toMatch(
      /5 login links a minute for one member and 50 a minute for the whole site/,
    );
    expect(messageOf(throttled)).not.toMatch(/_auth\?token/);
  });

  it('the login link is in the output and nowhere in core HTTP logs', async () => {
    await appTester(createMember, e2eBundle({ email: 'log@example.org' }));
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    process.env.LOG_TO_STDOUT = 'true';
    process.env.DETAILED_LOG_TO_STDOUT = 'true';
    let url: string;
    try {
      ({ url } = await appTester(createLoginLink, e2eBundle({ member: 'log@example.org' })));
    } finally {
      delete process.env.LOG_TO_STDOUT;
      delete process.env.DETAILED_LOG_TO_STDOUT;
      spy.mockRestore();
    }
    const token = url.split('token=')[1]!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const logged = lines.join('\n');
    expect(logged).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/members\/.*\/login-links/);
    expect(logged).toContain('<probably streaming data>');
    expect(logged).not.toContain(token);
  });

  it('flows as users build them: a sale, then a cancellation', async () => {
    // Sale (Stripe → Sotion): grant access whether or not the buyer is new, then a link to send.
    const sale = await appTester(
      createMember,
      e2eBundle({
        email: 'stripe.buyer@example.org',
        display_name: 'Stripe Buyer',
        paid: true,
        access_group_ids: [premium()],
        if_email_exists: 'update',
        unblock: true,
      }),
    );
    const link = await appTester(createLoginLink, e2eBundle({ member: sale.id }));
    expect(link.memberId).toBe(sale.id);
    expect(memberByEmail('stripe.buyer@example.org')).toMatchObject({
      paid: true,
      status: 'active',
    });
    expect(groupsOf(sale.id)).toEqual([premium()]);

    // Cancellation: take access away, mark unpaid, block; then the same Zap again (a replay).
    for (let run = 0; run < 2; run += 1) {
      await appTester(
        removeFromGroup,
        e2eBundle({ access_group_id: premium(), member: 'stripe.buyer@example.org' }),
      );
      await appTester(updateMember, e2eBundle({ member: 'stripe.buyer@example.org', paid: false }));
      await appTester(blockMember, e2eBundle({ member: 'stripe.buyer@example.org' }));
      expect(memberByEmail('stripe.buyer@example.org')).toMatchObject({
        paid: false,
        status: 'blocked',
      });
      expect(groupsOf(sale.id)).toEqual([]);
    }

    // The buyer comes back: the same sale step restores access.
    const back = await appTester(
      createMember,
      e2eBundle({
        email: 'stripe.buyer@example.org',
        paid: true,
        access_group_ids: [premium()],
        if_email_exists: 'update',
        unblock: true,
      }),
    );
    expect([back.alreadyExisted, back.updated, back.groupsAdded]).toEqual([
      true,
      true,
      [premium()],
    ]);
    expect(memberByEmail('stripe.buyer@example.org')).toMatchObject({
      paid: true,
      status: 'active',
    });
    expect(groupsOf(sale.id)).toEqual([premium()]);
  });
});
