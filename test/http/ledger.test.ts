import { ConnectionCache, type ScopedCache } from '../../src/http/cache';
import { Deadline } from '../../src/http/deadline';
import { GENERAL, LEAD_MS, RateLedger, slotLength, type Turn } from '../../src/http/ledger';
import { LOGIN_LINK_SITE_LIMIT } from '../../src/api/members';

/**
 * Zapier's cache as the ledger needs it to be: `nx` stores only when the key is absent, entries
 * expire after their TTL, and every call is a round trip (a microtask here). createAppTester's
 * mock honours neither nx nor TTL, so the ledger is tested against this double.
 */
class FaithfulCache implements ScopedCache {
  readonly entries = new Map<string, { value: string; expiresAt: number }>();
  failing = false;
  calls = 0;
  constructor(private readonly clock: { now: number }) {}
  private live(key: string) {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock.now) this.entries.delete(key);
    return this.entries.get(key);
  }
  private async trip() {
    this.calls += 1;
    await Promise.resolve();
    if (this.failing) throw new Error('RPC request failed after 3 attempts');
  }
  async get(key: string, scope?: string[]) {
    await this.trip();
    const entry = this.live(`${String(scope)}|${key}`);
    return entry ? (JSON.parse(entry.value) as unknown) : null;
  }
  async set(key: string, value: unknown, ttl?: number, scope?: string[], nx?: boolean) {
    await this.trip();
    const at = `${String(scope)}|${key}`;
    if (nx && this.live(at)) return false;
    this.entries.set(at, {
      value: JSON.stringify(value),
      expiresAt: this.clock.now + (ttl ?? 86_400) * 1000,
    });
    return true;
  }
  async delete(key: string, scope?: string[]) {
    await this.trip();
    return this.entries.delete(`${String(scope)}|${key}`);
  }
}

/** Each run draws its own numbers, the same from test run to test run. */
const seeded = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

const T0 = 1_800_000_000_000;
/** 30 requests per 10 s, as learned from a fresh window's answer (reset exactly 10 s on). */
const LIMIT = 30;
const WINDOW = 10_000;
const SLOT = slotLength(LIMIT, WINDOW);

const setup = () => {
  const clock = { now: T0 };
  const cache = new FaithfulCache(clock);
  let n = 0;
  const ledger = (ticket = `ticket-${(n += 1)}`) =>
    new RateLedger(new ConnectionCache({ cache }), ticket, () => clock.now, seeded(n), {});
  const deadline = (budgetMs = 25_000) => new Deadline(budgetMs, clock.now);
  return { clock, cache, ledger, deadline };
};

/** A run's first answer of a fresh window: learns the limit and the window's length. */
const learn = async (ledger: RateLedger, at: number) =>
  ledger.observe({ limit: LIMIT, remaining: LIMIT - 1, resetAtMs: at + WINDOW }, at);

const atOf = (turn: Turn) => (turn.kind === 'free' ? undefined : turn.at);

