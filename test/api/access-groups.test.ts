import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { perform } from '../../triggers/new_access_group';
import { perform as customChoices } from '../../triggers/custom_access_group_choices';
import { cursorStore, mockCursorRpc } from '../cursor-rpc';
import { useFastClock } from '../fast-clock';
import {
  looksNewestFirst,
  matchAccessGroupsByName,
  MAX_UNDATED_GROUPS,
  newestAccessGroups,
  newestFirst,
} from '../../src/api/access-groups';
import type { AccessGroup } from '../../src/api/schemas';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
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

/** A run whose clock stands still: always exactly this much time left. */
class FrozenDeadline extends Deadline {
  constructor(private readonly leftMs: number) {
    super();
  }

  override remainingMs(): number {
    return this.leftMs;
  }
}

/** Serves the pages in order: each page's cursor is its last group's id. */
const servePages = (pages: AccessGroup[][]) => {
  let after: string | undefined;
  pages.forEach((items, n) => {
    const last = n === pages.length - 1;
    const next = last ? null : (items[items.length - 1] as AccessGroup).id;
    api()
      .get(`${PREFIX}/access-groups`)
      .query(after ? { limit: '100', after } : { limit: '100' })
      .reply(200, pageOf(items, next), headers(`p${n}`));
    if (next) after = next;
  });
};

/** Groups n..m, oldest first (createdAt grows with n). */
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => group(from + i));
const ids = (list: AccessGroup[]) => list.map((g) => g.id);

describe('newest access groups: reading order', () => {
  it('decides the order from the first page only: a later page served newest first does not stop the walk', async () => {
    // Page 1 is oldest first, so the list is not served newest first; page 2 happens to be
    // newest first within itself. The newest group of the site is on page 3.
    servePages([range(1, 100), range(101, 200).reverse(), [group(300)]]);
    const result = await appTester(perform, makeBundle({}, { limit: 1 }));
    expect(ids(result)).toEqual([group(300).id]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('seeding dedupe reads every page even when the first is newest first and fewer groups are wanted', async () => {
    servePages([range(1, 100).reverse(), [group(500)]]);
    const result = await appTester(
      (z: ZObject, b: Bundle) =>
        newestAccessGroups(new SotionClient(z, b), { max: 1, walkAll: true }),
      makeBundle({}),
    );
    expect(result).toEqual({ groups: [group(500)], pagesRead: 2, complete: true });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('keeps reading while exactly the reserved time is left', async () => {
    servePages([range(1, 100), range(101, 150)]);
    const result = await appTester(
      (z: ZObject, b: Bundle) =>
        newestAccessGroups(new SotionClient(z, b, new FrozenDeadline(10_000)), {
          max: 2,
          reserveMs: 10_000,
        }),
      makeBundle({}),
    );
    expect(result).toEqual({ groups: [group(150), group(149)], pagesRead: 2, complete: true });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('stops before the next page once less than the reserved time is left', async () => {
    const first = range(1, 100);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf(first, group(100).id), headers());
    const error = await rejection(
      appTester(
        (z: ZObject, b: Bundle) =>
          newestAccessGroups(new SotionClient(z, b, new FrozenDeadline(10_000)), {
            max: 2,
            reserveMs: 10_001,
          }),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      "Reading Sotion's access groups (100 in 1 pages so far, and Sotion does not list them " +
        'newest first) did not fit in the time Zapier allows. Returning only some would miss the ' +
        'newest groups, so this check stops here and Zapier will try again at the next poll. If ' +
        'it keeps happening, contact the integration maintainers.',
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it(`returns all of exactly ${MAX_UNDATED_GROUPS.toLocaleString('en-US')} undated groups`, async () => {
    const all = range(1, MAX_UNDATED_GROUPS).map((g) => ({ ...g, createdAt: null }));
    const pages = Array.from({ length: MAX_UNDATED_GROUPS / 100 }, (_, n) =>
      all.slice(n * 100, n * 100 + 100),
    );
    servePages(pages);
    const result = await appTester(perform, makeBundle({}));
    // Undated groups cannot be placed in time: highest id first.
    expect(ids(result)).toEqual(ids([...all].reverse()));
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('access groups by name', () => {
  // Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
  useFastClock();

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
  useFastClock();

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

describe('ordering', () => {
  it('newestFirst breaks ties by id, both ways', () => {
    const a = group(1, { createdAt: '2026-01-01T00:00:00Z' });
    const b = group(2, { createdAt: '2026-01-01T00:00:00Z' });
    expect([a, b].sort(newestFirst).map((g) => g.id)).toEqual([b.id, a.id]);
    expect([b, a].sort(newestFirst).map((g) => g.id)).toEqual([b.id, a.id]);
    expect(newestFirst(a, a)).toBe(0);
    expect(Math.sign(newestFirst(a, b))).toBe(1);
    expect(Math.sign(newestFirst(b, a))).toBe(-1);
  });

  it('newestFirst goes by createdAt before the id, and puts undated groups last', () => {
    // The newer group has the smaller id: only the dates can put it first.
    const newer = group(1, { createdAt: '2026-03-01T00:00:00Z' });
    const older = group(2, { createdAt: '2026-01-01T00:00:00Z' });
    const undated = group(3, { createdAt: null });
    expect([older, undated, newer].sort(newestFirst).map((g) => g.id)).toEqual([
      newer.id,
      older.id,
      undated.id,
    ]);
    expect([undated, newer, older].sort(newestFirst).map((g) => g.id)).toEqual([
      newer.id,
      older.id,
      undated.id,
    ]);
  });

  it('looksNewestFirst needs a strictly falling sequence with known dates', () => {
    expect(looksNewestFirst([group(3), group(2), group(1)])).toBe(true);
    expect(looksNewestFirst([group(3), group(3), group(2)])).toBe(true);
    expect(looksNewestFirst([group(1), group(2)])).toBe(false);
    expect(looksNewestFirst([group(1), group(1, { id: 'other' })])).toBe(false);
    expect(looksNewestFirst([group(2), group(1, { createdAt: null })])).toBe(false);
    expect(looksNewestFirst([group(1)])).toBe(false);
  });
});
