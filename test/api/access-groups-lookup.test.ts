import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { matchAccessGroupsByName } from '../../src/api/access-groups';
import { SotionClient } from '../../src/http/client';
import { perform as customChoices } from '../../triggers/custom_access_group_choices';
import { cursorStore, mockCursorRpc } from '../cursor-rpc';
import { api, appTester, group, headers, makeBundle, pageOf, PREFIX } from '../helpers';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

describe('access groups by name', () => {
  it('a name with surrounding spaces matches ignoring them and case, but is no exact match', async () => {
    const vip = group(1, { name: 'VIP' });
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(2), vip]), headers());
    const matches = await appTester(
      (z: ZObject, b: Bundle) => matchAccessGroupsByName(new SotionClient(z, b), '  vip '),
      makeBundle({}),
    );
    expect(matches).toEqual({ folded: [vip] });
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('custom group choices: the cursors kept for "Load more"', () => {
  afterEach(() => {
    delete process.env.ZAPIER_DEPLOY_KEY;
    cursorStore.clear();
  });

  it('keeps the next cursor and exactly the cursors followed past pages of scope groups', async () => {
    mockCursorRpc();
    const custom = group(3);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1, { type: 'scope' })], 'A'), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'A' })
      .reply(200, pageOf([custom], 'B'), headers());
    const first = await appTester(customChoices, makeBundle({}, { page: 0 }));
    expect(first).toEqual([custom]);
    expect([...cursorStore.values()]).toEqual([JSON.stringify({ after: 'B', seen: ['A'] })]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a first page with custom groups keeps its cursor and no cursor followed', async () => {
    mockCursorRpc();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)], 'A'), headers());
    expect(await appTester(customChoices, makeBundle({}, { page: 0 }))).toEqual([group(1)]);
    expect([...cursorStore.values()]).toEqual([JSON.stringify({ after: 'A', seen: [] })]);
  });
});
