import type { Bundle, ZObject } from 'zapier-platform-core';
import { perform } from '../../creates/set_member_access_groups';
import { accessGroupsByIds } from '../../src/api/access-groups';
import { SotionClient } from '../../src/http/client';
import type { AccessGroup, Member } from '../../src/api/schemas';
import { memberOutput } from '../../src/zap/samples';
import {
  api,
  appTester,
  group,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { listedMember, NAMELESS_FIXED_TIME } from '../member-fixtures';

const silver = group(1, { name: 'Silver Plan' });
const gold = group(2, { name: 'Gold Plan' });
const bronze = group(3, { name: 'Bronze Plan' });
const course = group(9, { name: 'Course Students', type: 'scope' });
const plans = [silver.id, gold.id, bronze.id];

/**
 * The member as GET /members/{id} answers. Sotion documents only the id and name of each group;
 * `typed` adds the `type` the sandbox (and maybe Sotion) sends too.
 */
const member = (groups: AccessGroup[], typed = false, over: Partial<Member> = {}): Member => ({
  ...listedMember(4, NAMELESS_FIXED_TIME),
  accessGroups: groups.map((g) =>
    typed ? { id: g.id, name: g.name, type: g.type } : { id: g.id, name: g.name },
  ),
  ...over,
});
const m = listedMember(4, NAMELESS_FIXED_TIME);

/** Writes carry a JSON body, and say so. */
const write = () => api().matchHeader('content-type', 'application/json');
const read = (answer: Member, n: number | string = 'm') =>
  api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: answer }, headers(n));
const lookUp = (found: unknown[], email = m.email) =>
  api()
    .get(`${PREFIX}/members`)
    .query({ email, limit: '1' })
    .reply(200, pageOf(found), headers('l'));
const groupList = (groups: AccessGroup[], after?: string, next: string | null = null) =>
  api()
    .get(`${PREFIX}/access-groups`)
    .query(after ? { limit: '100', after } : { limit: '100' })
    .reply(200, pageOf(groups, next), headers('g'));
const add = (g: AccessGroup, status: number, answer?: Member) =>
  write()
    .post(`${PREFIX}/access-groups/${g.id}/members`, { memberId: m.id })
    .reply(status, answer ? { data: answer } : { error: 'Already in the group.' }, headers('a'));
const remove = (g: AccessGroup, status: number) =>
  api()
    .delete(`${PREFIX}/access-groups/${g.id}/members/${m.id}`)
    .reply(status, status === 204 ? '' : { error: 'Membership not found.' }, headers('r'));

const run = (input: Record<string, unknown>) => appTester(perform, makeBundle(input));

const result = (
  final: Member,
  changes: Partial<Record<'added' | 'removed' | 'kept', AccessGroup[]>> & {
    memberCreated?: boolean;
    paidChanged?: boolean;
  },
) => {
  const ids = (gs: AccessGroup[] = []) => gs.map((g) => g.id);
  const names = (gs: AccessGroup[] = []) => gs.map((g) => g.name);
  const memberCreated = changes.memberCreated ?? false;
  const paidChanged = changes.paidChanged ?? false;
  return {
    ...memberOutput(final),
    addedIds: ids(changes.added),
    addedNames: names(changes.added),
    removedIds: ids(changes.removed),
    removedNames: names(changes.removed),
    keptIds: ids(changes.kept),
    keptNames: names(changes.kept),
    changed: !!changes.added?.length || !!changes.removed?.length || memberCreated || paidChanged,
    memberCreated,
    paidChanged,
  };
};

