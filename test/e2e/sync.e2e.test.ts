import { parse } from 'csv-parse/sync';
import type { Behaviour } from '../../sandbox/decisions';
import type { Sandbox } from '../../sandbox/server';
import { makeGroup, makeMember, type SiteData } from '../../sandbox/store';
import { perform as syncMembers } from '../../creates/sync_access_group_members';
import type { SyncOutput } from '../../creates/sync_access_group_members';
import { appTester, messageOf, rejection } from '../tester';
import { mockStash } from '../stash-rpc';
import { configure, demoSite, e2eBundle, useSandbox } from './harness';

/**
 * Sync Access Group Members against the sandbox over real HTTP, under each answer Sotion might
 * give where its docs are silent (removing a member who is not in the group: 404 or 204; a
 * create's status: 201 or 200). After each step the sandbox's own state is checked: the group
 * holds exactly the list, the members it lost are still members of the site, and a dry run or a
 * guard that trips changed nothing and sent only reads.
 */
jest.setTimeout(60_000);

const variants: Array<[string, Partial<Behaviour>]> = [
  ['404 for a non-member, 201 creates', { removeNotInGroup: 404, createStatus: 201 }],
  ['204 for a non-member, 200 creates', { removeNotInGroup: 204, createStatus: 200 }],
];

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each(variants)('Sync Access Group Members against the sandbox: %s', (_name, behaviour) => {
  const sandbox = useSandbox({ behaviour });
  const site = (): SiteData => demoSite(sandbox());

  const keep = range(5).map((i) => `keep${i}@example.org`);
  const drop = range(4).map((i) => `drop${i}@example.org`);
  const join = range(3).map((i) => `join${i}@example.org`);
  const fresh = range(3).map((i) => `new${i}@example.org`);
  const BLOCKED = 'blocked@example.org';
  const list = [...keep, BLOCKED, ...join, ...fresh, 'broken@@example.org', keep[0]!.toUpperCase()];

  /** A fresh site: Gold holds keep*, blocked@ and drop*; join* are members of the site only. */
  const setUp = async () => {
    await fetch(`${sandbox().origin}/__sandbox/reset`, { method: 'POST', body: '{}' });
    await configure(sandbox(), { behaviour });
    const data = site();
    const inGold = [...keep, ...drop].map((email) => makeMember(email));
    const blocked = makeMember(BLOCKED, { status: 'blocked' });
    data.members.push(...inGold, blocked, ...join.map((email) => makeMember(email)));
    const gold = makeGroup('Gold', 'custom');
    data.groups.push(gold);
    data.memberships[gold.id] = [...inGold, blocked].map((m) => m.id);
    return gold.id;
  };

  const emailsIn = (groupId: string) => {
    const ids = new Set(site().memberships[groupId] ?? []);
    return site()
      .members.filter((m) => ids.has(m.id))
      .map((m) => m.email)
      .sort();
  };
  const sorted = (emails: string[]) => [...emails].sort();
  const wanted = sorted([...keep, BLOCKED, ...join, ...fresh]);

  const run = (groupId: string, input: Record<string, unknown> = {}) =>
    appTester(syncMembers, e2eBundle({ access_group_id: groupId, emails: list, ...input }), true);

  it('makes the group hold exactly the list; a second run changes nothing and reads only the list', async () => {
    const groupId = await setUp();
    sandbox().resetStats();
    const out = await run(groupId);
    expect(emailsIn(groupId)).toEqual(wanted);
    // Removed from the group, not from the site; nobody twice.
    for (const email of drop)
      expect(site().members.filter((m) => m.email === email)).toHaveLength(1);
    const all = site().members.map((m) => m.email);
    expect(new Set(all).size).toBe(all.length);
    expect(site().members.find((m) => m.email === BLOCKED)?.status).toBe('blocked');
    expect([out.unchangedCount, out.addedCount, out.createdCount, out.removedCount]).toEqual([
      6, 3, 3, 4,
    ]);
    expect([out.invalidCount, out.duplicateCount, out.failedCount]).toEqual([1, 1, 0]);
    expect(sandbox().stats.byRoute).toEqual({
      'GET /access-groups/:id': 1,
      'GET /access-groups/:id/members': 1,
      'POST /members/bulk': 1,
      // One page of the site's list finds the three cheaper than three look-ups.
      'GET /members': 1,
      'POST /access-groups/:id/members': 3,
      'DELETE /access-groups/:id/members/:id': 4,
    });
    expect(out.apiRequests).toBe(11);

    sandbox().resetStats();
    const again = await appTester(
      syncMembers,
      e2eBundle({ access_group_id: groupId, emails: list }),
    );
    expect(again.unchangedCount).toBe(12);
    expect(again.addedCount + again.createdCount + again.removedCount).toBe(0);
    expect(sandbox().stats.byRoute).toEqual({ 'GET /access-groups/:id/members': 1 });
    expect(emailsIn(groupId)).toEqual(wanted);
  });

  it('a dry run changes nothing, sends only reads, and reports what the real run then does', async () => {
    const groupId = await setUp();
    const before = JSON.stringify(site());
    sandbox().resetStats();
    const dry = await run(groupId, { dry_run: true });
    expect(JSON.stringify(site())).toBe(before);
    expect(Object.keys(sandbox().stats.byRoute).every((route) => route.startsWith('GET '))).toBe(
      true,
    );
    const real = await run(groupId);
    const plan = (out: SyncOutput) =>
      out.results.map((r) => [r.email, r.source, r.status, r.memberId]);
    // The dry run cannot know the ids of members it would create.
    expect(plan(dry).map(([e, s, status]) => [e, s, status])).toEqual(
      plan(real).map(([e, s, status]) => [e, s, status]),
    );
    expect(emailsIn(groupId)).toEqual(wanted);
  });

  it('the removal guard stops a truncated list before any write', async () => {
    const groupId = await setUp();
    // Nine members of Gold missing from a list of one: more than Max Removals.
    const before = JSON.stringify(site());
    sandbox().resetStats();
    const error = await rejection(
      appTester(
        syncMembers,
        e2eBundle({ access_group_id: groupId, emails: [keep[0]], max_removals: '5' }),
      ),
    );
    expect(messageOf(error)).toMatch(
      /^Sync Access Group Members stopped before changing anything: it would remove 9 members from "Gold"/,
    );
    expect(JSON.stringify(site())).toBe(before);
    expect(sandbox().stats.byRoute).toEqual({
      'GET /access-groups/:id': 1,
      'GET /access-groups/:id/members': 1,
    });
  });

  it('a member removed by someone else between two runs ends out of the group, not claimed when Sotion can tell', async () => {
    const groupId = await setUp();
    // A rate limit that stops the first run before its removals (the group, its list, 1 bulk,
    // a page of the site's list, 3 adds: 7 requests), in a window far longer than the run.
    await configure(sandbox(), { rateLimit: 7, rateWindowSeconds: 3_600 });
    const error = await rejection(run(groupId));
    expect(error.name).toBe('ThrottledError');
    expect(emailsIn(groupId)).toEqual(sorted([...wanted, ...drop]));
    // Someone takes drop0 out of Gold meanwhile; Zapier comes back after the window.
    const dropped = site().members.find((m) => m.email === drop[0])!.id;
    site().memberships[groupId] = site().memberships[groupId]!.filter((id) => id !== dropped);
    await configure(sandbox(), { rateLimit: 100_000, rateWindowSeconds: 60 });
    sandbox().resetStats();
    const out = await appTester(syncMembers, e2eBundle({ access_group_id: groupId, emails: list }));
    expect(sandbox().stats.byRoute).toEqual({
      'DELETE /access-groups/:id/members/:id': 4,
    });
    // Sotion's 404 says someone else removed drop0: the step does not claim it. A 204 cannot
    // tell, and counts as this step's removal.
    const gone = behaviour.removeNotInGroup === 404;
    expect(out.removedEmails).toEqual(gone ? drop.slice(1) : drop);
    expect(out.notInGroupEmails).toEqual(gone ? [drop[0]] : []);
    expect(out.failedCount).toBe(0);
    expect(emailsIn(groupId)).toEqual(wanted);
  });
});

