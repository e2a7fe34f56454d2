import { perform } from '../../triggers/new_member';
import {
  api,
  appTester,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { listedMember } from '../member-fixtures';

const newest = (n: number) => Array.from({ length: n }, (_, i) => listedMember(n - i));

describe('new_member', () => {
  it('a poll is one request for the 100 newest, returned in Sotion order (newest first)', async () => {
    const members = newest(100);
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf(members, members[99]!.id), headers());
    const result = await appTester(perform, makeBundle({}));
    expect(result).toEqual(members);
  });

  it('honours a smaller bundle.meta.limit', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '10' })
      .reply(200, pageOf(newest(10)), headers());
    expect(await appTester(perform, makeBundle({}, { limit: 10 }))).toHaveLength(10);
  });

  it('editor samples read 3', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf(newest(3)), headers());
    expect(await appTester(perform, makeBundle({}, { isLoadingSample: true }))).toHaveLength(3);
  });

  it('seeding dedupe reads the same single page of 100', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf(newest(100), 'more'), headers());
    const result = await appTester(perform, makeBundle({}, { isPopulatingDedupe: true }));
    expect(result).toHaveLength(100);
  });

  it('a site without members gives an empty poll', async () => {
    api().get(`${PREFIX}/members`).query({ limit: '100' }).reply(200, pageOf([]), headers());
    expect(await appTester(perform, makeBundle({}))).toEqual([]);
  });

  it('an answer of the wrong shape is a clear error', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(
        200,
        { data: [{ id: 'x' }], pagination: { hasMore: false, nextCursor: null } },
        headers('s1'),
      );
    const error = await rejection(appTester(perform, makeBundle({})));
    expect(messageOf(error)).toMatch(
      /did not have the documented shape at "data\.0\.email".*req-s1/,
    );
  });
});
