import { perform } from '../../triggers/custom_access_group_choices';
import { cursorStore, mockCursorRpc } from '../cursor-rpc';
import { api, appTester, group, headers, makeBundle, pageOf, PREFIX } from '../helpers';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

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
