import { parse } from 'csv-parse/sync';
import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { perform } from '../../creates/export_members';
import type { GroupMemberItem } from '../../src/api/schemas';
import {
  EXPORT_HEADER,
  EXPORT_MAX_AGE_MS,
  exportKey,
  exportMembers,
} from '../../src/files/member-export';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
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
  testerCache,
  uuid,
} from '../helpers';
import { listedMember } from '../member-fixtures';
import { mockStash, STASH_UPLOAD, type Upload } from '../stash-rpc';

/**
 * exportMembers (src/files/member-export.ts): the requests of an export, its rows, and the
 * progress it keeps across runs. Most tests run it through Export Members' perform
 * (creates/export_members.ts reads the Access Group input and calls it).
 */

const G1 = group(1, { name: 'Premium Members', memberCount: 2 });
const G2 = group(2, { name: 'Empty', memberCount: 0 });
const G3 = group(3, { name: 'Beta, Testers', memberCount: 1 });
const SCOPE = group(4, { name: 'Docs Collection', type: 'scope', memberCount: 5 });

const m1 = listedMember(1, { displayName: 'Ada Lovelace', paid: true, verified: true });
const m2 = listedMember(2, { displayName: null, paid: null, verified: null, status: 'blocked' });
const m3 = listedMember(3, { email: '=danger@example.com' });

/** A member as GET /access-groups/{id}/members lists it (no createdAt, updatedAt). */
const inGroup = (m: typeof m1): GroupMemberItem => {
  const { createdAt: _c, updatedAt: _u, ...rest } = m;
  return rest;
};

const rowsOf = (upload: Upload | undefined): string[][] =>
  parse(upload?.content ?? Buffer.alloc(0), { bom: true }) as string[][];

/** The cache as the app tester keeps it (core's in-memory stand-in for z.cache). */
const cache = (): Record<string, string> => testerCache.zcacheTestObj;

const NOW = Date.now();

/** What the export left in z.cache (the connection's shared rate ledger is not the export's). */
const isLedgerKey = (key: string) =>
  key.startsWith('sotion:rate:') || key.startsWith('sotion:step:');
const exportKeys = () => Object.keys(cache()).filter((key) => !isLedgerKey(key));

