import nock from 'nock';
import { api, appTester, group, headers, PREFIX, uuid } from '../helpers';
import { captureLogs, envelope, hookBundle, hookOp, member } from './hook-helpers';

const EVENT = {
  id: uuid(500),
  occurredAt: '2026-05-07T10:00:00.000Z',
};

describe('nested objects in a delivery', () => {
  it('a member nested under "member" is flattened, and the nested object is not repeated', async () => {
    const m = member(3);
    const raw = envelope('member.updated', { memberId: uuid(3), member: m, action: 'profile' });
    const result = await appTester(hookOp('member_updated').perform, hookBundle(raw), true);
    const { id: _id, ...rest } = m;
    expect(result).toEqual([
      {
        ...rest,
        action: 'profile',
        memberId: uuid(3),
        accessGroupIds: [uuid(7)],
        accessGroupNames: ['Group 7'],
        id: EVENT.id,
        eventType: 'member.updated',
        occurredAt: EVENT.occurredAt,
      },
    ]);
  });

  it('a group nested under "accessGroup" is flattened, and the nested object is not repeated', async () => {
    const g = group(7, { name: 'Premium', memberCount: 4 });
    const raw = envelope('access-group.updated', {
      accessGroupId: g.id,
      accessGroup: g,
      note: 'renamed',
    });
    const result = await appTester(hookOp('access_group_updated').perform, hookBundle(raw), true);
    expect(result).toEqual([
      {
        note: 'renamed',
        accessGroupId: g.id,
        name: 'Premium',
        description: null,
        type: 'custom',
        memberCount: 4,
        createdAt: g.createdAt,
        updatedAt: null,
        id: EVENT.id,
        eventType: 'access-group.updated',
        occurredAt: EVENT.occurredAt,
      },
    ]);
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

describe('retried deliveries', () => {
  it('a retry of a slim delivery sends no request: only the first delivery fetches the member', async () => {
    const raw = envelope('member.updated', { id: uuid(3) });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .once()
      .reply(200, { data: member(3) }, headers(1));
    const first = await appTester(hookOp('member_updated').perform, hookBundle(raw), true);
    expect(first).toHaveLength(1);
    expect(nock.pendingMocks()).toEqual([]);
    const { lines, result } = await captureLogs(() =>
      appTester(hookOp('member_updated').perform, hookBundle(raw)),
    );
    expect(result).toEqual([]);
    expect(lines).toContain(
      `Sotion delivery for member_updated ignored, no Zap run: event ${uuid(500)} was already ` +
        'delivered (a retry).',
    );
    expect(lines).not.toMatch(/GET https:\/\/api\.sotion\.so/);
  });
});

describe('the group filter of membership triggers', () => {
  const G = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';
  const added = hookOp('member_added_to_access_group');
  const delivery = (groupId: string) =>
    envelope('access-group.member.added', {
      memberId: uuid(3),
      accessGroupId: groupId,
      member: member(3),
      accessGroup: group(7, { id: groupId }),
    });

  it('matches a chosen group whose id has letters, in the case Sotion sends or another', async () => {
    const chosen = { access_group_ids: [G] };
    const lower = hookBundle(delivery(G), undefined, undefined, chosen);
    const [item] = await appTester(added.perform, lower, true);
    expect(item).toMatchObject({ memberId: uuid(3), accessGroupId: G });
    const upper = hookBundle(delivery(G.toUpperCase()), undefined, undefined, chosen);
    const [again] = await appTester(added.perform, upper, true);
    expect(again).toMatchObject({ memberId: uuid(3), accessGroupId: G.toUpperCase() });
  });
});
