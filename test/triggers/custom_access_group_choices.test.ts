import type { AccessGroup } from '../../src/api/schemas';
import { perform } from '../../triggers/custom_access_group_choices';
import { cursorStore, mockCursorRpc } from '../cursor-rpc';
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
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const ids = (list: AccessGroup[]) => list.map((g) => g.id);

describe('custom_access_group_choices (hidden dropdown trigger)', () => {
  afterEach(() => {
    delete process.env.ZAPIER_DEPLOY_KEY;
    cursorStore.clear();
  });

  it('lists custom groups only and pages with Load more, skipping pages of scope groups', async () => {
    mockCursorRpc();
    const c1 = group(1);
    const s2 = group(2, { type: 'scope' });
    const s3 = group(3, { type: 'scope' });
    const c4 = group(4);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([c1, s2], s2.id), headers());
    const first = await appTester(perform, makeBundle({}, { page: 0 }));
    expect(first.map((g) => g.id)).toEqual([c1.id]);

    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: s2.id })
      .reply(200, pageOf([s3], s3.id), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: s3.id })
      .reply(200, pageOf([c4]), headers());
    const second = await appTester(perform, makeBundle({}, { page: 1 }));
    expect(second.map((g) => g.id)).toEqual([c4.id]);

    const third = await appTester(perform, makeBundle({}, { page: 2 }));
    expect(third).toEqual([]);
  });

  it('Load more stops with a clear error when a cursor comes round again on a later page', async () => {
    mockCursorRpc();
    const [c1, c2, c3] = [group(1), group(2), group(3)];
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([c1], 'A'), headers());
    expect(ids(await appTester(perform, makeBundle({}, { page: 0 })))).toEqual([c1.id]);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'A' })
      .reply(200, pageOf([c2], 'B'), headers());
    expect(ids(await appTester(perform, makeBundle({}, { page: 1 })))).toEqual([c2.id]);
    // Page 3 hands back the cursor of page 2: before, "Load more" went on for ever.
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'B' })
      .reply(200, pageOf([c3], 'A'), headers('loop'));
    const error = await rejection(appTester(perform, makeBundle({}, { page: 2 })));
    expect(messageOf(error)).toBe(
      'Sotion said more access groups follow but repeated the cursor A, so the list cannot be ' +
        'read to the end. Please report this to Sotion support. (X-Request-Id: req-loop)',
    );
  });

  it('a cursor stored as plain text (earlier versions) is still followed', async () => {
    mockCursorRpc();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)], 'A'), headers());
    await appTester(perform, makeBundle({}, { page: 0 }));
    for (const key of cursorStore.keys()) cursorStore.set(key, 'plain-cursor');
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'plain-cursor' })
      .reply(200, pageOf([group(2)]), headers());
    expect(await appTester(perform, makeBundle({}, { page: 1 }))).toHaveLength(1);
  });

  it('works without bundle.meta (page 0)', async () => {
    mockCursorRpc();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)]), headers());
    const result = await appTester(perform, {
      authData: { apiKey: 'so_live_unit_test_key_0123456789' },
      inputData: {},
    });
    expect(result).toHaveLength(1);
  });
});