describe('exportMembers: one run', () => {
  it('exports the site: group list, member pages, each custom group with members; one row per member', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([G1, SCOPE, G2, G3]), headers(1));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([m3, m2], m2.id), headers(2));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: m2.id })
      .reply(200, pageOf([m1]), headers(3));
    groupListRead(G1.id).reply(200, pageOf([inGroup(m1), inGroup(m2)]), headers(4));
    groupListRead(G3.id).reply(200, pageOf([inGroup(m1)]), headers(5));
    const uploads = mockStash();

    const out = await appTester(perform, makeBundle({}));

    const date = new Date().toISOString().slice(0, 10);
    expect(out).toEqual({
      file: `${STASH_UPLOAD}stash-1.csv`,
      filename: `sotion-members-${date}.csv`,
      rowCount: 3,
      accessGroupId: null,
      accessGroupName: null,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      runs: 1,
      apiRequests: 5,
    });
    expect(uploads[0]?.filename).toBe(`sotion-members-${date}.csv`);
    expect(rowsOf(uploads[0])).toEqual([
      [...EXPORT_HEADER],
      ["'=danger@example.com", 'Member 3', 'active', 'false', 'false', m3.createdAt, ''],
      ['member2@example.com', '', 'blocked', '', '', m2.createdAt, 'Premium Members'],
      [
        'member1@example.com',
        'Ada Lovelace',
        'active',
        'true',
        'true',
        m1.createdAt,
        'Beta, Testers; Premium Members',
      ],
    ]);
    // Nothing is left behind in z.cache.
    expect(exportKeys()).toEqual([]);
  });

  it("exports one group: its pages are the rows (no Created dates), other custom groups' pages fill the column", async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([G1, G2, G3]), headers(1));
    groupListRead(G1.id).reply(200, pageOf([inGroup(m1), inGroup(m2)]), headers(2));
    groupListRead(G3.id).reply(200, pageOf([inGroup(m1), inGroup(m3)]), headers(3));
    const uploads = mockStash();

    const out = await appTester(perform, makeBundle({ access_group_id: G1.id.toUpperCase() }));

    expect(out).toMatchObject({
      filename: expect.stringMatching(/^sotion-members-premium-members-\d{4}-\d\d-\d\d\.csv$/),
      rowCount: 2,
      accessGroupId: G1.id,
      accessGroupName: 'Premium Members',
      runs: 1,
      apiRequests: 3,
    });
    expect(rowsOf(uploads[0]).slice(1)).toEqual([
      [
        'member1@example.com',
        'Ada Lovelace',
        'active',
        'true',
        'true',
        '',
        'Beta, Testers; Premium Members',
      ],
      ['member2@example.com', '', 'blocked', '', '', '', 'Premium Members'],
    ]);
  });

  it('exports a scope group (read-only groups can be read): the column shows only custom groups', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([SCOPE]), headers(1));
    groupListRead(SCOPE.id).reply(200, pageOf([inGroup(m1)]), headers(2));
    const uploads = mockStash();
    const out = await appTester(perform, makeBundle({ access_group_id: SCOPE.id }));
    expect(out).toMatchObject({ rowCount: 1, accessGroupName: 'Docs Collection', apiRequests: 2 });
    expect(rowsOf(uploads[0])[1]?.[6]).toBe('');
  });

  it('refuses a group that is not on the site after reading the whole list, and a value that is no ID before any request', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([G1]), headers(1));
    const missing = uuid(99);
    expect(
      messageOf(await rejection(appTester(perform, makeBundle({ access_group_id: missing })))),
    ).toBe(
      `Sotion has no access group ${missing} on this site (the access group list was read to the end): it may have been deleted. Pick the group from the dropdown, or leave Access Group empty to export every member.`,
    );
    expect(exportKeys()).toEqual([]);
    expect(
      messageOf(await rejection(appTester(perform, makeBundle({ access_group_id: 'Premium' })))),
    ).toMatch(/^Access Group must be a Sotion access group ID/);
  });

  it('skips a custom group deleted between the list and its pages', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([G1]), headers(1));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([m1]), headers(2));
    groupListRead(G1.id).reply(404, { error: 'Access group not found.' }, headers(3));
    const uploads = mockStash();
    expect(await appTester(perform, makeBundle({}))).toMatchObject({ rowCount: 1, apiRequests: 3 });
    expect(rowsOf(uploads[0])[1]?.[6]).toBe('');
  });
});

