import nock from 'nock';
import { api, appTester, headers, PREFIX, uuid } from '../../helpers';
import { captureLogs, envelope, hookBundle, hookOp, member } from './helpers';

/** What a slim delivery lacks, fetched (src/zap/hooks/details.ts). */

const created = hookOp('member_created');

describe('slim deliveries', () => {
  it('a slim member payload is completed with one request; unknown fields are kept', async () => {
    const slim = envelope('member.auth', { memberId: uuid(3), action: 'login' });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(1));
    const result = await appTester(
      hookOp('member_logged_in_or_out').perform,
      hookBundle(slim),
      true,
    );
    expect(result[0]).toMatchObject({
      id: uuid(500),
      eventType: 'member.auth',
      memberId: uuid(3),
      email: 'm3@example.com',
      action: 'login',
      accessGroupIds: [uuid(7)],
    });
  });

  it('a member that is gone keeps what the delivery carried, missing fields null', async () => {
    const slim = envelope('member.updated', { id: uuid(3) });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const [item] = await appTester(hookOp('member_updated').perform, hookBundle(slim), true);
    expect(item).toMatchObject({
      memberId: uuid(3),
      email: null,
      status: null,
      accessGroupIds: [],
    });
    expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(created.sample).sort());
  });

  it('a nested member without its own id takes memberId from the event', async () => {
    const raw = envelope('member.updated', {
      memberId: uuid(3),
      member: { email: 'm3@example.com' },
    });
    const [item] = await appTester(hookOp('member_updated').perform, hookBundle(raw), true);
    expect(item).toMatchObject({ memberId: uuid(3), email: 'm3@example.com' });
  });

  it('a membership whose group is gone keeps the group id', async () => {
    const raw = envelope('access-group.member.removed', {
      memberId: uuid(3),
      accessGroupId: uuid(7),
      member: member(3),
    });
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const [item] = await appTester(
      hookOp('member_removed_from_access_group').perform,
      hookBundle(raw),
      true,
    );
    expect(item).toMatchObject({
      accessGroupId: uuid(7),
      accessGroupName: null,
      memberId: uuid(3),
    });
  });
});

describe('objects that are gone from Sotion', () => {
  it('the log says which member is gone and that the output keeps the delivery', async () => {
    const raw = envelope('member.updated', { id: uuid(3), action: 'x' });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const { lines, result } = await captureLogs(() =>
      appTester(hookOp('member_updated').perform, hookBundle(raw), true),
    );
    expect(result).toHaveLength(1);
    expect(lines).toContain(
      `Member ${uuid(3)} is gone from Sotion; the output keeps what the delivery carried.`,
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('the log says which access group is gone', async () => {
    const raw = envelope('access-group.updated', { id: uuid(7) });
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const { lines, result } = await captureLogs(() =>
      appTester(hookOp('access_group_updated').perform, hookBundle(raw), true),
    );
    expect(result).toHaveLength(1);
    expect(lines).toContain(
      `Access group ${uuid(7)} is gone from Sotion; the output keeps what the delivery carried.`,
    );
  });
});