describe('rate ledger', () => {
  it('a run alone on the site is not paced: its requests go at once', async () => {
    const { ledger, deadline, clock } = setup();
    const run = ledger();
    await learn(run, clock.now);
    for (let i = 2; i <= 10; i += 1)
      await run.observe({ limit: LIMIT, remaining: LIMIT - i, resetAtMs: T0 + WINDOW }, clock.now);
    expect(await run.turn(deadline())).toEqual({ kind: 'free' });
  });

  it('once a run sees others using half the window, every run takes a slot of its own, spread over the windows the flood needs', async () => {
    const { ledger, deadline, clock } = setup();
    const first = ledger();
    await learn(first, clock.now);
    // 15 used of 30, one of them its own: the others are using the window.
    await first.observe({ limit: LIMIT, remaining: 15, resetAtMs: T0 + WINDOW }, clock.now);
    // 90 runs arrive, ten at a time claiming at the very same moment.
    const turns: Turn[] = [];
    for (let wave = 0; wave < 9; wave += 1)
      turns.push(
        ...(await Promise.all(Array.from({ length: 10 }, () => ledger().turn(deadline())))),
      );
    const times = turns.map(atOf).sort((a, b) => a! - b!) as number[];
    // Every run has a slot, each slot one run's, the first after what the window had used.
    expect(new Set(times).size).toBe(90);
    expect(times[0]).toBeGreaterThanOrEqual(T0 + 15 * SLOT);
    // No window of the limit's length holds more than the limit allows.
    for (let i = 0; i + LIMIT < times.length; i += 1)
      expect(times[i + LIMIT]! - times[i]!).toBeGreaterThanOrEqual(WINDOW);
    // The flood is spread over as many windows as it needs (90 requests: about 3, after the 15 already used), not all at once.
    expect(times[89]! - T0).toBeGreaterThan(3 * WINDOW);
    expect(times[89]! - T0).toBeLessThan(4.5 * WINDOW);
    // Runs whose slot is beyond what they can wait for go back to Zapier until just before it.
    const back = turns.filter((t) => t.kind === 'handBack');
    expect(back.length).toBeGreaterThan(30);
    for (const t of back) {
      if (t.kind !== 'handBack') continue;
      const returnsAt = T0 + t.delaySeconds * 1000;
      expect(returnsAt).toBeLessThanOrEqual(t.at - LEAD_MS);
      expect(returnsAt).toBeGreaterThan(t.at - LEAD_MS - 1000);
    }
  });

  it('a run that goes back keeps its slot: its next try waits for the same slot, not the back of the queue', async () => {
    const { ledger, deadline, clock } = setup();
    const seed = ledger();
    await learn(seed, clock.now);
    await seed.observe({ limit: LIMIT, remaining: 0, resetAtMs: T0 + 60_000, throttled: true }, T0);
    const first = ledger('ticket-of-the-step');
    const turn = await first.turn(deadline(5_000));
    expect(turn.kind).toBe('handBack');
    await first.keepTicket();
    // Others queue meanwhile.
    await Promise.all(Array.from({ length: 20 }, () => ledger().turn(deadline(5_000))));
    clock.now = atOf(turn)! - 800;
    const again = ledger('ticket-of-the-step');
    expect(await again.turn(deadline())).toEqual({ kind: 'wait', at: atOf(turn) });
  });

  it('a plan reserves the requests that follow in a row with one turn', async () => {
    const { ledger, deadline, clock } = setup();
    const run = ledger();
    await learn(run, clock.now);
    await run.observe({ limit: LIMIT, remaining: 10, resetAtMs: T0 + WINDOW }, clock.now);
    run.plan(3);
    const first = await run.turn(deadline());
    const claims = run.claims;
    const second = await run.turn(deadline());
    const third = await run.turn(deadline());
    expect(run.claims).toBe(claims);
    expect([first, second, third].map((t) => t.kind)).toEqual(['wait', 'wait', 'wait']);
    expect(atOf(second)! - atOf(first)!).toBeGreaterThanOrEqual(SLOT);
    expect(atOf(third)! - atOf(second)!).toBeGreaterThanOrEqual(SLOT);
  });

  it('login links take turns on their own lane (50 a minute per site) even without contention', async () => {
    const { ledger, deadline } = setup();
    const turns = await Promise.all(
      Array.from({ length: 60 }, () => ledger().turn(deadline(600_000), LOGIN_LINK_SITE_LIMIT)),
    );
    const times = turns.map(atOf).sort((a, b) => a! - b!) as number[];
    expect(new Set(times).size).toBe(60);
    for (let i = 0; i + 50 < times.length; i += 1)
      expect(times[i + 50]! - times[i]!).toBeGreaterThanOrEqual(60_000);
  });

  it('a 429 for paced requests moves every later turn past the window', async () => {
    const { ledger, deadline, clock } = setup();
    const run = ledger();
    await learn(run, clock.now);
    await run.observe({ limit: LIMIT, remaining: 5, resetAtMs: T0 + WINDOW }, clock.now);
    await run.observe({ limit: LIMIT, remaining: 0, resetAtMs: T0 + 40_000, throttled: true }, T0);
    expect(atOf(await ledger().turn(deadline(60_000)))).toBeGreaterThanOrEqual(T0 + 40_000);
  });

  it('learns the window from fresh windows: the smallest bound seen', async () => {
    const { ledger, deadline, clock, cache } = setup();
    const run = ledger();
    // X-RateLimit-Reset is in whole seconds: the first bound is up to a second long.
    await run.observe({ limit: LIMIT, remaining: LIMIT - 1, resetAtMs: T0 + 10_900 }, T0);
    clock.now = T0 + 10_050;
    await ledger().observe(
      { limit: LIMIT, remaining: LIMIT - 1, resetAtMs: T0 + 21_000 },
      T0 + 10_000,
    );
    const stored = [...cache.entries.entries()].find(([k]) => k.endsWith(`:${GENERAL}`));
    expect(JSON.parse(stored![1].value)).toMatchObject({ limit: LIMIT, windowMs: 10_050 });
    void deadline;
  });

  it('without a working cache the run is not paced and does not fail', async () => {
    const { ledger, deadline, clock, cache } = setup();
    cache.failing = true;
    const run = ledger();
    await learn(run, clock.now);
    await run.observe({ limit: LIMIT, remaining: 1, resetAtMs: T0 + WINDOW }, clock.now);
    expect(await run.turn(deadline(), LOGIN_LINK_SITE_LIMIT)).toEqual({ kind: 'free' });
    expect(await run.turn(deadline())).toEqual({ kind: 'free' });
    await run.keepTicket();
    // One round of failed calls (its first reads go together), then the run stops asking.
    expect(cache.calls).toBe(3);
  });
});