/** Puts a file on the sandbox's file route (as a drive would serve it); returns its URL. */
const putFile = async (sandbox: Sandbox, name: string, body: string) => {
  const response = await fetch(
    `${sandbox.origin}/__sandbox/files?name=${encodeURIComponent(name)}`,
    { method: 'POST', headers: { 'content-type': 'text/csv' }, body },
  );
  expect(response.status).toBe(201);
  return ((await response.json()) as { url: string }).url;
};

describe('Sync Access Group Members from a CSV File the sandbox serves', () => {
  const sandbox = useSandbox();

  it('syncs the group to the sheet, reports unreadable rows by line, and stores the results file', async () => {
    const data = demoSite(sandbox());
    const members = range(120).map((i) => makeMember(`sheet${i}@example.org`));
    const leaving = makeMember('leaving@example.org');
    data.members.push(...members, leaving);
    const gold = makeGroup('Sheet Gold', 'custom');
    data.groups.push(gold);
    data.memberships[gold.id] = [...members.slice(0, 100), leaving].map((m) => m.id);
    const rows = [
      'Name;E-mail;Plan',
      ...members.map((m, i) => `Person ${i};${m.email};gold`),
      'Nobody;;gold',
      'Newcomer;newcomer@example.org;gold',
    ];
    const url = await putFile(sandbox(), 'segment.csv', `${rows.join('\r\n')}\r\n`);
    mockStash({ uploadUrl: `${sandbox().origin}/__sandbox/files/`, keyPrefix: 'sync' });
    const out = await appTester(
      syncMembers,
      e2eBundle({ access_group_id: gold.id, csv_file: url }),
    );
    expect(out).toMatchObject({
      total: 122,
      unchangedCount: 100,
      addedCount: 20,
      createdCount: 1,
      removedCount: 1,
      invalidCount: 1,
      failedCount: 0,
      removedEmails: ['leaving@example.org'],
      results_file: `${sandbox().origin}/__sandbox/files/sync-1.csv`,
    });
    expect(out.results.find((r) => r.status === 'invalid')?.source).toBe('CSV line 122');
    const ids = new Set(demoSite(sandbox()).memberships[gold.id]);
    const inGroup = demoSite(sandbox())
      .members.filter((m) => ids.has(m.id))
      .map((m) => m.email)
      .sort();
    expect(inGroup).toEqual([...members.map((m) => m.email), 'newcomer@example.org'].sort());
    // A sync names nobody: the sheet's Name column is not read.
    expect(
      demoSite(sandbox()).members.find((m) => m.email === 'newcomer@example.org')?.displayName,
    ).toBeNull();
    const stored = sandbox().files.stored.get('sync-1.csv');
    const lines = parse(stored?.body ?? Buffer.alloc(0), { bom: true }) as string[][];
    expect(lines).toHaveLength(124);
    expect(lines.at(-1)).toEqual([
      'access group (not in the list)',
      'leaving@example.org',
      'removed',
      leaving.id,
      'Not in the list; removed from the group.',
    ]);
  });

  it('a scope group is refused after its check, before any other request', async () => {
    const scope = demoSite(sandbox()).groups.find((g) => g.type === 'scope')!;
    sandbox().resetStats();
    const error = await rejection(
      appTester(syncMembers, e2eBundle({ access_group_id: scope.id, emails: ['a@example.org'] })),
    );
    expect(messageOf(error)).toMatch(
      /is a scope group, managed from a Notion collection; members cannot be added to or removed from it through the API\./,
    );
    expect(sandbox().stats.byRoute).toEqual({ 'GET /access-groups/:id': 1 });
  });
});
