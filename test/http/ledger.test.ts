import { ConnectionCache, type ScopedCache } from '../../src/http/cache';
import { Deadline } from '../../src/http/deadline';
import { GENERAL, latticeOf, leadMs, RateLedger, type Turn } from '../../src/http/ledger';
import { StepMemory } from '../../src/http/step-memory';
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
    // As core's z.cache: only JSON values, `undefined` anywhere refused.
    const encodable = (v: unknown): boolean =>
      v === null ||
      ['string', 'number', 'boolean'].includes(typeof v) ||
      (typeof v === 'object' && Object.values(v as object).every(encodable));
    if (!encodable(value)) throw new TypeError('Type is not JSON-encodable');
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
const SLOT = latticeOf(GENERAL, LIMIT, WINDOW).slotMs;

const setup = () => {
  const clock = { now: T0 };
  const cache = new FaithfulCache(clock);
  let n = 0;
  /** One try of a step: its ledger and its memory (the step's input names the memory). */
  const tryOf = (step = `step-${(n += 1)}`) => {
    const connection = new ConnectionCache({ cache });
    const memory = new StepMemory(connection, step, () => clock.now);
    const ledger = new RateLedger(connection, memory, () => clock.now, seeded(n), {});
    return { ledger, memory };
  };
  const ledger = (step?: string) => tryOf(step).ledger;
  const deadline = (budgetMs = 25_000) => new Deadline(budgetMs, clock.now);
  return { clock, cache, ledger, tryOf, deadline };
};

/** A run's first answer of a fresh window: learns the limit and the window's length. */
const learn = async (ledger: RateLedger, at: number) =>
  ledger.observe({ limit: LIMIT, remaining: LIMIT - 1, resetAtMs: at + WINDOW }, at);

/** Others used 15 of the window: the run starts pacing for everyone. */
const contend = async (ledger: RateLedger, at: number) => {
  await learn(ledger, at);
  await ledger.observe({ limit: LIMIT, remaining: 15, resetAtMs: at + WINDOW }, at);
};

const atOf = (turn: Turn) => (turn.kind === 'free' ? undefined : turn.at);

/** The most requests any window of `windowMs` holds. */
const busiest = (times: number[], windowMs: number) => {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i += 1) {
    while (sorted[i]! - sorted[j]! >= windowMs) j += 1;
    most = Math.max(most, i - j + 1);
  }
  return most;
};

