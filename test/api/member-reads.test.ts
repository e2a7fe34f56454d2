import nock from 'nock';
import { perform } from '../../searches/find_member';
import { memberOutput } from '../../src/zap/samples';
import { api, appTester, headers, makeBundle, pageOf, PREFIX } from '../helpers';
import { fullMember, listedMember } from '../member-fixtures';

const get = (id: string) => api().get(`${PREFIX}/members/${id}`);

describe('find member by id: the other criteria checked on the member read', () => {
  // fullMember(7): member7@example.com, "Member 7", active, not paid, not verified.
  it.each([
    ['the status it has', { status: 'active' }],
    ['the paid flag it has', { paid: 'false' }],
    ['search text found in its email only', { q: 'Member7@Example' }],
  ])('keeps the member on %s', async (_what, filters) => {
    const full = fullMember(7);
    get(full.id).reply(200, { data: full }, headers());
    const result = await appTester(perform, makeBundle({ member_id: full.id, ...filters }));
    expect(result).toEqual([memberOutput(full)]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('drops the member on a verified flag it does not have', async () => {
    const full = fullMember(7);
    get(full.id).reply(200, { data: full }, headers());
    expect(await appTester(perform, makeBundle({ member_id: full.id, verified: 'true' }))).toEqual(
      [],
    );
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('find member by search text: ranking', () => {
  it('a name starting with the text ranks above one only ending with it', async () => {
    const endsWith = listedMember(30, { email: 'g.hopper@example.com', displayName: 'Grace Ada' });
    const startsWith = listedMember(31, { email: 'a.king@example.com', displayName: 'Ada King' });
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', q: 'ada' })
      .reply(200, pageOf([endsWith, startsWith]), headers());
    const result = await appTester(
      perform,
      makeBundle({ q: 'ada', include_access_groups: 'false' }),
    );
    expect(result.map((m) => m.id)).toEqual([startsWith.id]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
