import { perform } from '../../searches/find_member';
import { memberOutput } from '../../src/zap/samples';
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
import { fullMember, listedMember } from '../member-fixtures';

const list = () => api().get(`${PREFIX}/members`);
const get = (id: string) => api().get(`${PREFIX}/members/${id}`);

describe('find_member', () => {
  it('by email: one exact look-up, then the member with its groups (2 requests)', async () => {
    const listed = listedMember(1, { email: 'ada@example.com' });
    const full = fullMember(1, [3, 4], { email: 'ada@example.com' });
    list()
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([listed]), headers());
    get(listed.id).reply(200, { data: full }, headers());
    const result = await appTester(perform, makeBundle({ email: '  Ada@Example.COM ' }));
    expect(result).toEqual([memberOutput(full)]);
    expect(result[0]?.accessGroupNames).toEqual(['Group 3', 'Group 4']);
  });

  it('by email, deleted between the look-up and the read of its groups: nothing found', async () => {
    const listed = listedMember(1, { email: 'ada@example.com' });
    list()
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([listed]), headers());
    get(listed.id).reply(404, { error: 'Member not found.' }, headers());
    expect(await appTester(perform, makeBundle({ email: 'ada@example.com' }))).toEqual([]);
  });

  it('a failed read of the groups other than 404 is still an error', async () => {
    const listed = listedMember(1, { email: 'ada@example.com' });
    list()
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([listed]), headers());
    get(listed.id).reply(403, { error: 'Forbidden' }, headers('f'));
    const error = await rejection(appTester(perform, makeBundle({ email: 'ada@example.com' })));
    expect(messageOf(error)).toMatch(/^Sotion refused access to member .*req-f/);
  });

  it('by email with Include Access Groups off: one request, empty group fields', async () => {
    const listed = listedMember(1, { email: 'ada@example.com' });
    list()
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([listed]), headers());
    const result = await appTester(
      perform,
      makeBundle({ email: 'ada@example.com', include_access_groups: 'false' }),
    );
    expect(result).toEqual([
      { ...listed, accessGroups: [], accessGroupIds: [], accessGroupNames: [] },
    ]);
  });

  it('by email with filters: sends them as Sotion documents them', async () => {
    list()
      .query({
        limit: '1',
        email: 'ada@example.com',
        status: 'blocked',
        paid: 'true',
        verified: 'false',
      })
      .reply(200, pageOf([]), headers());
    const result = await appTester(
      perform,
      makeBundle({ email: 'ada@example.com', status: 'blocked', paid: 'yes', verified: false }),
    );
    expect(result).toEqual([]);
  });

  it('ignores a listed member whose email is not exactly the one asked for', async () => {
    list()
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([listedMember(2, { email: 'ada.l@example.com' })]), headers());
    expect(await appTester(perform, makeBundle({ email: 'ada@example.com' }))).toEqual([]);
  });

  it('by id: one GET that already carries the groups', async () => {
    const full = fullMember(5, [1]);
    get(full.id).reply(200, { data: full }, headers());
    const result = await appTester(perform, makeBundle({ member_id: full.id.toUpperCase() }));
    expect(result).toEqual([memberOutput(full)]);
  });

  it('by id: an unknown id finds nothing (no error)', async () => {
    const id = listedMember(6).id;
    get(id).reply(404, { error: 'Not found' }, headers());
    expect(await appTester(perform, makeBundle({ member_id: id }))).toEqual([]);
  });

  it('by id: other errors still stop the step', async () => {
    const id = listedMember(6).id;
    get(id).reply(403, '', headers('f1'));
    const error = await rejection(appTester(perform, makeBundle({ member_id: id })));
    expect(messageOf(error)).toMatch(/^Sotion refused access to member .*req-f1/);
  });

  it.each([
    ['status', { status: 'blocked' }, false],
    ['paid', { paid: 'true' }, false],
    ['verified', { verified: 'false' }, true],
    ['the email', { email: 'member7@example.com' }, true],
    ['another email', { email: 'other@example.com' }, false],
    ['search text in the name', { q: 'MEMBER 7' }, true],
    ['search text that does not match', { q: 'grace' }, false],
  ])('by id: checks %s on the member read', async (_what, filters, found) => {
    const full = fullMember(7);
    get(full.id).reply(200, { data: full }, headers());
    const result = await appTester(perform, makeBundle({ member_id: full.id, ...filters }));
    expect(result.length).toBe(found ? 1 : 0);
  });

  it('by search text: one page of 100, best match first, then its groups', async () => {
    const newer = listedMember(10, { email: 'ada.byron@example.com', displayName: 'Ada Byron' });
    const prefix = listedMember(11, { email: 'lovelace@example.org', displayName: null });
    const exactName = listedMember(12, { email: 'al@example.com', displayName: 'Lovelace' });
    const exactEmail = listedMember(13, { email: 'lovelace', displayName: 'x' });
    list()
      .query({ limit: '100', q: 'Lovelace' })
      .reply(200, pageOf([newer, prefix, exactName, exactEmail]), headers());
    const full = fullMember(13, [2], { email: 'lovelace', displayName: 'x' });
    get(exactEmail.id).reply(200, { data: full }, headers());
    const result = await appTester(perform, makeBundle({ q: 'Lovelace' }));
    expect(result).toEqual([memberOutput(full)]);
  });

  it('by search text: ranks an exact name, then a prefix, then Sotion order', async () => {
    const inside = listedMember(20, { email: 'x-ada@example.com', displayName: null });
    const prefix = listedMember(21, { email: 'ada.k@example.com', displayName: null });
    const exactName = listedMember(22, { email: 'z@example.com', displayName: 'ADA' });
    list()
      .query({ limit: '100', q: 'ada' })
      .reply(200, pageOf([inside, prefix, exactName]), headers());
    const first = await appTester(perform, makeBundle({ q: 'ada', include_access_groups: false }));
    expect(first.map((m) => m.id)).toEqual([exactName.id]);

    list()
      .query({ limit: '100', q: 'ada' })
      .reply(200, pageOf([inside, prefix]), headers());
    const second = await appTester(perform, makeBundle({ q: 'ada', include_access_groups: false }));
    expect(second.map((m) => m.id)).toEqual([prefix.id]);

    list()
      .query({ limit: '100', q: 'ada' })
      .reply(200, pageOf([inside]), headers());
    const third = await appTester(perform, makeBundle({ q: 'ada', include_access_groups: false }));
    expect(third.map((m) => m.id)).toEqual([inside.id]);
  });

  it('email and search text together are both sent', async () => {
    list()
      .query({ limit: '1', email: 'ada@example.com', q: 'Ada' })
      .reply(200, pageOf([]), headers());
    expect(await appTester(perform, makeBundle({ email: 'ada@example.com', q: 'Ada' }))).toEqual(
      [],
    );
  });

  it.each([
    [
      {},
      'Find Member needs something to look for: One of Email, Member ID or Search Text is required. For example, map the email from the trigger into Email.',
    ],
    [
      { status: 'active', paid: 'true' },
      'Find Member needs something to look for: One of Email, Member ID or Search Text is required. For example, map the email from the trigger into Email.',
    ],
    [
      { email: 'ada@' },
      'Email must be an email such as ada@example.com; "ada@" is not (nothing comes after the @).',
    ],
    [
      { member_id: 'ada' },
      'Member ID must be a Sotion ID (a UUID such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); "ada" is not. Map the ID from an earlier step.',
    ],
    [
      { email: 'ada@example.com', status: 'gone' },
      'Status must be one of its choices: "Active" or "Blocked"; it was "gone". Pick one from the dropdown.',
    ],
    [
      { email: 'ada@example.com', paid: 'perhaps' },
      'Paid must be true or false (yes/no); it was "perhaps".',
    ],
    [
      { q: 'q'.repeat(256) },
      'Search Text must be at most 255 characters; it has 256. Shorten it and try again.',
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toBe(message);
  });
});
