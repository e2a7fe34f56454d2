import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { defineHookTrigger } from '../../../src/zap/hooks';
import { api, appTester, group, headers, KEY, pageOf, PREFIX, uuid } from '../../helpers';

/** The factory (src/zap/hooks/index.ts): a trigger made from a key, an event and a shape. */

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

describe('defineHookTrigger', () => {
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