describe('rate ledger', () => {
  it('a run alone on the site is not paced and costs three cache reads a try, none per request', async () => {
    const { ledger, deadline, clock, cache } = setup();
    const run = ledger();
    const turns: Turn[] = [await run.turn(deadline())];
    // Its step's memory, and the shared state (the limit learned and the general head).
    expect(cache.calls).toBe(3);
    for (let i = 2; i <= 10; i += 1) {
      await run.observe({ limit: LIMIT, remaining: LIMIT - i, resetAtMs: T0 + WINDOW }, clock.now);
      turns.push(await run.turn(deadline()));
    }
    expect(turns).toEqual(Array.from({ length: 10 }, () => ({ kind: 'free' })));
    expect(cache.calls).toBe(3);
  });

  it('once a run sees others using half the window, every run takes a slot of its own, spread over the windows the flood needs', async () => {
    const { ledger, deadline, clock } = setup();
    await contend(ledger(), clock.now);
    // 90 runs arrive, ten at a time claiming at the very same moment.
    const turns: Turn[] = [];
    for (let wave = 0; wave < 9; wave += 1)
      turns.push(
        ...(await Promise.all(Array.from({ length: 10 }, () => ledger().turn(deadline())))),
      );
    const times = turns.map(atOf) as number[];
    // Every run has a slot, each slot one run's; no window holds more than the limit allows.
    expect(new Set(times).size).toBe(90);
    expect(busiest(times, WINDOW)).toBeLessThanOrEqual(LIMIT);
    // The flood is spread over as many windows as it needs (about 3), not all at once.
    const last = Math.max(...times);
    expect(last - T0).toBeGreaterThan(2.5 * WINDOW);
    expect(last - T0).toBeLessThan(4.5 * WINDOW);
    // Runs whose slot is beyond what they can wait for go back to Zapier, to come back a fifth
    // of their time (5 s) before it, and wait the rest in the run.
    const back = turns.filter((t) => t.kind === 'handBack');
    expect(back.length).toBeGreaterThan(30);
    for (const t of back) {
      if (t.kind !== 'handBack') continue;
      const returnsAt = T0 + t.delaySeconds * 1000;
      expect(t.at - returnsAt).toBeGreaterThanOrEqual(5_000);
      expect(t.at - returnsAt).toBeLessThan(6_000);
    }
  });

  it('comes back a fifth of its time before its slot: 5 s for Zapier’s 25, 0.5 s for a 2.5-s run', () => {
    expect(leadMs(new Deadline(25_000, T0))).toBe(5_000);
    expect(leadMs(new Deadline(2_500, T0))).toBe(500);
    expect(leadMs(new Deadline(60_000, T0))).toBe(5_000);
  });

  it('a run that goes back keeps its slot: its next try waits for the same slot, not the back of the queue', async () => {
    const { tryOf, ledger, deadline, clock } = setup();
    await contend(ledger(), clock.now);
    await Promise.all(Array.from({ length: 40 }, () => ledger().turn(deadline())));
    const first = tryOf('the-step');
    const turn = await first.ledger.turn(deadline(5_000));
    expect(turn.kind).toBe('handBack');
    await first.ledger.keepTicket();
    // Others queue meanwhile.
    await Promise.all(Array.from({ length: 20 }, () => ledger().turn(deadline(5_000))));
    clock.now = atOf(turn)! - 4_000;
    expect(await ledger('the-step').turn(deadline())).toEqual({ kind: 'wait', at: atOf(turn) });
  });

  it('a replay that comes back after its slot takes the next spare slot, not the back of the queue', async () => {
    const { ledger, deadline, clock } = setup();
    await contend(ledger(), clock.now);
    const first = ledger('late-step');
    const turn = await first.turn(deadline(1_000));
    await first.keepTicket();
    // 150 runs queue behind it (five windows).
    for (let wave = 0; wave < 15; wave += 1)
      await Promise.all(Array.from({ length: 10 }, () => ledger().turn(deadline(1_000))));
    // Zapier runs it again 3 s after its slot.
    clock.now = atOf(turn)! + 3_000;
    const again = await ledger('late-step').turn(deadline());
    expect(again.kind).toBe('wait');
    // Within a window of now, not after the 150 runs (five windows on).
    expect(atOf(again)! - clock.now).toBeLessThanOrEqual(WINDOW * 1.02);
    expect(atOf(again)! - clock.now).toBeGreaterThanOrEqual(0);
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
    const turns: Turn[] = [];
    for (let wave = 0; wave < 12; wave += 1)
      turns.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, () => ledger().turn(deadline(600_000), LOGIN_LINK_SITE_LIMIT)),
        )),
      );
    const times = turns.map(atOf) as number[];
    expect(new Set(times).size).toBe(120);
    expect(busiest(times, 60_000)).toBeLessThanOrEqual(50);
  });

  it('while login links are in use, the general lane keeps a slot free for each: a link asked for later is not sent behind the queue', async () => {
    const { ledger, deadline, clock } = setup();
    await contend(ledger(), clock.now);
    // One link: the lane is in use from here.
    const link = await ledger().turn(deadline(), LOGIN_LINK_SITE_LIMIT);
    expect(link.kind).toBe('wait');
    // 200 runs claim the general lane (about 70 s of it).
    for (let wave = 0; wave < 20; wave += 1)
      await Promise.all(Array.from({ length: 10 }, () => ledger().turn(deadline())));
    // Links asked for now go at the lane's pace, within a few seconds, not after 70 s.
    const links: Turn[] = [];
    for (let i = 0; i < 5; i += 1)
      links.push(await ledger().turn(deadline(), LOGIN_LINK_SITE_LIMIT));
    const times = links.map(atOf) as number[];
    expect(Math.max(...times) - clock.now).toBeLessThan(15_000);
    expect(busiest([atOf(link)!, ...times], 60_000)).toBeLessThanOrEqual(50);
  });

  it('a 429 for paced requests moves every later turn past the window, and the refused run takes a spare slot', async () => {
    const { ledger, deadline, clock } = setup();
    await contend(ledger(), clock.now);
    for (let wave = 0; wave < 10; wave += 1)
      await Promise.all(Array.from({ length: 10 }, () => ledger().turn(deadline(60_000))));
    const refused = ledger();
    await refused.turn(deadline(60_000));
    await refused.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: T0 + 40_000, throttled: true },
      clock.now,
    );
    expect(atOf(await ledger().turn(deadline(600_000)))).toBeGreaterThanOrEqual(T0 + 40_000);
    // The refused run: the next spare slot after the reset, before the 100 queued runs' end.
    const retry = await refused.turn(deadline(600_000), undefined, T0 + 40_000);
    expect(atOf(retry)).toBeGreaterThanOrEqual(T0 + 40_000);
    expect(atOf(retry)).toBeLessThan(T0 + 40_000 + WINDOW * 1.02);
  });

  it('learns the window from fresh windows: the smallest bound seen, while no slot is claimed ahead', async () => {
    const { ledger, clock, cache } = setup();
    // X-RateLimit-Reset is in whole seconds: the first bound is up to a second long.
    await ledger().observe({ limit: LIMIT, remaining: LIMIT - 1, resetAtMs: T0 + 10_900 }, T0);
    clock.now = T0 + 10_050;
    await ledger().observe(
      { limit: LIMIT, remaining: LIMIT - 1, resetAtMs: T0 + 21_000 },
      T0 + 10_000,
    );
    const stored = () =>
      JSON.parse([...cache.entries.entries()].find(([k]) => k.endsWith(':state'))![1].value) as {
        params: { windowMs: number };
      };
    expect(stored().params).toMatchObject({ limit: LIMIT, windowMs: 10_050 });
    // Once slots are claimed ahead, a later bound does not change the slots under them.
    await contend(ledger(), clock.now);
    clock.now = T0 + 20_000;
    await ledger().observe(
      { limit: LIMIT, remaining: LIMIT - 1, resetAtMs: T0 + 30_000 },
      T0 + 19_990,
    );
    expect(stored().params.windowMs).toBe(10_050);
  });

  it('a step that goes back writes its turns and its progress in one entry, read once by its next try', async () => {
    const { tryOf, ledger, deadline, clock, cache } = setup();
    await contend(ledger(), clock.now);
    await Promise.all(Array.from({ length: 60 }, () => ledger().turn(deadline())));
    const first = tryOf('step-x');
    first.memory.progress.create_member = { conflict: {} };
    const turn = await first.ledger.turn(deadline(5_000));
    const before = cache.calls;
    await first.ledger.keepTicket();
    expect(cache.calls - before).toBe(1);
    clock.now = atOf(turn)! - 3_000;
    const next = tryOf('step-x');
    const calls = cache.calls;
    expect(await next.ledger.turn(deadline())).toEqual({ kind: 'wait', at: atOf(turn) });
    expect(next.memory.progress).toEqual({ create_member: { conflict: {} } });
    expect(cache.calls - calls).toBe(1);
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
    expect(cache.calls).toBe(2);
  });
});
