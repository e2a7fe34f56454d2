import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { accessGroups } from '../../src/api/access-groups';
import { groupMembers } from '../../src/api/group-members';
import type { z as zod } from 'zod';
import { SotionClient, type CallArgs, type Ok } from '../../src/http/client';
import type { Endpoint } from '../../src/http/endpoint';
import {
  clampLimit,
  fetchPage,
  MAX_EMPTY_PAGES,
  MAX_PAGES_PER_WALK,
  walkPages,
  type PageRequest,
} from '../../src/http/pagination';
import type { AccessGroup } from '../../src/api/schemas';
import {
  api,
  appTester,
  group,
  groupListRead,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';
import { listedMember } from '../member-fixtures';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const G = uuid(7);

/** Walks GET /access-groups to the end (or `stopAfter` pages): the ids of each page read. */
const walkGroups = (
  request: PageRequest<'/access-groups'> = { limit: 100 },
  stopAfter = Infinity,
) =>
  appTester(async (z: ZObject, bundle: Bundle) => {
    const pages: string[][] = [];
    for await (const page of walkPages(new SotionClient(z, bundle), accessGroups.list, request)) {
      pages.push(page.items.map((g) => g.id));
      if (pages.length >= stopAfter) break;
    }
    return pages;
  }, makeBundle({}));

describe('clampLimit', () => {
  it('keeps a page size within Sotion’s 1–100, whole, 100 when none is given', () => {
    expect([undefined, 0, -3, 1, 7.9, 100, 250].map(clampLimit)).toEqual([
      100, 1, 1, 1, 7, 100, 100,
    ]);
  });
});

describe('fetchPage', () => {
  it('asks for one page with the limit, the cursor and the query, and reads the pagination', async () => {
    const members = [listedMember(1), listedMember(2)];
    api()
      .get(`${PREFIX}/access-groups/${G}/members`)
      .query({ limit: '50', after: 'c1', q: 'ada' })
      .reply(200, pageOf(members, 'c2'), headers('f1'));
    const page = await appTester(
      (z: ZObject, bundle: Bundle) =>
        fetchPage(new SotionClient(z, bundle), groupMembers.list, {
          params: { groupId: G },
          after: 'c1',
          limit: 50,
          query: { q: 'ada' },
          seenCursors: ['c0'],
        }),
      makeBundle({}),
    );
    expect(page).toEqual({ items: members, hasMore: true, nextCursor: 'c2', requestId: 'req-f1' });
  });

  it('sends no cursor for the first page, and the whole page size without a limit', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)]), headers('f2'));
    const page = await appTester(
      (z: ZObject, bundle: Bundle) =>
        fetchPage(new SotionClient(z, bundle), accessGroups.list, { after: null }),
      makeBundle({}),
    );
    expect(page).toEqual({
      items: [group(1)],
      hasMore: false,
      nextCursor: null,
      requestId: 'req-f2',
    });
  });
});

describe('walkPages', () => {
  it('follows each cursor until a page says no more follow, one request a page', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '2' })
      .reply(200, pageOf([group(1), group(2)], 'A'), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '2', after: 'A' })
      .reply(200, pageOf([], 'B'), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '2', after: 'B' })
      .reply(200, pageOf([group(3)]), headers());
    expect(await walkGroups({ limit: 2 })).toEqual([[uuid(1), uuid(2)], [], [uuid(3)]]);
  });

  it('starts from the cursor given, and reads no page more than the consumer takes', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'S' })
      .reply(200, pageOf([group(1)], 'T'), headers());
    expect(await walkGroups({ limit: 100, after: 'S' }, 1)).toEqual([[uuid(1)]]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a cursor followed before the walk (its start, or one of seenCursors) counts as repeated', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: 'S' })
      .reply(200, pageOf([group(1)], 'S'), headers('r1'));
    expect(messageOf(await rejection(walkGroups({ limit: 100, after: 'S' })))).toBe(
      'Sotion said more access groups follow but repeated the cursor S, so the list cannot be ' +
        'read to the end. Please report this to Sotion support. (X-Request-Id: req-r1)',
    );
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)], 'E'), headers('r2'));
    expect(messageOf(await rejection(walkGroups({ limit: 100, seenCursors: ['D', 'E'] })))).toMatch(
      /repeated the cursor E, .*\(X-Request-Id: req-r2\)$/,
    );
  });

  it('names the list by its path parameters', async () => {
    groupListRead(G).reply(
      200,
      { data: [], pagination: { hasMore: true, nextCursor: null } },
      headers('n1'),
    );
    const error = await rejection(
      appTester(async (z: ZObject, bundle: Bundle) => {
        const pages = walkPages(new SotionClient(z, bundle), groupMembers.list, {
          params: { groupId: G },
        });
        for await (const page of pages) void page;
      }, makeBundle({})),
    );
    expect(messageOf(error)).toBe(
      `Sotion said more members of access group ${G} follow but gave no cursor, so the list ` +
        'cannot be read to the end. Please report this to Sotion support. (X-Request-Id: req-n1)',
    );
    expect(JSON.parse(error.message).code).toBe('bad_pagination');
  });
});

