import { perform as syncMembers } from '../../creates/sync_access_group_members';
import type { SyncOutput } from '../../creates/sync_access_group_members';
import { makeGroup, makeMember } from '../../sandbox/store';
import { appTester, messageOf } from '../tester';
import { configure, demoSite, e2eBundle, useSandbox } from './harness';

/**
 * A sync under a rate limit tighter than the work: each run may send PER_RUN requests (a window
 * far longer than the run, so the gate hands the step back at once); between runs Zapier waits
 * out the throttle, which the test stands in for by starting a new window. The group's list is
 * longer than one run can read, so the read itself goes on across runs, and nothing is written
 * before it is whole. The sync must converge within ceil(N / PER_RUN) + 1 runs, N being what
 * one run without a rate limit sends for the same sync from the same state.
 */
jest.setTimeout(120_000);

const PER_RUN = 20;
const WINDOW_SECONDS = 3_600;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const figures: string[] = [];
afterAll(() => {
  console.log(`sync replays under a rate limit (issue 19 §3):\n  ${figures.join('\n  ')}`);
});

describe('a throttled sync goes on where the last run stopped', () => {
  const sandbox = useSandbox({ rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });

  /**
   * A fresh site: Gold of `group` members (g{i}@), `existing` other members (x{i}@); the list is
   * the first `kept` of Gold, the existing ones and `fresh` new emails (n{i}@).
   */
  const setUp = async (group: number, kept: number, existing: number, fresh: number) => {
    await fetch(`${sandbox().origin}/__sandbox/reset`, { method: 'POST', body: '{}' });
    const site = demoSite(sandbox());
    const members = range(group).map((i) => makeMember(`g${i}@example.org`));
    const others = range(existing).map((i) => makeMember(`x${i}@example.org`));
    site.members.push(...members, ...others);
    const gold = makeGroup('Gold', 'custom');
    site.groups.push(gold);
    site.memberships[gold.id] = members.map((m) => m.id);
    const list = [
      ...range(kept).map((i) => `g${i}@example.org`),
      ...range(existing).map((i) => `x${i}@example.org`),
      ...range(fresh).map((i) => `n${i}@example.org`),
    ];
    return {
      groupId: gold.id,
      list,
      bundle: e2eBundle({ access_group_id: gold.id, emails: list }),
    };
  };

  const emailsIn = (groupId: string) => {
    const site = demoSite(sandbox());
    const ids = new Set(site.memberships[groupId] ?? []);
    return site.members.filter((m) => ids.has(m.id)).map((m) => m.email);
  };

  const scenario = async (name: string, ...sizes: [number, number, number, number]) => {
    // N: one run without a rate limit, from the same state.
    const free = await setUp(...sizes);
    await configure(sandbox(), { rateLimit: 1_000_000, rateWindowSeconds: WINDOW_SECONDS });
    sandbox().resetStats();
    await appTester(syncMembers, free.bundle, true);
    const needed = sandbox().stats.total;

    const { groupId, list, bundle } = await setUp(...sizes);
    await configure(sandbox(), { rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });
    const bound = Math.ceil(needed / PER_RUN) + 1;
    const requests: number[] = [];
    let out: SyncOutput | undefined;
    for (let run = 0; run < bound + 2 && !out; run += 1) {
      sandbox().resetStats();
      try {
        out = await appTester(syncMembers, bundle, run === 0);
      } catch (error) {
        expect([(error as Error).name, messageOf(error)]).toEqual([
          'ThrottledError',
          expect.stringMatching(/^Sotion's rate limit stopped Sync Access Group Members part way/),
        ]);
        // Nothing is written before the group's list is read whole.
        const writes = Object.entries(sandbox().stats.byRoute).filter(
          ([r]) => !r.startsWith('GET'),
        );
        if (requests.length === 0) expect(writes).toEqual([]);
        await configure(sandbox(), { rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });
      }
      requests.push(sandbox().stats.total);
    }
    figures.push(
      `${name}: ${needed} requests without a limit; at ${PER_RUN} a run: ${requests.length} runs ` +
        `(bound ${bound}${out ? '' : ', not converged'}), requests per run ${requests.join(', ')}`,
    );
    expect(out?.failedCount).toBe(0);
    expect(requests.length).toBeLessThanOrEqual(bound);
    expect(emailsIn(groupId).sort()).toEqual([...list].sort());
    return out;
  };

  it('a 2,500-member group, 100 not in the list, 50 to add and 50 to create', async () => {
    const out = await scenario(
      '2,500 in Gold, 100 removed, 50 added, 50 created',
      2_500,
      2_400,
      50,
      50,
    );
    expect([out?.unchangedCount, out?.addedCount, out?.createdCount, out?.removedCount]).toEqual([
      2_400, 50, 50, 100,
    ]);
  });

  it('a dry run of the same converges too, and changes nothing', async () => {
    const { bundle, groupId } = await setUp(2_500, 2_400, 50, 50);
    const before = emailsIn(groupId);
    const dry = e2eBundle({ ...(bundle.inputData as object), dry_run: true });
    let out: SyncOutput | undefined;
    let runs = 0;
    for (; runs < 10 && !out; runs += 1) {
      try {
        out = await appTester(syncMembers, dry, runs === 0);
      } catch (error) {
        expect((error as Error).name).toBe('ThrottledError');
        await configure(sandbox(), { rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });
      }
    }
    expect(emailsIn(groupId)).toEqual(before);
    expect([out?.unchangedCount, out?.addedCount, out?.createdCount, out?.removedCount]).toEqual([
      2_400, 50, 50, 100,
    ]);
    figures.push(`the same as a dry run: ${runs} runs`);
  });
});
