import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { defineHookTrigger } from '../../src/zap/hooks';
import { api, appTester, group, headers, KEY, pageOf, PREFIX, uuid } from '../helpers';
import { hookOp } from './hook-helpers';

/** The editor's test ("Find new records") of the instant triggers. */

const member = (n: number, over: Record<string, unknown> = {}) => ({
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

type PerformList = (z: ZObject, bundle: Bundle) => Promise<Array<Record<string, unknown>>>;

const listBundle = (inputData: Record<string, unknown> = {}) =>
  ({ authData: { apiKey: KEY }, inputData, meta: {} }) as never;

const getsMember = (n: number, over: Record<string, unknown> = {}) =>
  api()
    .get(`${PREFIX}/members/${uuid(n)}`)
    .reply(200, { data: member(n, over) }, headers(n));

describe('member triggers', () => {
  it('a member event other than a login dates the member by updatedAt, not by lastLoginAt or createdAt', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3)]), headers(1));
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
        .reply(200, pageOf(ns.map((n) => member(n))), headers(groupId));
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

  it('a membership trigger without a group filter lists the newest members with their first group', async () => {
    const trigger = defineHookTrigger({
      key: 'membership_without_filter',
      noun: 'Membership',
      label: 'Membership Without Filter',
      description: 'Triggers when a member is added to an access group (instantly).',
      event: 'access-group.member.added',
      shape: 'membership',
    });
    // As Zapier calls it (hookOp does the same for the registered triggers).
    const { performList } = trigger.operation as unknown as { performList: PerformList };
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3)]), headers(1));
    getsMember(3, { accessGroups: [{ id: uuid(7), name: 'Group 7' }] });
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(200, { data: group(7) }, headers(2));
    const items = await appTester(
      (z: ZObject, bundle: Bundle) => performList(z, bundle),
      listBundle({ access_group_ids: [uuid(8)] }),
    );
    expect(items.map((i) => [i.id, i.memberId, i.accessGroupId])).toEqual([
      [`${uuid(3)}:${uuid(7)}`, uuid(3), uuid(7)],
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