describe('exportMembers: across runs', () => {
  /** A deadline a test moves: `left` is what remainingMs() says. */
  class MovedDeadline extends Deadline {
    left = 25_000;
    override remainingMs(): number {
      return this.left;
    }
  }

  /** One run of the export with the given deadline (an ad-hoc run: it cannot stash a file). */
  const partRun = (deadline: Deadline, input: Record<string, unknown> = {}) =>
    appTester(
      async (z: ZObject, bundle: Bundle) =>
        exportMembers(
          new SotionClient(z, bundle, deadline),
          input.access_group_id as string | undefined,
        ),
      makeBundle(input),
    );

  it('saves what one run read, hands back a ThrottledError, and the next run goes on from there', async () => {
    const deadline = new MovedDeadline();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([G1]), headers(1));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(() => {
        // The run's time is nearly used up once this page arrives.
        deadline.left = 5_000;
        return [200, pageOf([m3, m2], m2.id), headers(2)];
      });
    const first = await rejection(partRun(deadline));
    expect(first.name).toBe('ThrottledError');
    expect(messageOf(first)).toMatch(
      /^Export Members has read 2 members so far in 1 run and is reading the members; it goes on when Zapier runs the step again in about \d+ seconds\.$/,
    );
    const saved = JSON.parse(cache()[exportKey(undefined)] ?? 'null') as {
      runs: number;
      cursor: string;
      phase: string;
      chunks: string[];
      requests: number;
    };
    expect(saved).toMatchObject({ runs: 1, phase: 'members', cursor: m2.id, requests: 2 });
    expect(saved.chunks).toHaveLength(1);

    // The next run: the rest of the members, then the group's pages, then the file.
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: m2.id })
      .reply(200, pageOf([m1]), headers(3));
    groupListRead(G1.id).reply(200, pageOf([inGroup(m1), inGroup(m3)]), headers(4));
    const uploads = mockStash();
    const out = await appTester(perform, makeBundle({}));
    expect(out).toMatchObject({
      rowCount: 3,
      runs: 2,
      apiRequests: 4,
      startedAt: expect.any(String),
    });
    expect(rowsOf(uploads[0]).map((row) => [row[0], row[6]])).toEqual([
      ['Email', 'Access Groups'],
      ["'=danger@example.com", 'Premium Members'],
      ['member2@example.com', ''],
      ['member1@example.com', 'Premium Members'],
    ]);
    expect(exportKeys()).toEqual([]);
  });

  it('goes on from any list: the group list, the members, a group for the column', async () => {
    const first = new MovedDeadline();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(() => {
        first.left = 5_000;
        return [200, pageOf([G1], G1.id), headers(1)];
      });
    expect(messageOf(await rejection(partRun(first)))).toMatch(
      /^Export Members has read 0 members so far in 1 run and is reading the access group list; /,
    );
    const second = new MovedDeadline();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: G1.id })
      .reply(200, pageOf([G3]), headers(2));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([m1, m3]), headers(3));
    groupListRead(G1.id).reply(() => {
      second.left = 5_000;
      return [200, pageOf([inGroup(m1)], m1.id), headers(4)];
    });
    expect(messageOf(await rejection(partRun(second)))).toMatch(
      /^Export Members has read 2 members so far in 2 runs and is reading the members of access group 1 of 2 for the Access Groups column; /,
    );
    groupListRead(G1.id, m1.id).reply(200, pageOf([inGroup(m3)]), headers(5));
    groupListRead(G3.id).reply(200, pageOf([inGroup(m3)]), headers(6));
    const uploads = mockStash();
    expect(await appTester(perform, makeBundle({}))).toMatchObject({
      rowCount: 2,
      runs: 3,
      apiRequests: 6,
    });
    expect(rowsOf(uploads[0]).map((row) => [row[0], row[6]])).toEqual([
      ['Email', 'Access Groups'],
      ['member1@example.com', 'Premium Members'],
      ["'=danger@example.com", 'Beta, Testers; Premium Members'],
    ]);
  });

  it('keeps what was read when Sotion throttles, and the replay asks for the next page only', async () => {
    api().get(`${PREFIX}/access-groups`).query({ limit: '100' }).reply(200, pageOf([]), headers(1));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([m1], m1.id), headers(2));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: m1.id })
      .reply(
        429,
        { error: 'Too many requests.' },
        headers(3, { 'retry-after': '60', 'x-ratelimit-remaining': '0' }),
      );
    const throttled = await rejection(appTester(perform, makeBundle({})));
    expect(throttled.name).toBe('ThrottledError');
    // Zapier replays after the delay it was given: by then the site's window has reset and the
    // turn the rate ledger gave this step has come (the ledger's own tests cover that wait).
    for (const key of Object.keys(cache())) if (isLedgerKey(key)) delete cache()[key];

    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100', after: m1.id })
      .reply(200, pageOf([m2]), headers(4));
    const uploads = mockStash();
    expect(await appTester(perform, makeBundle({}))).toMatchObject({
      rowCount: 2,
      runs: 2,
      apiRequests: 4,
    });
    expect(rowsOf(uploads[0]).map((row) => row[0])).toEqual([
      'Email',
      'member1@example.com',
      'member2@example.com',
    ]);
  });

  it('forgets progress on an error a replay would not fix, and starts over afterwards', async () => {
    api().get(`${PREFIX}/access-groups`).query({ limit: '100' }).reply(200, pageOf([]), headers(1));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(401, { error: 'Invalid API key.' }, headers(2));
    const error = await rejection(appTester(perform, makeBundle({})));
    expect(error.name).toBe('ExpiredAuthError');
    expect(exportKeys()).toEqual([]);
  });

  it('says so, and does not go on, when Zapier does not keep its progress', async () => {
    const deadline = new MovedDeadline();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(() => {
        deadline.left = 5_000;
        return [200, pageOf([G1], G1.id), headers(1)];
      });
    const error = await rejection(
      appTester(async (z: ZObject, bundle: Bundle) => {
        z.cache.set = async () => {
          throw new Error('The request is too large to be processed');
        };
        return exportMembers(new SotionClient(z, bundle, deadline), undefined);
      }, makeBundle({})),
    );
    expect(messageOf(error)).toBe(
      'Export Members could not save its progress at Zapier (The request is too large to be processed), so it cannot go on in a later run. Replay the step in a few minutes.',
    );
  });

  it('starts afresh when z.cache cannot be read, and stops between lists when time runs out', async () => {
    const deadline = new MovedDeadline();
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(() => {
        deadline.left = 5_000;
        return [200, pageOf([G1]), headers(1)];
      });
    const error = await rejection(
      appTester(async (z: ZObject, bundle: Bundle) => {
        z.cache.get = async () => {
          throw new Error('cache unavailable');
        };
        return exportMembers(new SotionClient(z, bundle, deadline), undefined);
      }, makeBundle({})),
    );
    expect(messageOf(error)).toMatch(
      /^Export Members has read 0 members so far in 1 run and is reading the members; /,
    );
    expect(JSON.parse(cache()[exportKey(undefined)] ?? 'null')).toMatchObject({
      phase: 'members',
      cursor: null,
      groups: [[G1.id, G1.name, G1.memberCount]],
      chunks: [],
    });
  });

  it('saves in parts of 2,000 rows while it reads, and the file holds every part', async () => {
    const many = Array.from({ length: 2_100 }, (_, i) => listedMember(10 + i));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([G1]), headers(1));
    let page = 0;
    const afters: Array<string | null> = [];
    api()
      .get(`${PREFIX}/members`)
      .query(true)
      .times(21)
      .reply((uri) => {
        afters.push(new URL(uri, 'https://x').searchParams.get('after'));
        const items = many.slice(page * 100, page * 100 + 100);
        page += 1;
        return [200, pageOf(items, page < 21 ? (items.at(-1)?.id ?? null) : null), headers(page)];
      });
    groupListRead(G1.id).reply(200, pageOf([inGroup(many[2_050] as typeof m1)]), headers(30));
    const uploads = mockStash();
    expect(await appTester(perform, makeBundle({}))).toMatchObject({
      rowCount: 2_100,
      runs: 1,
      apiRequests: 23,
    });
    expect(afters).toEqual([
      null,
      ...many
        .filter((_, i) => i % 100 === 99)
        .slice(0, 20)
        .map((m) => m.id),
    ]);
    const rows = rowsOf(uploads[0]);
    expect(rows.slice(1).map((row) => row[0])).toEqual(many.map((m) => m.email));
    expect(rows[2_051]?.[6]).toBe('Premium Members');
    expect(exportKeys()).toEqual([]);
  });

  it('starts over when a saved part is gone, or the progress is older than two hours', async () => {
    const key = exportKey(undefined);
    const state = (over: Record<string, unknown>) =>
      JSON.stringify({
        v: 1,
        groupId: null,
        startedAt: new Date(NOW).toISOString(),
        runs: 1,
        requests: 3,
        read: 100,
        phase: 'memberships',
        cursor: null,
        groups: [],
        target: null,
        index: 0,
        chunks: [`${key}:gone`],
        ...over,
      });
    await appTester(async (z: ZObject) => z.cache.set(key, JSON.parse(state({}))), makeBundle({}));
    const lost = await rejection(appTester(perform, makeBundle({})));
    expect(messageOf(lost)).toMatch(
      /^Export Members lost part of the progress it had saved at Zapier, so it starts over when Zapier runs the step again in about \d+ seconds\.$/,
    );
    expect(exportKeys()).toEqual([]);

    await appTester(
      async (z: ZObject) =>
        z.cache.set(
          key,
          JSON.parse(state({ startedAt: new Date(NOW - EXPORT_MAX_AGE_MS - 1).toISOString() })),
        ),
      makeBundle({}),
    );
    api().get(`${PREFIX}/access-groups`).query({ limit: '100' }).reply(200, pageOf([]), headers(1));
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '100' })
      .reply(200, pageOf([m1]), headers(2));
    mockStash();
    expect(await appTester(perform, makeBundle({}))).toMatchObject({
      rowCount: 1,
      runs: 1,
      apiRequests: 2,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
