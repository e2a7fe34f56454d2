import nock from 'nock';
import { api, appTester, group, headers, KEY, pageOf, PREFIX, uuid } from '../../helpers';
import { envelope, hookBundle, hookOp, member } from './helpers';
import { SHAPES } from '../../../src/zap/hooks/shapes';
import { memberSample } from '../../../src/zap/samples';

/** Each event shape: a delivery's output, the sample, and the editor's test (src/zap/hooks/shapes.ts). */

const created = hookOp('member_created');
const added = hookOp('member_added_to_access_group');

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
        detailsComplete: true,
        detailsMissingReason: null,
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
        detailsComplete: true,
        detailsMissingReason: null,
      },
    ]);
  });
});

describe('deliveries of each shape', () => {
  it('member.deleted and access-group.deleted keep the ids under memberId / accessGroupId', async () => {
    const m = envelope('member.deleted', { id: uuid(3), email: 'm3@example.com' });
    expect(await appTester(hookOp('member_deleted').perform, hookBundle(m), true)).toEqual([
      {
        id: uuid(500),
        eventType: 'member.deleted',
        occurredAt: '2026-05-07T10:00:00.000Z',
        detailsComplete: true,
        detailsMissingReason: null,
        memberId: uuid(3),
        email: 'm3@example.com',
      },
    ]);
    const g = envelope('access-group.deleted', { id: uuid(7), name: 'Group 7', extra: 1 });
    expect(await appTester(hookOp('access_group_deleted').perform, hookBundle(g), true)).toEqual([
      {
        id: uuid(500),
        eventType: 'access-group.deleted',
        occurredAt: '2026-05-07T10:00:00.000Z',
        detailsComplete: true,
        detailsMissingReason: null,
        accessGroupId: uuid(7),
        name: 'Group 7',
        extra: 1,
      },
    ]);
    const bare = envelope('member.deleted', {});
    const [item] = await appTester(hookOp('member_deleted').perform, hookBundle(bare), true);
    expect(item).toMatchObject({
      memberId: null,
      email: null,
      detailsComplete: false,
      detailsMissingReason: 'The delivery names no member.',
    });
  });

  it('a group event: the group flattened; a slim one fetched', async () => {
    const g = group(7, { name: 'Premium' });
    const full = envelope('access-group.updated', g);
    const [item] = await appTester(hookOp('access_group_updated').perform, hookBundle(full), true);
    const { id: _id, ...rest } = g;
    expect(item).toEqual({
      ...rest,
      accessGroupId: g.id,
      id: uuid(500),
      eventType: 'access-group.updated',
      occurredAt: '2026-05-07T10:00:00.000Z',
      detailsComplete: true,
      detailsMissingReason: null,
    });
    const slim = envelope('access-group.created', { accessGroupId: g.id }, uuid(502));
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(200, { data: g }, headers(1));
    const [fetched] = await appTester(hookOp('access_group_created').perform, hookBundle(slim));
    expect(fetched).toMatchObject({
      accessGroupId: g.id,
      name: 'Premium',
      memberCount: 0,
      detailsComplete: true,
    });
    const gone = envelope('access-group.created', { id: g.id }, uuid(503));
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(404, { error: 'Not found' }, headers(2));
    const [kept] = await appTester(hookOp('access_group_created').perform, hookBundle(gone));
    expect(kept).toMatchObject({
      accessGroupId: g.id,
      name: null,
      detailsComplete: false,
      detailsMissingReason: `Access group ${g.id} is gone from Sotion (deleted since the event). (X-Request-Id: req-2)`,
    });
  });

  describe('membership events', () => {
    const g = group(7, { name: 'Group 7', memberCount: 1 });
    const expected = {
      id: uuid(500),
      eventType: 'access-group.member.added',
      occurredAt: '2026-05-07T10:00:00.000Z',
      detailsComplete: true,
      detailsMissingReason: null,
      memberId: uuid(3),
      email: 'm3@example.com',
      accessGroupIds: [uuid(7)],
      accessGroupId: uuid(7),
      accessGroupName: 'Group 7',
      accessGroupType: 'custom',
      accessGroupMemberCount: 1,
    };

    it('objects payload: both member and group, no request', async () => {
      const raw = envelope('access-group.member.added', {
        memberId: uuid(3),
        accessGroupId: uuid(7),
        member: member(3),
        accessGroup: g,
      });
      const [item] = await appTester(added.perform, hookBundle(raw), true);
      expect(item).toMatchObject(expected);
      expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(added.sample).sort());
    });

    it('ids payload: the member and the group fetched, one request each', async () => {
      const raw = envelope('access-group.member.added', {
        memberId: uuid(3),
        accessGroupId: uuid(7),
      });
      api()
        .get(`${PREFIX}/members/${uuid(3)}`)
        .reply(200, { data: member(3) }, headers(1));
      api()
        .get(`${PREFIX}/access-groups/${uuid(7)}`)
        .reply(200, { data: g }, headers(2));
      const [item] = await appTester(added.perform, hookBundle(raw), true);
      expect(item).toMatchObject(expected);
      expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(added.sample).sort());
    });
  });
});

