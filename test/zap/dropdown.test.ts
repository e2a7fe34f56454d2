import type { Bundle, ZObject } from 'zapier-platform-core';
import { accessGroups } from '../../src/api/access-groups';
import { fetchPage } from '../../src/http/pagination';
import { cursorPage, readKept } from '../../src/zap/dropdown';
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

/** What each read was asked: the cursor and the cursors followed before it. */
let reads: Array<{ after: string | null; seen: string[] }> = [];

/** A dropdown of every access group, a page a request. */
const groupChoices = (z: ZObject, bundle: Bundle) =>
  cursorPage(z, bundle, 'access groups', async (client, after, seen) => {
    reads.push({ after, seen });
    const page = await fetchPage(client, accessGroups.list, { after });
    return {
      items: page.items.map((g) => g.id),
      nextCursor: page.nextCursor,
      requestId: page.requestId,
    };
  });

const choicesOn = (page: number) => appTester(groupChoices, makeBundle({}, { page }));
const stored = () => [...cursorStore.values()];

describe('readKept', () => {
  it('reads the cursor and the cursors followed; nothing kept is no page more', () => {
    expect(readKept(JSON.stringify({ after: 'B', seen: ['A', 7, 'C'] }))).toEqual({
      after: 'B',
      seen: ['A', 'C'],
    });
    expect(readKept(null)).toBeUndefined();
    expect(readKept('')).toBeUndefined();
  });

  it('anything else is a plain cursor, as earlier versions stored it', () => {
    expect(readKept('plain-cursor')).toEqual({ after: 'plain-cursor', seen: [] });
    expect(readKept('{"after":1,"seen":[]}')).toEqual({ after: '{"after":1,"seen":[]}', seen: [] });
    expect(readKept('{"after":"B"}')).toEqual({ after: '{"after":"B"}', seen: [] });
    expect(readKept('{"after":"B","seen":"A"}')).toEqual({
      after: '{"after":"B","seen":"A"}',
      seen: [],
    });
    expect(readKept('null')).toEqual({ after: 'null', seen: [] });
  });
});

describe('cursorPage', () => {
  beforeEach(() => {
    reads = [];
    mockCursorRpc();
  });
  afterEach(() => {
    delete process.env.ZAPIER_DEPLOY_KEY;
    cursorStore.clear();
  });

  it('page 0 starts from the top and keeps the next cursor with those followed', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)], 'A'), headers());
    expect(await choicesOn(0)).toEqual([group(1).id]);
    expect(reads).toEqual([{ after: null, seen: [] }]);
    expect(stored()).toEqual([JSON.stringify({ after: 'A', seen: [] })]);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'A' })
      .reply(200, pageOf([group(2)], 'B'), headers());
    expect(await choicesOn(1)).toEqual([group(2).id]);
    expect(reads[1]).toEqual({ after: 'A', seen: ['A'] });
    expect(stored()).toEqual([JSON.stringify({ after: 'B', seen: ['A'] })]);
  });

  it('after the last page the cursor is cleared, and a later page is empty without a request', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)]), headers());
    await choicesOn(0);
    expect(stored()).toEqual(['']);
    expect(await choicesOn(1)).toEqual([]);
    expect(reads).toHaveLength(1);
  });

  it('keeps the last 500 cursors followed, and the cursors the read followed itself', async () => {
    const many = Array.from({ length: 600 }, (_, i) => `c${i}`);
    // The run's cursor as an earlier page kept it (appTester's runs have no store key).
    cursorStore.set('no-store-key', JSON.stringify({ after: 'c600', seen: many }));
    const page = await appTester(
      (z: ZObject, bundle: Bundle) =>
        cursorPage(z, bundle, 'things', async (_client, after, seen) => {
          reads.push({ after, seen });
          return { items: ['x'], nextCursor: 'next', followed: ['skipped'] };
        }),
      makeBundle({}, { page: 3 }),
    );
    expect(page).toEqual(['x']);
    expect(reads[0]?.seen).toEqual([...many, 'c600']);
    const kept = JSON.parse(stored()[0] as string) as { after: string; seen: string[] };
    expect(kept.after).toBe('next');
    expect(kept.seen).toEqual([...many, 'c600', 'skipped'].slice(-500));
  });

  // Moved from test/triggers/custom_access_group_choices.test.ts.
  it('Load more stops with a clear error when a cursor comes round again on a later page', async () => {
    const [c1, c2, c3] = [group(1), group(2), group(3)];
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([c1], 'A'), headers());
    expect(await choicesOn(0)).toEqual([c1.id]);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'A' })
      .reply(200, pageOf([c2], 'B'), headers());
    expect(await choicesOn(1)).toEqual([c2.id]);
    // Page 3 hands back the cursor of page 2: before, "Load more" went on for ever.
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'B' })
      .reply(200, pageOf([c3], 'A'), headers('loop'));
    const error = await rejection(choicesOn(2));
    expect(messageOf(error)).toBe(
      'Sotion said more access groups follow but repeated the cursor A, so the list cannot be ' +
        'read to the end. Please report this to Sotion support. (X-Request-Id: req-loop)',
    );
  });

  it('a cursor stored as plain text (earlier versions) is still followed', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)], 'A'), headers());
    await choicesOn(0);
    for (const key of cursorStore.keys()) cursorStore.set(key, 'plain-cursor');
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'plain-cursor' })
      .reply(200, pageOf([group(2)]), headers());
    expect(await choicesOn(1)).toHaveLength(1);
  });
});
