import App from '../../index';
import { floodTable, runFlood, type FloodResult } from '../../bench/flood';
import type { AppHandler } from '../../bench/zapier-double';
import { DEMO_KEY } from '../../sandbox/store';
import { useSandbox } from './harness';

jest.setTimeout(120_000);

// core exports createAppHandler (its Lambda handler) without a type.
const { createAppHandler } = jest.requireActual<{ createAppHandler: (app: object) => AppHandler }>(
  'zapier-platform-core',
);

/**
 * Issue 17 §1, scaled down: 40 sale runs within a second on a site allowing 10 requests a second
 * (the bench's 200 runs at 30 per 10 s, squeezed), each Create Member (update, Paid, into Gold)
 * then Create Login Link, replayed as Zapier replays a ThrottledError (after the delay it names,
 * whole seconds, 5 tries per step), z.cache served by a double that honours nx and TTL. A run may
 * spend 5 s inside Zapier, so most of the flood goes back to Zapier and comes back in turn.
 * Today's main code fails it: every waiting run comes back at each reset, about 1.5 rejected
 * requests per useful one (with 2.5 s a run, its returning buyers also run out of tries).
 */
const RATE = Number(process.env.FLOOD_RATE ?? 10);
const WINDOW = Number(process.env.FLOOD_WINDOW ?? 1);
const RUNS = Number(process.env.FLOOD_RUNS ?? 40);
const BUDGET = process.env.FLOOD_BUDGET ?? '5000';
const ARRIVAL = Number(process.env.FLOOD_ARRIVAL ?? 1000);

describe('flood: runs sharing a site limit take turns', () => {
  const sandbox = useSandbox({ rateLimit: RATE, rateWindowSeconds: WINDOW });
  let result: FloodResult;

  beforeAll(async () => {
    process.env.SOTION_RUN_BUDGET_MS = BUDGET;
    // The documented 50 login links a minute, scaled like the general limit (a link every 3.6
    // general slots, as at 30 per 10 s): 28 per 10 s. The sandbox keeps its own 50 a minute.
    process.env.SOTION_RATE_LOGIN_LINKS = '28/10';
    result = await runFlood({
      handler: createAppHandler(App),
      sandboxUrl: sandbox().url,
      apiKey: DEMO_KEY,
      runs: RUNS,
      returningShare: 0.2,
      blockedShare: 0.05,
      arrivalMs: ARRIVAL,
      tries: 5,
      rateLimit: RATE,
      rateWindowSeconds: WINDOW,
      cacheLatencyMs: 5,
      seed: 7,
      log: process.env.FLOOD_DEBUG ? (line) => process.stdout.write(`${line}\n`) : undefined,
    });
    if (process.env.FLOOD_DEBUG)
      for (const r of result.runs)
        process.stdout.write(
          `${r.buyer} ${r.ok} ${[r.createMember, r.loginLink]
            .map((s) =>
              s?.tries
                .map((t) => `${t.outcome}@${t.startedAt}+${t.ms}${t.delay ? `d${t.delay}` : ''}`)
                .join(' '),
            )
            .join(' | ')} ${r.failure ?? ''}\n`,
        );
    console.log(floodTable(result));
  });

  afterAll(() => {
    delete process.env.SOTION_RUN_BUDGET_MS;
    delete process.env.SOTION_RATE_LOGIN_LINKS;
  });

  // Issue 17 §1: at least 98% of runs succeed within 5 tries, returning buyers as often as new.
  it('every run succeeds within 5 tries, returning buyers as often as new ones', () => {
    expect(result.byBuyer.new.runs).toBeGreaterThan(0);
    expect(result.byBuyer.returning.runs).toBeGreaterThan(0);
    expect(result.byBuyer.new.ok).toBe(result.byBuyer.new.runs);
    expect(result.byBuyer.returning.ok).toBe(result.byBuyer.returning.runs);
    // A blocked buyer without Unblock If Blocked: the login link is refused with the clear 403.
    expect(result.byBuyer.blocked.runs).toBeGreaterThan(0);
    expect(result.byBuyer.blocked.ok).toBe(result.byBuyer.blocked.runs);
  });

  it('wastes little of the limit: at most 1 rejected request per useful request', () => {
    expect(result.rejectedPerUseful).toBeLessThanOrEqual(1);
  });

  it('every member exactly once, paid and in Gold; at most one login link per run', () => {
    expect(result.duplicates).toEqual({
      membersTwice: 0,
      runsWithTwoLinks: 0,
      maxLinksPerRun: 1,
    });
    expect(result.unfinishedMembers).toBe(0);
  });

  it('no try runs longer than Zapier allows', () => {
    expect(result.maxTryMs).toBeLessThan(30_000);
  });
});