describe('lenient shapes', () => {
  it('an envelope without timestamp or data object; a member without any id', async () => {
    const raw = JSON.stringify({ id: 'e1', type: 'member.updated', data: 'text' });
    const [item] = await appTester(hookOp('member_updated').perform, hookBundle(raw), true);
    expect(item).toMatchObject({
      id: 'e1',
      occurredAt: null,
      memberId: null,
      email: null,
      detailsComplete: false,
      detailsMissingReason: 'The delivery names no member.',
    });
  });

  it('a group nested under accessGroup; a deleted group without fields; no group id at all', async () => {
    const nested = envelope('access-group.updated', { accessGroup: group(7), note: 'x' });
    const [item] = await appTester(
      hookOp('access_group_updated').perform,
      hookBundle(nested),
      true,
    );
    expect(item).toMatchObject({ accessGroupId: uuid(7), name: 'Group 7', note: 'x' });
    const empty = envelope('access-group.deleted', {});
    const [gone] = await appTester(hookOp('access_group_deleted').perform, hookBundle(empty), true);
    expect(gone).toMatchObject({ accessGroupId: null, name: null });
    const none = envelope('access-group.created', { description: 'd' });
    const [noId] = await appTester(hookOp('access_group_created').perform, hookBundle(none), true);
    expect(noId).toMatchObject({ accessGroupId: null, name: null, description: 'd' });
  });
});

describe('performList', () => {
  const listBundle = (inputData: Record<string, unknown> = {}) =>
    ({ authData: { apiKey: KEY }, inputData, meta: {} }) as never;
  const keysOf = (items: Array<Record<string, unknown>>) =>
    items.map((item) => Object.keys(item).sort());

  it('member triggers: the newest members with their groups, shaped like a delivery', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3), member(2)]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(2));
    api()
      .get(`${PREFIX}/members/${uuid(2)}`)
      .reply(200, { data: member(2, { lastLoginAt: '2026-05-05T00:00:00.000Z' }) }, headers(3));
    const op = hookOp('member_logged_in_or_out');
    const items = await appTester(op.performList, listBundle());
    expect(items.map((i) => [i.memberId, i.eventType, i.occurredAt])).toEqual([
      [uuid(3), 'member.auth', '2026-05-02T00:00:00.000Z'],
      [uuid(2), 'member.auth', '2026-05-05T00:00:00.000Z'],
    ]);
    expect(keysOf(items)).toEqual([Object.keys(op.sample).sort(), Object.keys(op.sample).sort()]);
  });

  it('member deleted: recent members as id and email', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3)]), headers(1));
    const op = hookOp('member_deleted');
    const items = await appTester(op.performList, listBundle());
    expect(items).toEqual([
      {
        id: uuid(3),
        eventType: 'member.deleted',
        occurredAt: '2026-05-02T00:00:00.000Z',
        detailsComplete: true,
        detailsMissingReason: null,
        memberId: uuid(3),
        email: 'm3@example.com',
      },
    ]);
    expect(keysOf(items)).toEqual([Object.keys(op.sample).sort()]);
  });

  it.each(['access_group_created', 'access_group_deleted'])(
    '%s: the newest groups',
    async (key) => {
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100' })
        .reply(200, pageOf([group(1), group(2)]), headers(1));
      const op = hookOp(key);
      const items = await appTester(op.performList, listBundle());
      expect(items.map((i) => i.accessGroupId)).toEqual([uuid(2), uuid(1)]);
      expect(keysOf(items)).toEqual([Object.keys(op.sample).sort(), Object.keys(op.sample).sort()]);
    },
  );

  it('membership: newest members, each with its first group', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3), member(2)]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(2));
    api()
      .get(`${PREFIX}/members/${uuid(2)}`)
      .reply(200, { data: member(2, { accessGroups: [] }) }, headers(3));
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(200, { data: group(7) }, headers(4));
    const items = await appTester(added.performList, listBundle());
    expect(items.map((i) => [i.id, i.memberId, i.accessGroupId, i.accessGroupName])).toEqual([
      [`${uuid(3)}:${uuid(7)}`, uuid(3), uuid(7), 'Group 7'],
    ]);
    expect(keysOf(items)).toEqual([Object.keys(added.sample).sort()]);
    expect(items.map((i) => [i.detailsComplete, i.detailsMissingReason])).toEqual([[true, null]]);
  });

  it('membership with the group filter: members of the chosen groups', async () => {
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([{ ...member(4), createdAt: undefined }]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(4)}`)
      .reply(200, { data: member(4, { accessGroups: [] }) }, headers(2));
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}`)
      .reply(200, { data: group(8) }, headers(3));
    const items = await appTester(added.performList, listBundle({ access_group_ids: [uuid(8)] }));
    expect(items.map((i) => [i.memberId, i.accessGroupId])).toEqual([[uuid(4), uuid(8)]]);
  });
});

