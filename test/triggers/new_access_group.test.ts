import { perform } from '../../triggers/new_access_group';
import { MAX_UNDATED_GROUPS } from '../../src/api/access-groups';
import type { AccessGroup } from '../../src/api/schemas';
import {
  api,
  appTester,
  group,
  headers,
  KEY,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';
import { useFastClock } from '../fast-clock';

/** Pages the code under test actually asked for (serve() counts them as they are answered). */
let pagesRead = 0;
beforeEach(() => {
  pagesRead = 0;
});

/** Serves `groups` in pages of 100 in the given order; every page must be read (helpers.ts). */
const serve = (groups: AccessGroup[]) => {
  let after: string | undefined;
  for (let i = 0, n = 0; i < groups.length || i === 0; i += 100, n += 1) {
    const items = groups.slice(i, i + 100);
    const last = i + 100 >= groups.length;
    const next = last ? null : (items[items.length - 1] as AccessGroup).id;
    api()
      .get(`${PREFIX}/access-groups`)
      .query(after ? { limit: '100', after } : { limit: '100' })
      .reply(
        200,
        () => {
          pagesRead += 1;
          return pageOf(items, next);
        },
        headers(`p${n}`),
      );
    if (next) after = next;
  }
};

const groups = (n: number) => Array.from({ length: n }, (_, i) => group(i + 1));
const ids = (list: AccessGroup[]) => list.map((g) => g.id);

describe('new_access_group', () => {
  it('newest first: reads one page only and returns at most 100, newest first', async () => {
    const all = groups(250).reverse();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf(all.slice(0, 100), all[99]?.id ?? null), headers());
    const result = await appTester(perform, makeBundle({}));
    expect(ids(result)).toEqual(ids(all.slice(0, 100)));
  });

  it('oldest first: walks every page and returns the newest 100, newest first', async () => {
    const all = groups(250);
    serve(all);
    const result = await appTester(perform, makeBundle({}));
    expect(pagesRead).toBe(3);
    expect(ids(result)).toEqual(ids([...all].reverse().slice(0, 100)));
  });

  describe('newest-first detection: a first page that is not plainly newest first is not trusted', () => {
    // The newest group of the site is on page 2. Trusting page 1 would stop there and miss it.
    const newest = group(500);
    const mixed: Array<[string, (page: AccessGroup[]) => AccessGroup[]]> = [
      [
        'newest first but for one pair out of order',
        (page) => {
          const out = [...page];
          [out[50], out[51]] = [out[51] as AccessGroup, out[50] as AccessGroup];
          return out;
        },
      ],
      [
        'oldest first but for the first two',
        (page) => [page[1] as AccessGroup, page[0] as AccessGroup, ...page.slice(2).reverse()],
      ],
      [
        'every createdAt the same',
        (page) => page.map((g) => ({ ...g, createdAt: '2025-12-01T00:00:00.000Z' })),
      ],
      [
        'newest first but one group without createdAt',
        (page) => page.map((g, i) => (i === 99 ? { ...g, createdAt: null } : g)),
      ],
    ];
    it.each(mixed)('%s: reads every page and finds the newest group', async (_label, shape) => {
      const firstPage = shape(groups(100).reverse());
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100' })
        .reply(200, pageOf(firstPage, (firstPage[99] as AccessGroup).id), headers());
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100', after: (firstPage[99] as AccessGroup).id })
        .reply(
          200,
          () => {
            pagesRead += 1;
            return pageOf([newest]);
          },
          headers(),
        );
      const result = await appTester(perform, makeBundle({}, { limit: 3 }));
      expect(pagesRead).toBe(1);
      expect(result[0]?.id).toBe(newest.id);
    });

    it('a single group on the first page shows no order: the next page is read', async () => {
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100' })
        .reply(200, pageOf([group(2)], group(2).id), headers());
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100', after: group(2).id })
        .reply(200, pageOf([newest]), headers());
      const result = await appTester(perform, makeBundle({}, { limit: 1 }));
      expect(ids(result)).toEqual([newest.id]);
    });
  });

  it('any other order: sorts by createdAt desc, id as tie-break, missing createdAt last, unique by id', async () => {
    const a = group(1, { createdAt: '2026-03-01T00:00:00.000Z' });
    const b = group(2, { createdAt: '2026-03-01T00:00:00.000Z' });
    const c = group(3, { createdAt: null });
    const d = group(4, { createdAt: '2026-04-01T00:00:00.000Z' });
    const e = group(5, { createdAt: 'not a date' });
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([a, c, d], a.id), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: a.id })
      .reply(200, pageOf([b, d, e], null), headers());
    const result = await appTester(perform, makeBundle({}));
    expect(ids(result)).toEqual([d.id, b.id, a.id, e.id, c.id]);
  });

  it('filters by type and honours bundle.meta.limit', async () => {
    const all = groups(6).map((g, i) => ({
      ...g,
      type: i % 2 ? ('scope' as const) : ('custom' as const),
    }));
    serve(all);
    const result = await appTester(perform, makeBundle({ type: 'scope' }, { limit: 2 }));
    expect(ids(result)).toEqual([all[5]?.id, all[3]?.id]);
  });

  it('newest first with a type filter reads on until it has enough of that type', async () => {
    const all = groups(250)
      .map((g, i) => ({ ...g, type: i === 10 ? ('scope' as const) : ('custom' as const) }))
      .reverse();
    serve(all);
    const result = await appTester(perform, makeBundle({ type: 'scope' }));
    expect(pagesRead).toBe(3);
    expect(ids(result)).toEqual([all[239]?.id]);
  });

  it('loading a sample reads one page and returns 3', async () => {
    const all = groups(150);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf(all.slice(0, 100), all[99]?.id ?? null), headers());
    const result = await appTester(perform, makeBundle({}, { isLoadingSample: true }));
    expect(ids(result)).toEqual(ids([all[99], all[98], all[97]] as AccessGroup[]));
  });

  it('seeding dedupe walks everything even when newest first, returning every id', async () => {
    const all = groups(230).reverse();
    serve(all);
    const result = await appTester(perform, makeBundle({}, { isPopulatingDedupe: true }));
    expect(pagesRead).toBe(3);
    expect(ids(result)).toEqual(ids(all));
  });

  it('an empty site gives an empty list', async () => {
    serve([]);
    expect(await appTester(perform, makeBundle({}))).toEqual([]);
  });

  it('fails clearly rather than return a list that could miss the newest groups', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '2500';
    try {
      const all = groups(300);
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100' })
        .reply(200, pageOf(all.slice(0, 100), all[99]?.id ?? null), headers());
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100', after: all[99]?.id })
        .delay(800)
        .reply(200, pageOf(all.slice(100, 200), all[199]?.id ?? null), headers());
      const error = await rejection(appTester(perform, makeBundle({})));
      expect(messageOf(error)).toMatch(
        /^Reading Sotion's access groups \(200 in 2 pages so far, and Sotion does not list them newest first\) did not fit in the time Zapier allows\./,
      );
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });

  it.each([
    [
      { type: 'secret' },
      'Group Type must be one of its choices: "Custom groups (made in the dashboard or API)" or "Scope groups (made from a Notion collection)"; it was "secret". Pick one from the dropdown.',
    ],
    [{ type: { a: 1 } }, 'Group Type must be text; it was {"a":1}.'],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toBe(message);
  });
  it('without createdAt on any group, returns every group so that no new one is missed', async () => {
    // 250 groups, undated: which are new cannot be known, so all are returned and Zapier's dedupe
    // (by id) triggers on the unseen ones. Before, the 100 highest ids came back.
    const all = groups(250).map((g) => ({ ...g, createdAt: null }));
    serve(all);
    const result = await appTester(perform, makeBundle({}));
    expect(result).toHaveLength(250);
    expect(new Set(ids(result))).toEqual(new Set(ids(all)));
    // The lowest id (what a "newest 100 by id" cut lost first) is there too.
    expect(ids(result)).toContain(all[0]?.id);
  });

  it('dated groups: the newest 100; undated ones: all of them, after the dated', async () => {
    const dated = groups(150);
    const undated = [group(900, { createdAt: null }), group(901, { createdAt: null })];
    serve([undated[0] as AccessGroup, ...dated, undated[1] as AccessGroup]);
    const result = await appTester(perform, makeBundle({}));
    expect(ids(result)).toEqual([
      ...ids([...dated].reverse().slice(0, 100)),
      ...ids([...undated].reverse()),
    ]);
  });

  it('a sample of undated groups is still 3 from the first page', async () => {
    const all = groups(150).map((g) => ({ ...g, createdAt: null }));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf(all.slice(0, 100), all[99]?.id ?? null), headers());
    const result = await appTester(perform, makeBundle({}, { isLoadingSample: true }));
    expect(result).toHaveLength(3);
  });

  it(`more than ${MAX_UNDATED_GROUPS.toLocaleString('en-US')} undated groups fail clearly instead of missing some`, async () => {
    const all = groups(MAX_UNDATED_GROUPS + 1).map((g) => ({ ...g, createdAt: null }));
    serve(all);
    const error = await rejection(appTester(perform, makeBundle({})));
    expect(messageOf(error)).toBe(
      "Sotion gives no creation time for 5,001 of this site's access groups, so this trigger " +
        'cannot tell which of them are new; it returns all of them for Zapier to pick out the ' +
        'new ones, which works for at most 5,000. Filter by Group Type if that helps, or ask ' +
        "Sotion support to fill in the groups' creation times.",
    );
  });

  it('refuses an unknown group type before any request', async () => {
    const error = await rejection(appTester(perform, makeBundle({ type: 'secret' })));
    expect(messageOf(error)).toBe(
      'Group Type must be one of its choices: "Custom groups (made in the dashboard or API)" or "Scope groups (made from a Notion collection)"; it was "secret". Pick one from the dropdown.',
    );
  });
});

const bundle = (inputData: Record<string, unknown> = {}) => ({
  authData: { apiKey: KEY },
  inputData: inputData as never,
});

describe('trigger edges', () => {
  // Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
  useFastClock();

  it('runs without bundle.meta', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)]), headers());
    const result = await appTester(perform, bundle());
    expect(result.map((g) => g.id)).toEqual([uuid(1)]);
  });
});