describe('set_member_access_groups: plan changes', () => {
  it('Silver → Gold by ID, groups without a type: read, group list, add, remove (4)', async () => {
    read(member([silver]));
    groupList([silver, gold, bronze, course]);
    add(gold, 201, member([silver, gold]));
    remove(silver, 204);
    expect(
      await run({
        member: m.id,
        access_group_ids: [gold.id],
        managed_access_group_ids: plans,
      }),
    ).toEqual(result(member([gold]), { added: [gold], removed: [silver] }));
  });

  it('Silver → Gold by ID when the answer types the groups: read, add, remove (3)', async () => {
    read(member([silver], true));
    add(gold, 201, member([silver, gold], true));
    remove(silver, 204);
    const out = await run({
      member: m.id,
      access_group_ids: gold.id,
      managed_access_group_ids: plans.join(', '),
    });
    expect(out).toEqual(result(member([gold], true), { added: [gold], removed: [silver] }));
  });

  it('by email: the look-up, then the member with its groups (+1)', async () => {
    lookUp([m]);
    read(member([silver], true));
    add(gold, 201, member([silver, gold], true));
    remove(silver, 204);
    const out = await run({
      member: 'Member4@Example.com',
      access_group_ids: [gold.id],
      managed_access_group_ids: plans,
    });
    expect([out.addedNames, out.removedNames, out.accessGroupNames]).toEqual([
      ['Gold Plan'],
      ['Silver Plan'],
      ['Gold Plan'],
    ]);
  });

  it('a repeat changes nothing and says so: by ID 1 request', async () => {
    read(member([gold]));
    expect(
      await run({ member: m.id, access_group_ids: [gold.id], managed_access_group_ids: plans }),
    ).toEqual(result(member([gold]), { kept: [gold] }));
  });

  it('a repeat by email: 2 requests', async () => {
    lookUp([m]);
    read(member([gold, course]));
    const out = await run({
      member: m.email,
      access_group_ids: [gold.id],
      managed_access_group_ids: plans,
    });
    expect([out.changed, out.keptNames, out.accessGroupNames]).toEqual([
      false,
      ['Gold Plan'],
      ['Gold Plan', 'Course Students'],
    ]);
  });

  it('a chosen group missing from Managed Access Groups is managed too: kept, not an error', async () => {
    read(member([silver, bronze], true));
    remove(silver, 204);
    const out = await run({
      member: m.id,
      access_group_ids: [bronze.id],
      managed_access_group_ids: [silver.id, gold.id],
    });
    expect(out).toEqual(result(member([bronze], true), { removed: [silver], kept: [bronze] }));
  });

  it('two new groups: the group list first (each add must be known first), then both adds', async () => {
    read(member([]));
    groupList([silver], undefined, silver.id);
    groupList([gold, bronze], silver.id);
    add(gold, 201, member([gold]));
    add(bronze, 201, member([gold, bronze]));
    const out = await run({ member: m.id, access_group_ids: [gold.id, bronze.id] });
    expect(out).toEqual(result(member([gold, bronze]), { added: [gold, bronze] }));
  });
});

describe('set_member_access_groups: cancellations', () => {
  it('an empty list removes the managed groups: one unknown group is removed first (2)', async () => {
    read(member([gold, course]));
    remove(gold, 204);
    expect(
      await run({ member: m.id, access_group_ids: [], managed_access_group_ids: plans }),
    ).toEqual(result(member([course]), { removed: [gold] }));
  });

  it('one group of unknown type among typed ones is removed first (its refusal changes nothing)', async () => {
    read({
      ...member([silver], true),
      accessGroups: [
        { id: silver.id, name: silver.name, type: 'custom' },
        { id: gold.id, name: gold.name },
      ],
    });
    api()
      .delete(`${PREFIX}/access-groups/${gold.id}/members/${m.id}`)
      .reply(403, { error: 'Scope groups are read-only.' }, headers('s'));
    const error = await rejection(run({ member: m.id, managed_access_group_ids: plans }));
    expect(messageOf(error)).toMatch(new RegExp(`^Access group ${gold.id} is a scope group`));
  });

  it('two managed groups of unknown type are checked in the list before either is removed', async () => {
    read(member([silver, gold]));
    groupList([silver, gold, bronze]);
    remove(silver, 204);
    remove(gold, 204);
    const out = await run({ member: m.id, managed_access_group_ids: plans });
    expect([out.removedNames, out.accessGroupIds]).toEqual([['Silver Plan', 'Gold Plan'], []]);
  });

  it('Managed Access Groups empty: every custom group is managed, scope groups are left', async () => {
    read(member([silver, course, gold]));
    groupList([silver, gold, course]);
    remove(silver, 204);
    const out = await run({ member: m.id, access_group_ids: [gold.id] });
    expect(out).toEqual(result(member([course, gold]), { removed: [silver], kept: [gold] }));
  });

  it('Managed Access Groups empty, typed answer: no list needed', async () => {
    read(member([silver, course, gold], true));
    remove(silver, 204);
    remove(gold, 204);
    const out = await run({ member: m.id });
    expect([out.removedNames, out.accessGroupNames]).toEqual([
      ['Silver Plan', 'Gold Plan'],
      ['Course Students'],
    ]);
  });

  it('a group of the member that the list does not show is not managed: left alone', async () => {
    const builtIn = group(20, { name: 'All Members' });
    read(member([builtIn, silver]));
    groupList([silver, gold]);
    remove(silver, 204);
    const out = await run({ member: m.id });
    expect([out.removedNames, out.accessGroupNames]).toEqual([['Silver Plan'], ['All Members']]);
  });
});

