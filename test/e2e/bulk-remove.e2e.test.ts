import type { Behaviour } from '../../sandbox/decisions';
import { makeGroup, makeMember, type SiteData } from '../../sandbox/store';
import {
  perform as bulkRemove,
  type BulkRemoveOutput,
} from '../../creates/bulk_remove_members_from_access_group';
import { appTester, clearCache, messageOf } from '../tester';
import { configure, demoSite, e2eBundle, putFile, useSandbox } from './harness';

/**
 * Bulk Remove Members From Access Group against the sandbox over real HTTP, under each answer
 * Sotion might give to removing a member who is not in the group (404 or an idempotent 204): the
 * outcomes must be the same, and the sandbox's group membership afterwards is checked. Then a
 * removal under a tight rate limit must converge across Zapier's replays.
 */
jest.setTimeout(120_000);

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const DELETE_ROUTE = 'DELETE /access-groups/:id/members/:id';

/**
 * A fresh demo site with a custom group Gold: `inGold` members (in0@…) spread through `gold`
 * members, `outside` members in Silver only (out0@…); in0@ is in Silver too.
 */
const setUp = async (
  origin: string,
  site: () => SiteData,
  gold: number,
  inGold: number,
  outside = 2,
) => {
  await fetch(`${origin}/__sandbox/reset`, { method: 'POST', body: '{}' });
  const goldGroup = makeGroup('Gold', 'custom');
  const silver = makeGroup('Silver', 'custom');
  site().groups.push(goldGroup, silver);
  const wanted = range(inGold).map((i) => makeMember(`in${i}@example.org`));
  const others = range(gold - inGold).map((i) => makeMember(`gold${i}@example.org`));
  const out = range(outside).map((i) => makeMember(`out${i}@example.org`));
  site().members.push(...others, ...wanted, ...out);
  const ids = others.map((m) => m.id);
  const every = Math.max(1, Math.floor(gold / Math.max(1, inGold)));
  wanted.forEach((m, i) => ids.splice(Math.min(ids.length, i * every + every - 1), 0, m.id));
  site().memberships[goldGroup.id] = ids;
  site().memberships[silver.id] = [...out.map((m) => m.id), ...wanted.slice(0, 1).map((m) => m.id)];
  return {
    goldId: goldGroup.id,
    silverId: silver.id,
    inEmails: wanted.map((m) => m.email),
    outEmails: out.map((m) => m.email),
    keep: others.map((m) => m.id),
  };
};

const variants: Array<[string, Partial<Behaviour>]> = [
  ['404 for a non-member', { removeNotInGroup: 404 }],
  ['204 for a non-member', { removeNotInGroup: 204 }],
];

describe.each(variants)('Bulk Remove Members From Access Group: %s', (_name, behaviour) => {
  const sandbox = useSandbox({ behaviour });
  const site = () => demoSite(sandbox());
  const idOf = (email: string) => site().members.find((m) => m.email === email)?.id ?? '';
  const inGroup = (groupId: string, email: string) =>
    (site().memberships[groupId] ?? []).includes(idOf(email));
  const run = (input: Record<string, unknown>) =>
    appTester(bulkRemove, e2eBundle(input)) as Promise<BulkRemoveOutput>;
  const statuses = (out: BulkRemoveOutput) => out.results.map((r) => [r.email, r.status]);

  it("the group's list path: removes exactly the members in the group, from it only", async () => {
    const { goldId, silverId, inEmails, outEmails, keep } = await setUp(
      sandbox().origin,
      site,
      40,
      5,
    );
    const csv = await putFile(
      sandbox(),
      'cancelled.csv',
      ['Email', inEmails[3], inEmails[4], 'nobody@example.org', 'broken@@example.org'].join('\n'),
    );
    sandbox().resetStats();
    const out = await run({
      access_group_id: goldId,
      emails: [inEmails.slice(0, 3).join(', '), ...outEmails, inEmails[0]?.toUpperCase()],
      csv_file: csv,
    });
    expect(statuses(out)).toEqual([
      ...inEmails.slice(0, 3).map((e) => [e, 'removed']),
      ...outEmails.map((e) => [e, 'not_in_group']),
      [inEmails[0], 'duplicate'],
      [inEmails[3], 'removed'],
      [inEmails[4], 'removed'],
      ['nobody@example.org', 'not_a_member'],
      ['broken@@example.org', 'invalid'],
    ]);
    // The group, its one page, a DELETE per member in it, and for the 3 others the site's list
    // (one page: fewer requests than a look-up each).
    expect(sandbox().stats.byRoute).toEqual({
      'GET /access-groups/:id': 1,
      'GET /access-groups/:id/members': 1,
      [DELETE_ROUTE]: 5,
      'GET /members': 1,
    });
    expect(out.apiRequests).toBe(8);
    // The sandbox: Gold holds exactly the others; the removed are still members, in Silver too.
    expect(site().memberships[goldId]).toEqual(keep);
    expect(inEmails.every((e) => idOf(e) !== '')).toBe(true);
    expect(inGroup(silverId, inEmails[0] ?? '')).toBe(true);
    expect(outEmails.every((e) => inGroup(silverId, e))).toBe(true);

    // The same step again (a replay): every outcome from the step memory, no request.
    sandbox().resetStats();
    const replay = await run({
      access_group_id: goldId,
      emails: [inEmails.slice(0, 3).join(', '), ...outEmails, inEmails[0]?.toUpperCase()],
      csv_file: csv,
    });
    expect(statuses(replay)).toEqual(statuses(out));
    expect(sandbox().stats.total).toBe(0);

    // Another step for the same members (no memory): they are not in the group any more, and
    // are never called removed, whatever Sotion answers to a DELETE of a non-member.
    clearCache();
    sandbox().resetStats();
    const later = await run({ access_group_id: goldId, emails: inEmails });
    expect(later.results.map((r) => r.status)).toEqual(inEmails.map(() => 'not_in_group'));
    expect(sandbox().stats.byRoute[DELETE_ROUTE]).toBeUndefined();
    expect(site().memberships[goldId]).toEqual(keep);
  });

  it('the look-up path: reads each member before a DELETE, and sends none for a member not in the group', async () => {
    const { goldId, inEmails, outEmails, keep } = await setUp(sandbox().origin, site, 600, 1);
    sandbox().resetStats();
    const out = await run({ access_group_id: goldId, emails: [inEmails[0], outEmails[0]] });
    expect(statuses(out)).toEqual([
      [inEmails[0], 'removed'],
      [outEmails[0], 'not_in_group'],
    ]);
    expect(sandbox().stats.byRoute).toEqual({
      'GET /access-groups/:id': 1,
      'GET /members?email': 2,
      'GET /members/:id': 2,
      [DELETE_ROUTE]: 1,
    });
    expect(site().memberships[goldId]).toEqual(keep);
  });
});

