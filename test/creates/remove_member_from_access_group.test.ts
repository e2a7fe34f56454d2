import { perform, REASONS } from '../../creates/remove_member_from_access_group';
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
import { fullMember, listedMember, NAMELESS_FIXED_TIME } from '../member-fixtures';

const g = group(8);
const m = fullMember(6, [], NAMELESS_FIXED_TIME);
const path = `${PREFIX}/access-groups/${g.id}/members/${m.id}`;

const inGroup = fullMember(6, [8], NAMELESS_FIXED_TIME);
const elsewhere = fullMember(6, [9], NAMELESS_FIXED_TIME);
const memberPath = `${PREFIX}/members/${m.id}`;
const lookUp = (email = m.email, found = [listedMember(6, NAMELESS_FIXED_TIME)]) =>
  api().get(`${PREFIX}/members`).query({ email, limit: '1' }).reply(200, pageOf(found), headers());

describe('remove_member_from_access_group', () => {
  it('by id, in the group: the member read (its groups), then the DELETE (2 requests)', async () => {
    api().get(memberPath).reply(200, { data: inGroup }, headers());
    api().delete(path).reply(204, '', headers());
    expect(await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id }))).toEqual({
      memberId: m.id,
      email: m.email,
      accessGroupId: g.id,
      removed: true,
      reason: null,
    });
  });

  it('by email, in the group: a look-up, the member read, then the DELETE (3 requests)', async () => {
    lookUp();
    api().get(memberPath).reply(200, { data: inGroup }, headers());
    api().delete(path).reply(204, '', headers());
    const result = await appTester(perform, makeBundle({ access_group_id: g.id, member: m.email }));
    expect(result).toMatchObject({ memberId: m.id, email: m.email, removed: true });
  });

  it('no member with the email: removed false and why, with no DELETE (1 request)', async () => {
    lookUp('gone@example.com', []);
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: 'gone@example.com' })),
    ).toEqual({
      memberId: null,
      email: 'gone@example.com',
      accessGroupId: g.id,
      removed: false,
      reason: REASONS.noSuchEmail,
    });
  });

  it('by email, deleted between the look-up and the read: removed false, no DELETE', async () => {
    lookUp();
    api().get(memberPath).reply(404, { error: 'Member not found.' }, headers());
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: m.email })),
    ).toMatchObject({ memberId: null, removed: false, reason: REASONS.noSuchEmail });
  });

  // Sotion may answer 204 to a DELETE for a non-member: no DELETE is sent to find out.
  it('by id, not in the group: the member and the group are read, no DELETE (2 requests)', async () => {
    api().get(memberPath).reply(200, { data: elsewhere }, headers());
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(200, { data: g }, headers());
    expect(await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id }))).toEqual({
      memberId: m.id,
      email: m.email,
      accessGroupId: g.id,
      removed: false,
      reason: REASONS.notInGroup,
    });
  });

  it('by email, not in the group: removed false (3 requests)', async () => {
    lookUp();
    api()
      .get(memberPath)
      .reply(200, { data: fullMember(6, [], NAMELESS_FIXED_TIME) }, headers());
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(200, { data: g }, headers());
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: m.email })),
    ).toMatchObject({ memberId: m.id, removed: false, reason: REASONS.notInGroup });
  });

  it('the group ids are compared in any case', async () => {
    const upper = fullMember(6, [], {
      ...NAMELESS_FIXED_TIME,
      accessGroups: [{ id: g.id.toUpperCase(), name: g.name }],
    });
    api().get(memberPath).reply(200, { data: upper }, headers());
    api().delete(path).reply(204, '', headers());
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    ).toMatchObject({ removed: true });
  });

  it('in the group when read, gone by the DELETE (404): removed false, it left meanwhile', async () => {
    api().get(memberPath).reply(200, { data: inGroup }, headers());
    api().delete(path).reply(404, { error: 'Membership not found.' }, headers());
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    ).toMatchObject({ removed: false, reason: REASONS.leftMeanwhile });
  });

  it('an unknown member ID (a random UUID, another site’s member) is an error naming it (1 request)', async () => {
    api().get(memberPath).reply(404, { error: 'Member not found.' }, headers('n'));
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    );
    expect(messageOf(error)).toBe(
      `No member with the ID ${m.id} (from Member) exists on this Sotion site. Map a member ID ` +
        "of this site (not an access group's ID or another site's member), or the member's " +
        'email. (X-Request-Id: req-n)',
    );
  });

  it('the group’s own ID given as the member is refused before any request', async () => {
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: g.id.toUpperCase() })),
    );
    expect(messageOf(error)).toMatch(/^Member holds the ID of the access group \(/);
  });

  it('no such group is the Zap’s mistake: an error naming the group', async () => {
    api().get(memberPath).reply(200, { data: elsewhere }, headers());
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(404, '', headers('x'));
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(`^Sotion could not find access group ${g.id}\\..*req-x`),
    );
  });

  it('a scope group the member is in: the 403 says scope group memberships are read-only', async () => {
    api().get(memberPath).reply(200, { data: inGroup }, headers());
    api().delete(path).reply(403, '', headers());
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    );
    expect(messageOf(error)).toMatch(/is a scope group .*members cannot be added or removed/);
  });

  it('a scope group the member is not in: the same error, with no DELETE', async () => {
    api().get(memberPath).reply(200, { data: elsewhere }, headers());
    api()
      .get(`${PREFIX}/access-groups/${g.id}`)
      .reply(200, { data: { ...g, type: 'scope' } }, headers('s'));
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    );
    expect(messageOf(error)).toMatch(
      /is a scope group .*members cannot be added or removed.*\(X-Request-Id: req-s\)$/,
    );
  });

  it.each([
    [{ member: m.id }, /^Access Group is required/],
    [{ access_group_id: g.id, member: 'x@y' }, /^Member must be/],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toMatch(message);
  });
});