describe('set_member_access_groups: Paid', () => {
  it('sets Paid with a PATCH after the groups, only when it differs; its answer is the output', async () => {
    read(member([gold], true, { paid: true }));
    remove(gold, 204);
    const patched = member([], true, { paid: false });
    write()
      .patch(`${PREFIX}/members/${m.id}`, { paid: false })
      .reply(200, { data: patched }, headers('p'));
    expect(
      await run({
        member: m.id,
        access_group_ids: [],
        managed_access_group_ids: plans,
        paid: 'false',
      }),
    ).toEqual(result(patched, { removed: [gold], paidChanged: true }));
  });

  it('the same Paid: no PATCH, nothing changed', async () => {
    read(member([gold], true, { paid: true }));
    const out = await run({ member: m.id, access_group_ids: [gold.id], paid: true });
    expect([out.changed, out.paidChanged]).toEqual([false, false]);
  });

  it('only Paid differs: read and PATCH (2)', async () => {
    read(member([gold], true, { paid: null }));
    write()
      .patch(`${PREFIX}/members/${m.id}`, { paid: true })
      .reply(200, { data: member([gold], true, { paid: true }) }, headers('p'));
    const out = await run({ member: m.id, access_group_ids: [gold.id], paid: 'yes' });
    expect([out.changed, out.paidChanged, out.paid, out.keptNames]).toEqual([
      true,
      true,
      true,
      ['Gold Plan'],
    ]);
  });
});

describe('set_member_access_groups: a missing member', () => {
  it('stops with an error by default (by email: the look-up only)', async () => {
    lookUp([], 'new@example.com');
    const error = await rejection(run({ member: 'new@example.com', access_group_ids: [gold.id] }));
    expect(messageOf(error)).toBe(
      'No member with the email new@example.com (from Member) exists on this Sotion site. ' +
        'Check it, or set "If the Member Doesn\'t Exist" to "Create the member".',
    );
  });

  it('by ID: the 404 names the ID and carries the request id', async () => {
    api()
      .get(`${PREFIX}/members/${m.id}`)
      .reply(404, { error: 'Member not found.' }, headers('nf'));
    const error = await rejection(run({ member: m.id, access_group_ids: [gold.id] }));
    expect(messageOf(error)).toBe(
      `No member with the ID ${m.id} (from Member) exists on this Sotion site. Check it, or set ` +
        '"If the Member Doesn\'t Exist" to "Create the member". (X-Request-Id: req-nf)',
    );
  });

  it('"create" with an ID cannot create: it says an email is needed', async () => {
    api().get(`${PREFIX}/members/${m.id}`).reply(404, '', headers('nf'));
    const error = await rejection(
      run({ member: m.id, access_group_ids: [gold.id], if_member_missing: 'create' }),
    );
    expect(messageOf(error)).toMatch(
      /^No member with the ID .*A member can be created only from an email: map the email into Member\. \(X-Request-Id: req-nf\)$/,
    );
  });

  it('"create": one atomic POST /members with the groups and Paid (2 requests)', async () => {
    const created = member([gold, bronze], false, { email: 'new@example.com', paid: true });
    lookUp([], 'new@example.com');
    write()
      .post(`${PREFIX}/members`, {
        email: 'new@example.com',
        paid: true,
        accessGroupIds: [gold.id, bronze.id],
      })
      .reply(201, { data: created }, headers('c'));
    expect(
      await run({
        member: 'New@Example.com',
        access_group_ids: [gold.id, bronze.id],
        managed_access_group_ids: plans,
        if_member_missing: 'create',
        paid: 'true',
      }),
    ).toEqual(result(created, { added: [gold, bronze], memberCreated: true }));
  });

  it('"create" without groups sends only the email; a 403 is then about the plan or the key', async () => {
    lookUp([], 'new@example.com');
    write()
      .post(`${PREFIX}/members`, { email: 'new@example.com' })
      .reply(403, { error: 'Forbidden' }, headers('f'));
    const error = await rejection(
      run({
        member: 'new@example.com',
        if_member_missing: 'create',
        managed_access_group_ids: plans,
      }),
    );
    expect(messageOf(error)).toMatch(
      /^Sotion refused to create the member new@example\.com \(HTTP 403\), and no scope group was involved/,
    );
  });

  it('"create" when the member appeared meanwhile (409): looked up again and set like any other', async () => {
    lookUp([], 'member4@example.com');
    write().post(`${PREFIX}/members`).reply(409, { error: 'Email exists.' }, headers('c'));
    lookUp([m]);
    read(member([gold], true));
    const out = await run({
      member: m.email,
      access_group_ids: [gold.id],
      managed_access_group_ids: plans,
      if_member_missing: 'create',
    });
    expect(out).toEqual(result(member([gold], true), { kept: [gold] }));
  });
});