describe('Bulk Remove Members From Access Group under a tight rate limit converges across replays', () => {
  const PER_RUN = 20;
  const WINDOW_SECONDS = 3_600;
  const sandbox = useSandbox({ rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });
  const site = () => demoSite(sandbox());
  const figures: string[] = [];
  afterAll(() => {
    console.log(`bulk removal replays under a rate limit:\n  ${figures.join('\n  ')}`);
  });

  const scenario = async (name: string, gold: number, inGold: number, outside: number) => {
    const input = (s: Awaited<ReturnType<typeof setUp>>) =>
      e2eBundle({
        access_group_id: s.goldId,
        emails: [...s.inEmails, ...s.outEmails, 'nobody1@example.org', 'nobody2@example.org'],
      });
    // N: one run without a rate limit, from the same state.
    await configure(sandbox(), { rateLimit: 1_000_000, rateWindowSeconds: WINDOW_SECONDS });
    const free = await setUp(sandbox().origin, site, gold, inGold, outside);
    sandbox().resetStats();
    const once = (await appTester(bulkRemove, input(free), true)) as BulkRemoveOutput;
    const needed = sandbox().stats.total;
    expect(once.removedCount).toBe(inGold);

    const state = await setUp(sandbox().origin, site, gold, inGold, outside);
    await configure(sandbox(), { rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });
    const bound = Math.ceil(needed / PER_RUN) + 1;
    const requests: number[] = [];
    let out: BulkRemoveOutput | undefined;
    for (let run = 0; run < bound + 2 && !out; run += 1) {
      sandbox().resetStats();
      try {
        out = (await appTester(bulkRemove, input(state), run === 0)) as BulkRemoveOutput;
      } catch (error) {
        expect([(error as Error).name, messageOf(error)]).toEqual([
          'ThrottledError',
          expect.stringMatching(
            /^Sotion's rate limit stopped Bulk Remove Members From Access Group part way/,
          ),
        ]);
        // Zapier comes back after the delay it was given: a new window by then.
        await configure(sandbox(), { rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });
      }
      requests.push(sandbox().stats.total);
    }
    figures.push(
      `${name}: ${needed} requests without a limit; at ${PER_RUN} a run: ${requests.length} runs ` +
        `(bound ${bound}${out ? '' : ', not converged'}), requests per run ${requests.join(', ')}`,
    );
    expect(out).toMatchObject({
      removedCount: inGold,
      notInGroupCount: outside,
      notAMemberCount: 2,
      failedCount: 0,
    });
    expect(requests.length).toBeLessThanOrEqual(bound);
    expect(site().memberships[state.goldId]).toEqual(state.keep);
  };

  it('100 members spread through a 2,000-member group, 10 members outside it, 2 non-members', async () => {
    await scenario('100 of a 2,000-member Gold, 10 outside, 2 unknown', 2_000, 100, 10);
  });

  it('10 members of a 3,000-member group: its list is longer than the emails, so it is not read', async () => {
    await scenario('10 of a 3,000-member Gold, 2 outside, 2 unknown', 3_000, 10, 2);
  });
});