describe('walkPages: a broken cursor contract', () => {
  // Moved from test/triggers/new_access_group.test.ts, where the trigger's walk met them.
  it('stops with a clear error on a cursor that repeats or is missing', async () => {
    const all = [group(1), group(2), group(3)];
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([all[0] as AccessGroup], all[0]?.id ?? null), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: all[0]?.id })
      .reply(200, pageOf([all[1] as AccessGroup], all[0]?.id ?? null), headers('loop'));
    const error = await rejection(walkGroups());
    expect(messageOf(error)).toMatch(/repeated the cursor .*req-loop/);
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(
        200,
        { data: [all[0]], pagination: { hasMore: true, nextCursor: null } },
        headers('nocur'),
      );
    const missing = await rejection(walkGroups());
    expect(messageOf(missing)).toMatch(/gave no cursor.*req-nocur/);
  });

  it(`stops after ${MAX_EMPTY_PAGES} empty pages in a row that each promise more`, async () => {
    let sent = 0;
    api()
      .get(`${PREFIX}/access-groups`)
      .query(true)
      .times(50)
      .reply(() => {
        sent += 1;
        return [200, pageOf([], `cursor-${sent}`), headers(`empty${sent}`)];
      });
    const error = await rejection(walkGroups());
    expect(messageOf(error)).toBe(
      'Sotion said more access groups follow but sent 5 empty pages in a row, each with a new ' +
        'cursor, so the list cannot be read to the end. Please report this to Sotion support. ' +
        '(X-Request-Id: req-empty5)',
    );
    expect(sent).toBe(MAX_EMPTY_PAGES);
    nock.cleanAll();
  });

  // The page cap is walkPages' own rule: the client's answers are served by a spy here (1,000
  // answers through core and nock cost 17 s of CPU); the nock tests above cover the pipeline.
  it(`an empty page between full ones is fine; a list of more than ${MAX_PAGES_PER_WALK} pages stops`, async () => {
    const calls: unknown[] = [];
    const error = await rejection(
      appTester(async (z: ZObject, bundle: Bundle) => {
        const client = new SotionClient(z, bundle);
        jest
          .spyOn(client, 'call')
          .mockImplementation(
            async <S extends zod.ZodType, P extends string, E extends number>(
              ep: Endpoint<S, P, E>,
              args: CallArgs<P>,
            ): Promise<Ok<zod.output<S>>> => {
              calls.push(args.query);
              const sent = calls.length;
              const items = sent % 2 ? [] : [group(sent, { createdAt: null })];
              const body = pageOf(items, `cursor-${sent}`);
              return {
                ok: true,
                status: 200,
                data: ep.schema.parse(body),
                requestId: `req-p${sent}`,
              };
            },
          );
        for await (const page of walkPages(client, accessGroups.list, { limit: 100 })) void page;
      }, makeBundle({})),
    );
    expect(messageOf(error)).toBe(
      'Sotion said more access groups follow but 1,000 pages were read already (the most one ' +
        'step reads), so the list cannot be read to the end. Please report this to Sotion ' +
        'support. (X-Request-Id: req-p1000)',
    );
    expect(calls).toHaveLength(MAX_PAGES_PER_WALK);
    // Each page asks for the cursor the one before it gave.
    expect(calls[0]).toEqual({ limit: 100, after: undefined });
    expect(calls[999]).toEqual({ limit: 100, after: 'cursor-999' });
  });
});
