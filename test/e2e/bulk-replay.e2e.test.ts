import { perform as bulkAddMembers } from '../../creates/bulk_add_members';
import type { BulkOutput } from '../../src/bulk/output';
import { makeGroup, makeMember } from '../../sandbox/store';
import { appTester, messageOf } from '../tester';
import { configure, demoSite, e2eBundle, expectMembersInGroups, useSandbox } from './harness';

/**
 * Issue 17 §2: a bulk import that a rate limit stops part way must go on where it stopped when
 * Zapier replays the step after the ThrottledError it was handed. Each run may send PER_RUN
 * requests (a window far longer than the run, so the gate hands the step back at once); between
 * runs Zapier waits out the throttle, which the test stands in for by starting a new window. The
 * step must converge within ceil(N / PER_RUN) + 1 runs, N being what one run without a rate
 * limit sends for the same import from the same state.
 */
jest.setTimeout(120_000);

const PER_RUN = 20;
const WINDOW_SECONDS = 3_600;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const figures: string[] = [];
afterAll(() => {
  console.log(`bulk replays under a rate limit (issue 17 §2):\n  ${figures.join('\n  ')}`);
});

describe('a throttled bulk import goes on where the last run stopped', () => {
  const sandbox = useSandbox({ rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });

  /**
   * A fresh site: `existing` members (member{i}@), a custom group Gold of `gold` members, and,
   * when `inGold`, the existing members spread evenly through Gold's list.
   */
  const setUp = async (existing: number, gold: number, inGold: boolean) => {
    await fetch(`${sandbox().origin}/__sandbox/reset`, { method: 'POST', body: '{}' });
    const site = demoSite(sandbox());
    const emails = range(existing).map((i) => `member${i}@example.org`);
    const members = emails.map((email) => makeMember(email));
    const others = range(gold - (inGold ? existing : 0)).map((i) =>
      makeMember(`gold${i}@example.org`),
    );
    site.members.push(...others, ...members);
    const group = makeGroup('Gold', 'custom');
    site.groups.push(group);
    const ids = others.map((m) => m.id);
    if (inGold) {
      const every = Math.floor(gold / existing);
      members.forEach((m, i) => ids.splice(i * every + every - 1, 0, m.id));
    }
    site.memberships[group.id] = ids;
    return {
      emails,
      groupId: group.id,
      bundle: e2eBundle({ emails, access_group_ids: [group.id] }),
    };
  };

  const scenario = async (name: string, existing: number, gold: number, inGold: boolean) => {
    // N: one run without a rate limit, from the same state.
    const free = await setUp(existing, gold, inGold);
    await configure(sandbox(), { rateLimit: 1_000_000, rateWindowSeconds: WINDOW_SECONDS });
    sandbox().resetStats();
    await appTester(bulkAddMembers, free.bundle, true);
    const needed = sandbox().stats.total;

    const { emails, groupId, bundle } = await setUp(existing, gold, inGold);
    await configure(sandbox(), { rateLimit: PER_RUN, rateWindowSeconds: WINDOW_SECONDS });
    const bound = Math.ceil(needed / PER_RUN) + 1;
    const requests: number[] = [];
    let out: BulkOutput | undefined;
    for (let run = 0; run < bound + 2 && !out; run += 1) {
      sandbox().resetStats();
      try {
        out = await appTester(bulkAddMembers, bundle, run === 0);
      } catch (error) {
        expect([(error as Error).name, messageOf(error)]).toEqual([
          'ThrottledError',
          expect.stringMatching(/^Sotion's rate limit stopped Bulk Add Members part way/),
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
    expect(out?.failedCount).toBe(0);
    expect(requests.length).toBeLessThanOrEqual(bound);
    expectMembersInGroups(demoSite(sandbox()), emails, [groupId]);
  };

  it('100 existing members not in a 2,000-member group (its list longer than a run can read)', async () => {
    await scenario('100 existing, not in a 2,000-member Gold', 100, 2_000, false);
  });

  it('100 existing members already in a 3,000-member group, spread through its list', async () => {
    await scenario('100 existing, already in a 3,000-member Gold', 100, 3_000, true);
  });
});
