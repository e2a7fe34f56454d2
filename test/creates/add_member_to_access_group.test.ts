import { perform } from '../../creates/add_member_to_access_group';
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
import { memberOutput } from '../../src/zap/samples';

const g = group(7);
const m = fullMember(4, [7], NAMELESS_FIXED_TIME);

describe('add_member_to_access_group', () => {
  it('by id: one POST, the member back with its groups', async () => {
    api()
      .post(`${PREFIX}/access-groups/${g.id}/members`, { memberId: m.id })
      .reply(201, { data: m }, headers());
    expect(await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id }))).toEqual({
      ...memberOutput(m),
      alreadyInGroup: false,
      memberCreated: false,
    });
  });

  it('by email: a look-up, then the POST', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([listedMember(4, NAMELESS_FIXED_TIME)]), headers());
    api()
      .post(`${PREFIX}/access-groups/${g.id}/members`, { memberId: m.id })
      .reply(201, { data: m }, headers());
    const result = await appTester(perform, makeBundle({ access_group_id: g.id, member: m.email }));
    expect(result.accessGroupNames).toEqual([g.name]);
  });

  it('already in the group is success: the 409, then the member read for the output', async () => {
    api()
      .post(`${PREFIX}/access-groups/${g.id}/members`, { memberId: m.id })
      .reply(409, { error: 'The member is already in this access group.' }, headers());
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: m }, headers());
    expect(await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id }))).toEqual({
      ...memberOutput(m),
      alreadyInGroup: true,
      memberCreated: false,
    });
  });

  it('by email, already in the group: the look-up serves the output, no read (2 requests)', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([listedMember(4, { ...NAMELESS_FIXED_TIME, paid: true })]), headers());
    api()
      .post(`${PREFIX}/access-groups/${g.id}/members`, { memberId: m.id })
      .reply(409, { error: 'The member is already in this access group.' }, headers());
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: m.email })),
    ).toEqual({
      ...listedMember(4, { ...NAMELESS_FIXED_TIME, paid: true }),
      accessGroups: [{ id: g.id, name: null }],
      accessGroupIds: [g.id],
      accessGroupNames: [g.id],
      alreadyInGroup: true,
      memberCreated: false,
    });
  });

  it('a missing member is an error by default, without a POST', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'new@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: 'new@example.com' })),
    );
    expect(messageOf(error)).toBe(
      'No member with the email new@example.com (from Member) exists on this Sotion site. Check the email, or set "If the Member Doesn\'t Exist" to "Create the member in the group".',
    );
  });

  it('with "create": one POST /members puts the new member in the group (2 requests)', async () => {
    const created = fullMember(5, [7], {
      ...NAMELESS_FIXED_TIME,
      email: 'new@example.com',
      paid: true,
      displayName: 'New',
    });
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'new@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    api()
      .post(`${PREFIX}/members`, {
        email: 'new@example.com',
        displayName: 'New',
        paid: true,
        accessGroupIds: [g.id],
      })
      .reply(201, { data: created }, headers());
    expect(
      await appTester(
        perform,
        makeBundle({
          access_group_id: g.id,
          member: 'New@Example.com',
          if_member_missing: 'create',
          paid: 'yes',
          display_name: 'New',
        }),
      ),
    ).toEqual({ ...memberOutput(created), alreadyInGroup: false, memberCreated: true });
  });

  it('with "create": a member made meanwhile (409) is looked up again and added', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([]), headers());
    api().post(`${PREFIX}/members`).reply(409, '', headers());
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([listedMember(4, NAMELESS_FIXED_TIME)]), headers());
    api()
      .post(`${PREFIX}/access-groups/${g.id}/members`, { memberId: m.id })
      .reply(201, { data: m }, headers());
    const result = await appTester(
      perform,
      makeBundle({ access_group_id: g.id, member: m.email, if_member_missing: 'create' }),
    );
    expect([result.memberCreated, result.alreadyInGroup]).toEqual([false, false]);
  });

  it('a scope group: the 403 says scope groups are read-only', async () => {
    api()
      .post(`${PREFIX}/access-groups/${g.id}/members`)
      .reply(403, { error: 'Scope access groups are read-only via the API.' }, headers('s'));
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(`^Access group ${g.id} is a scope group .*read-only via the API.*req-s`),
    );
  });

  it.each([
    [{ member: m.id }, /^Access Group is required/],
    [
      { access_group_id: 'Premium', member: m.id },
      /^Access Group must be a Sotion access group ID .*"Premium" is not\./,
    ],
    [{ access_group_id: g.id }, /^Member is required/],
    [
      { access_group_id: g.id, member: m.id, paid: true },
      /^Paid and Display Name are used only when the step creates the member/,
    ],
    [
      { access_group_id: g.id, member: m.id, if_member_missing: 'skip' },
      /^If the Member Doesn't Exist must be one of its choices: "Stop with an error" or "Create the member in the group"/,
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toMatch(message);
  });
});
