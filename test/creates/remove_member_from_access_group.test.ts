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
import { full, listed } from './member-fixtures';

const g = group(8);
const m = full(6);
const path = `${PREFIX}/access-groups/${g.id}/members/${m.id}`;

describe('remove_member_from_access_group', () => {
  it('by id: one DELETE', async () => {
    api().delete(path).reply(204, '', headers());
    expect(await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id }))).toEqual({
      memberId: m.id,
      email: null,
      accessGroupId: g.id,
      removed: true,
      reason: null,
    });
  });

  it('by email: a look-up, then the DELETE', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([listed(6)]), headers());
    api().delete(path).reply(204, '', headers());
    const result = await appTester(perform, makeBundle({ access_group_id: g.id, member: m.email }));
    expect(result).toMatchObject({ memberId: m.id, email: m.email, removed: true });
  });

  it('no member with the email: removed false and why, with no DELETE', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'gone@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
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

  it('by email, not in the group (404): the member and group are checked, removed false', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([listed(6)]), headers());
    api().delete(path).reply(404, { error: 'Membership not found' }, headers());
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(200, { data: g }, headers());
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: m.email })),
    ).toMatchObject({ removed: false, reason: REASONS.notInGroup });
  });

  it('by id, not in the group (404): the member and the group are read (3 requests)', async () => {
    api().delete(path).reply(404, '', headers());
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: m }, headers());
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(200, { data: g }, headers());
    expect(await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id }))).toEqual({
      memberId: m.id,
      email: m.email,
      accessGroupId: g.id,
      removed: false,
      reason: REASONS.notInGroup,
    });
  });

  it('by id, no such member (404, 404): removed false', async () => {
    api().delete(path).reply(404, '', headers());
    api().get(`${PREFIX}/members/${m.id}`).reply(404, '', headers());
    expect(
      await appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    ).toMatchObject({ removed: false, reason: REASONS.noSuchMember });
  });

  it('no such group is the Zap’s mistake: an error naming the group', async () => {
    api().delete(path).reply(404, '', headers());
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: m }, headers());
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(404, '', headers('x'));
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(`^Sotion could not find access group ${g.id}\\..*req-x`),
    );
  });

  it('a scope group: the 403 says scope group memberships are read-only', async () => {
    api().delete(path).reply(403, '', headers());
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: g.id, member: m.id })),
    );
    expect(messageOf(error)).toMatch(/is a scope group .*members cannot be added or removed/);
  });

  it.each([
    [{ member: m.id }, /^Access Group is required/],
    [{ access_group_id: g.id, member: 'x@y' }, /^Member must be/],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toMatch(message);
  });
});