describe('set_member_access_groups: groups that cannot be set', () => {
  it('a scope group among two new groups: found in the list, an error before any write', async () => {
    read(member([]));
    groupList([gold, course]);
    const error = await rejection(run({ member: m.id, access_group_ids: [gold.id, course.id] }));
    expect(messageOf(error)).toBe(
      `Access Groups includes "Course Students" (${course.id}), a scope group: scope groups ` +
        'come from Notion collections and cannot be changed through the API. Remove it from ' +
        'Access Groups.',
    );
  });

  it('an ID that is no group of the site: every page read, an error before any write', async () => {
    const ghost = group(77);
    read(member([silver]));
    groupList([silver], undefined, silver.id);
    groupList([gold], silver.id);
    const error = await rejection(
      run({
        member: m.id,
        access_group_ids: [gold.id],
        managed_access_group_ids: [ghost.id, silver.id],
      }),
    );
    expect(messageOf(error)).toBe(
      `Managed Access Groups includes ${ghost.id}, but this site has no access group with that ` +
        'ID (it may have been deleted). Remove it from Managed Access Groups, or pick the group ' +
        'from the dropdown.',
    );
  });

  it('a scope group the answer types as such: an error after the read alone', async () => {
    read(member([course], true));
    const error = await rejection(
      run({ member: m.id, access_group_ids: [], managed_access_group_ids: [course.id] }),
    );
    expect(messageOf(error)).toMatch(
      /^Managed Access Groups includes "Course Students" .*a scope group/,
    );
  });

  it('one new group is its own check: a 403 on the add (the first write) changes nothing', async () => {
    read(member([silver], true));
    write()
      .post(`${PREFIX}/access-groups/${course.id}/members`, { memberId: m.id })
      .reply(403, { error: 'Scope groups are read-only.' }, headers('s'));
    const error = await rejection(
      run({ member: m.id, access_group_ids: [course.id], managed_access_group_ids: plans }),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(`^Access group ${course.id} is a scope group .*read-only via the API.*req-s\\)$`),
    );
  });

  it('a failure after a write says what was already done', async () => {
    read(member([silver]));
    groupList([silver, gold, bronze]);
    add(gold, 201, member([silver, gold]));
    api()
      .post(`${PREFIX}/access-groups/${bronze.id}/members`, { memberId: m.id })
      .reply(404, { error: 'Access group not found.' }, headers('x'));
    const error = await rejection(
      run({
        member: m.id,
        access_group_ids: [gold.id, bronze.id],
        managed_access_group_ids: plans,
      }),
    );
    expect(messageOf(error)).toMatch(
      /^The step had already added member4@example\.com to "Gold Plan" when it stopped; replaying it finishes the change \(it changes only what still differs\)\. Sotion could not find access group .*req-x\)$/,
    );
  });
});

describe('set_member_access_groups: two runs at once', () => {
  it('an add answered 409 is kept, a removal answered 404 is not reported; the member is read again', async () => {
    read(member([silver], true));
    add(gold, 409);
    remove(silver, 404);
    read(member([gold], true), 'again');
    expect(
      await run({ member: m.id, access_group_ids: [gold.id], managed_access_group_ids: plans }),
    ).toEqual(result(member([gold], true), { kept: [gold] }));
  });
});

describe('set_member_access_groups: input', () => {
  it.each([
    [{}, /^Member is required/],
    [{ member: 'nobody' }, /^Member must be a member's email or Sotion member ID/],
    [{ member: m.id, access_group_ids: ['Gold'] }, /^Access Groups must be Sotion IDs/],
    [
      { member: m.id, managed_access_group_ids: [gold.id, 'x'] },
      /^Managed Access Groups must be Sotion IDs/,
    ],
    [
      { member: m.id, if_member_missing: 'skip' },
      /^If the Member Doesn't Exist must be one of its choices: "Stop with an error" or "Create the member \(needs an email\)"/,
    ],
    [{ member: m.id, paid: 'maybe' }, /^Paid must be true or false/],
  ])('refuses %j before any request', async (input, message) => {
    expect(messageOf(await rejection(run(input)))).toMatch(message);
  });
});

describe('accessGroupsByIds (the group list read by ids)', () => {
  const byIds = (ids: string[]) =>
    appTester(
      (z: ZObject, b: Bundle) => accessGroupsByIds(new SotionClient(z, b), ids),
      makeBundle({}),
    );

  it('stops at the page that holds the last id, though more pages follow', async () => {
    groupList([silver, { ...gold, id: gold.id.toUpperCase() }], undefined, 'more');
    const found = await byIds([silver.id, gold.id]);
    expect([...found.keys()]).toEqual([silver.id, gold.id]);
  });

  it('no ids: no request', async () => {
    expect((await byIds([])).size).toBe(0);
  });
});