describe('samples', () => {
  it('every shape has a sample with exactly its output fields', () => {
    for (const [shape, { sample, outputFields }] of Object.entries(SHAPES)) {
      const keys = new Set(outputFields.map((f) => f.key.split('[]')[0]));
      expect([shape, Object.keys(sample('x')).sort()]).toEqual([shape, [...keys].sort()]);
    }
    expect(SHAPES.member.sample('member.created')).toMatchObject({
      memberId: memberSample.id,
      eventType: 'member.created',
    });
  });
});

describe('performList edges', () => {
  const bare = (inputData: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    ({ authData: { apiKey: KEY }, inputData, meta: {}, ...extra }) as never;

  it('performList: member created uses updatedAt; objects without timestamps; members without groups', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3)]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3, { updatedAt: null, createdAt: null }) }, headers(2));
    const [item] = await appTester(created.performList, bare());
    expect(item).toMatchObject({ memberId: uuid(3), occurredAt: null });

    const groups = [uuid(8), uuid(9)];
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(4), member(5), member(6)]), headers(3));
    for (const n of [4, 5, 6]) {
      api()
        .get(`${PREFIX}/members/${uuid(n)}`)
        .reply(200, { data: member(n, { accessGroups: [] }) }, headers(n));
    }
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}`)
      .reply(200, { data: group(8) }, headers(9));
    const items = await appTester(added.performList, bare({ access_group_ids: groups }));
    expect(items.map((i) => i.memberId)).toEqual([uuid(4), uuid(5), uuid(6)]);
  });
});

/** The editor's test, with members that are in no group unless a test says so. */
const listMember = (n: number, over: Record<string, unknown> = {}) => ({
  id: uuid(n),
  email: `m${n}@example.com`,
  displayName: `Member ${n}`,
  status: 'active',
  verified: true,
  paid: false,
  registeredAt: '2026-05-01T00:00:00.000Z',
  lastLoginAt: null,
  createdAt: '2026-05-01T00:00:00.000Z',
  updatedAt: '2026-05-02T00:00:00.000Z',
  accessGroups: [] as Array<{ id: string; name: string }>,
  ...over,
});

const listBundle = (inputData: Record<string, unknown> = {}) =>
  ({ authData: { apiKey: KEY }, inputData, meta: {} }) as never;

const getsMember = (n: number, over: Record<string, unknown> = {}) =>
  api()
    .get(`${PREFIX}/members/${uuid(n)}`)
    .reply(200, { data: listMember(n, over) }, headers(n));

describe('member triggers', () => {
  it('a member event other than a login dates the member by updatedAt, not by lastLoginAt or createdAt', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([listMember(3)]), headers(1));
    getsMember(3, {
      lastLoginAt: '2026-05-05T00:00:00.000Z',
      updatedAt: '2026-05-03T00:00:00.000Z',
    });
    const items = await appTester(hookOp('member_updated').performList, listBundle());
    expect(items.map((i) => [i.id, i.memberId, i.eventType, i.occurredAt])).toEqual([
      [uuid(3), uuid(3), 'member.updated', '2026-05-03T00:00:00.000Z'],
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('group triggers', () => {
  it('read only the first page of groups, even when Sotion says more follow', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1), group(2)], uuid(2)), headers(1));
    const items = await appTester(hookOp('access_group_created').performList, listBundle());
    expect(items.map((i) => [i.id, i.accessGroupId, i.name])).toEqual([
      [uuid(2), uuid(2), 'Group 2'],
      [uuid(1), uuid(1), 'Group 1'],
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('membership triggers', () => {
  const added = hookOp('member_added_to_access_group');

  it('reads the chosen groups in turn until they give three members, then fetches only three', async () => {
    const members = (groupId: number, ns: number[]) =>
      api()
        .get(`${PREFIX}/access-groups/${uuid(groupId)}/members`)
        .query({ limit: '3' })
        .reply(200, pageOf(ns.map((n) => listMember(n))), headers(groupId));
    members(8, [4, 5]);
    members(9, [6, 10]);
    for (const n of [4, 5, 6]) getsMember(n);
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}`)
      .once()
      .reply(200, { data: group(8) }, headers(20));
    api()
      .get(`${PREFIX}/access-groups/${uuid(9)}`)
      .once()
      .reply(200, { data: group(9) }, headers(21));
    const items = await appTester(
      added.performList,
      listBundle({ access_group_ids: [uuid(8), uuid(9), uuid(11)] }),
    );
    expect(items.map((i) => [i.id, i.memberId, i.accessGroupId, i.accessGroupName])).toEqual([
      [`${uuid(4)}:${uuid(8)}`, uuid(4), uuid(8), 'Group 8'],
      [`${uuid(5)}:${uuid(8)}`, uuid(5), uuid(8), 'Group 8'],
      [`${uuid(6)}:${uuid(9)}`, uuid(6), uuid(9), 'Group 9'],
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
