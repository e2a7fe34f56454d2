import { perform } from '../../triggers/member_choices';
import { cursorStore, mockCursorRpc } from '../cursor-rpc';
import { api, appTester, headers, makeBundle, pageOf, PREFIX } from '../helpers';
import { listedMember } from '../member-fixtures';

describe('member_choices (hidden dropdown trigger)', () => {
  afterEach(() => {
    delete process.env.ZAPIER_DEPLOY_KEY;
    cursorStore.clear();
  });

  it('lists 100 members a page and follows the cursor with Load more, one request a page', async () => {
    mockCursorRpc();
    const first = Array.from({ length: 100 }, (_, i) => listedMember(200 - i));
    const last = first[99]!;
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf(first, last.id), headers());
    expect(await appTester(perform, makeBundle({}, { page: 0 }))).toEqual(first);

    const rest = [listedMember(1)];
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: last.id })
      .reply(200, pageOf(rest), headers());
    expect(await appTester(perform, makeBundle({}, { page: 1 }))).toEqual(rest);

    // The last page left no cursor: no request.
    expect(await appTester(perform, makeBundle({}, { page: 2 }))).toEqual([]);
  });

  it('works without bundle.meta (page 0)', async () => {
    mockCursorRpc();
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([listedMember(1)]), headers());
    const result = await appTester(perform, {
      authData: { apiKey: 'so_live_unit_test_key_0123456789' },
      inputData: {},
    });
    expect(result).toHaveLength(1);
  });
});
