import { perform } from '../../searches/find_access_group';
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

const page = (items: ReturnType<typeof group>[], after?: string, next: string | null = null) =>
  api()
    .get(`${PREFIX}/access-groups`)
    .query(after ? { limit: '100', after } : { limit: '100' })
    .reply(200, pageOf(items, next), headers());

describe('find_access_group', () => {
  it('stops at the first page holding the exact name', async () => {
    const vip = group(2, { name: 'VIP' });
    page([group(1), vip], undefined, vip.id);
    expect(await appTester(perform, makeBundle({ name: ' VIP ' }))).toEqual([vip]);
  });

  it('pages through the groups; an exact match beats a case-insensitive one', async () => {
    const folded = group(1, { name: 'vip' });
    const exact = group(150, { name: 'VIP' });
    page([folded], undefined, folded.id);
    page([exact], folded.id);
    expect(await appTester(perform, makeBundle({ name: 'VIP' }))).toEqual([exact]);
  });

  it('falls back to one case-insensitive match after reading every page', async () => {
    const folded = group(3, { name: 'Vip' });
    page([group(1)], undefined, group(1).id);
    page([folded], group(1).id);
    expect(await appTester(perform, makeBundle({ name: 'VIP' }))).toEqual([folded]);
  });

  it('finds nothing: an empty list, not an error', async () => {
    page([group(1)]);
    expect(await appTester(perform, makeBundle({ name: 'VIP' }))).toEqual([]);
  });

  it('the type filter skips groups of the other type', async () => {
    const scope = group(1, { name: 'VIP', type: 'scope' });
    const custom = group(2, { name: 'vip' });
    page([scope, custom]);
    expect(await appTester(perform, makeBundle({ name: 'VIP', type: 'custom' }))).toEqual([custom]);
    page([custom]);
    expect(await appTester(perform, makeBundle({ name: 'VIP', type: 'scope' }))).toEqual([]);
  });

  it('several case-insensitive matches and no exact one is an error, not a guess', async () => {
    page([group(1, { name: 'vip' }), group(2, { name: 'Vip' })]);
    const error = await rejection(appTester(perform, makeBundle({ name: 'VIP' })));
    expect(messageOf(error)).toBe(
      '2 access groups match "VIP" when case is ignored ("vip", "Vip"), and none matches it ' +
        'exactly. Enter the name exactly as it is in Sotion.',
    );
  });

  it.each([
    [{}, 'Name is required: enter 1 to 100 characters, such as "Premium Members".'],
    [
      { name: 'n'.repeat(101) },
      'Name must be at most 100 characters; it has 101. Shorten it and try again.',
    ],
    [
      { name: 'VIP', type: 'all' },
      'Group Type must be one of its choices: "Custom groups (made in the dashboard or API)" or "Scope groups (made from a Notion collection)"; it was "all". Pick one from the dropdown.',
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toBe(message);
  });
});
