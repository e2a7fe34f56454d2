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
  /** Another run wins every slot this one tries (`nx` always refused). */
  refuseClaims = false;
  calls = 0;
  constructor(private readonly clock: { now: number }) {}
  private live(key: string) {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock.now) this.entries.delete(key);
    return this.entries.get(key);
  }
  /** Every call after this many fails (the cache goes down in the middle of a try). */
  failAfter = Infinity;
  private async trip() {
    this.calls += 1;
    await Promise.resolve();
    if (this.failing || this.calls > this.failAfter)
      throw new Error('RPC request failed after 3 attempts');
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
    if (nx && (this.refuseClaims || this.live(at))) return false;
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

const setup = (start = T0, env: NodeJS.ProcessEnv = {}) => {
  const clock = { now: start };
  const cache = new FaithfulCache(clock);
  let n = 0;
  /** One try of a step: its ledger and its memory (the step's input names the memory). */
  const tryOf = (step = `step-${(n += 1)}`) => {
    const connection = new ConnectionCache({ cache });
    const memory = new StepMemory(connection, step, () => clock.now);
    const ledger = new RateLedger(connection, memory, () => clock.now, seeded(n), env);
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

/**
 * A start on a boundary of both lattices used below (340-ms general slots, 30 to a window; 204-ms
 * lane slots for 5 a second), so that each rule gives round figures.
 */
const START = 1_800_000_007_800;
const BASE = START / SLOT;
const key = (name: string) => `auth|sotion:rate:v2:${name}`;

/** A run that saw others use half the window: from here every run of the site is paced. */
const paced = async (env: NodeJS.ProcessEnv = {}) => {
  const s = setup(START, env);
  await contend(s.ledger(), s.clock.now);
  return s;
};

type Setup = ReturnType<typeof setup>;

/** Cache calls from here on. */
const counted = (cache: FaithfulCache) => {
  const from = cache.calls;
  return () => cache.calls - from;
};

const stateOf = (cache: FaithfulCache) =>
  JSON.parse(cache.entries.get(key('state'))!.value) as {
    params?: { limit: number; windowMs: number; freshAt?: number };
    active?: Record<string, { at: number; count: number; windowMs: number }>;
  };

/** Stores an entry as another run would have (no expiry). */
const put = (cache: FaithfulCache, name: string, value: unknown) =>
  cache.entries.set(key(name), { value: JSON.stringify(value), expiresAt: Infinity });

/** General slots (numbered from START) another run holds. */
const takenSlots = (s: Setup, slots: number[]) => {
  for (const i of slots) put(s.cache, `general:340:${BASE + i}`, 'x');
};

/** Login-link slots at 5 a second (204 ms, numbered from START) another run holds. */
const takenLane = (s: Setup, slots: number[]) => {
  for (const i of slots) put(s.cache, `login-links:204:${START / 204 + i}`, 'x');
};

const LINKS = LOGIN_LINK_SITE_LIMIT;

/** A step that went back holding slot 15, with `queued` runs queued behind it. */
const behindQueue = async (queued = 100) => {
  const s = await paced();
  const first = s.ledger('late');
  expect(atOf(await first.turn(new Deadline(1_000, START)))).toBe(START + 15 * SLOT);
  await first.keepTicket();
  for (let i = 0; i < queued; i += 1) await s.ledger().turn(new Deadline(1_000, START));
  return s;
};

describe('rate ledger rules', () => {
  it('has the slots its limit allows: 2% wider than the window, the last of every limit spare, 1% tolerance either side', () => {
    expect(latticeOf('x', 30, 10_000)).toEqual({
      lane: 'x',
      slotMs: 340,
      per: 30,
      toleranceMs: 100,
    });
    expect(latticeOf('x', 3, 1_000)).toEqual({ lane: 'x', slotMs: 340, per: 3, toleranceMs: 10 });
    // Too few slots to spare one; a limit of 0 is taken as 1.
    expect(latticeOf('x', 2, 1_000)).toEqual({ lane: 'x', slotMs: 510, per: 0, toleranceMs: 10 });
    expect(latticeOf('x', 0, 1_000).slotMs).toBe(1_020);
  });

  it('comes back at least 0.3 s before its slot, a fifth of its time rounded down', () => {
    expect(leadMs(new Deadline(1_000, T0))).toBe(300);
    expect(leadMs(new Deadline(1_503, T0))).toBe(300);
    expect(leadMs(new Deadline(2_507, T0))).toBe(501);
  });

  it('a paced run claims the first slot after the head, under its own key, and writes the head', async () => {
    const { ledger, deadline, cache } = await paced();
    // Others used 15 of 30: the head is where the 15 left go (15 slots before the reset).
    expect(JSON.parse(cache.entries.get(key('head'))!.value)).toEqual({ head: START + 4_900 });
    expect(await ledger().turn(deadline())).toEqual({ kind: 'wait', at: START + 15 * SLOT });
    // The slot's key lives 2 minutes past the slot (whole seconds, rounded up).
    expect(cache.entries.get(key(`general:340:${BASE + 15}`))!.expiresAt).toBe(START + 126_000);
    expect(JSON.parse(cache.entries.get(key('head'))!.value)).toEqual({ head: START + 15 * SLOT });
    expect(cache.entries.get(key('head'))!.expiresAt).toBe(START + 900_000);
    expect(JSON.parse(cache.entries.get(key('state'))!.value)).toEqual({
      params: { limit: LIMIT, windowMs: WINDOW, freshAt: START },
    });
    expect(cache.entries.get(key('state'))!.expiresAt).toBe(START + 900_000);
    // The runs after it queue one slot each, past the spare slot (the 30th).
    const times: (number | undefined)[] = [];
    for (let i = 0; i < 14; i += 1) times.push(atOf(await ledger().turn(deadline())));
    expect(times.map((t) => (t! - START) / SLOT)).toEqual([
      16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30,
    ]);
  });

  it('waits in the run for a slot that leaves it a second, else goes back until a lead before it (1 s at least)', async () => {
    const slotAt = START + 15 * SLOT;
    // 5.1 s away: a budget of 6.1 s is enough; 1 ms less is not, and it comes back 3 s later
    // (5.1 s less the lead of 1.2 s, in whole seconds).
    expect(await (await paced()).ledger().turn(new Deadline(6_100, START))).toEqual({
      kind: 'wait',
      at: slotAt,
    });
    expect(await (await paced()).ledger().turn(new Deadline(6_099, START))).toEqual({
      kind: 'handBack',
      at: slotAt,
      delaySeconds: 3,
    });
    const late = await paced();
    late.clock.now = START + 4_500;
    expect(await late.ledger().turn(new Deadline(1_000, late.clock.now))).toEqual({
      kind: 'handBack',
      at: slotAt,
      delaySeconds: 1,
    });
  });

  it('a replay within the tolerance keeps its slot; a millisecond later it takes the next spare slot', async () => {
    const s = await behindQueue();
    s.clock.now = START + 15 * SLOT + 100;
    expect(await s.ledger('late').turn(s.deadline())).toEqual({
      kind: 'wait',
      at: START + 15 * SLOT,
    });
    const t = await behindQueue();
    t.clock.now = START + 15 * SLOT + 101;
    const replay = t.ledger('late');
    expect(await replay.turn(t.deadline())).toEqual({ kind: 'wait', at: START + 29 * SLOT });
    expect(replay.spares).toBe(1);
  });

  it('a spare slot another run took sends it to the next spare a window on; three taken, to the queue', async () => {
    const s = await behindQueue();
    takenSlots(s, [29]);
    s.clock.now = START + 15 * SLOT + 101;
    expect(atOf(await s.ledger('late').turn(s.deadline()))).toBe(START + 59 * SLOT);
    // 130 runs queued up to slot 150: the fourth spare (119) is not tried.
    const t = await behindQueue(130);
    takenSlots(t, [29, 59, 89]);
    t.clock.now = START + 15 * SLOT + 101;
    const replay = t.ledger('late');
    expect(atOf(await replay.turn(t.deadline()))).toBe(START + 151 * SLOT);
    expect(replay.spares).toBe(0);
  });

  it('a held slot inside a window Sotion said is used up is lost: the next spare after it', async () => {
    const s = await behindQueue();
    s.clock.now = START + 5_000;
    expect(atOf(await s.ledger('late').turn(s.deadline(), undefined, START + 15 * SLOT))).toBe(
      START + 15 * SLOT,
    );
    const t = await behindQueue();
    t.clock.now = START + 5_000;
    expect(atOf(await t.ledger('late').turn(t.deadline(), undefined, START + 15 * SLOT + 1))).toBe(
      START + 29 * SLOT,
    );
  });

  it('a ticket missed by more than a minute is an earlier run’s: the run starts afresh', async () => {
    const s = await paced();
    const first = s.ledger('again');
    await first.turn(new Deadline(1_000, START));
    await first.keepTicket();
    // Still the step's own turn, missed: it goes on pacing (the first free slot from now).
    s.clock.now = START + 15 * SLOT + 100 + 60_000;
    expect(await s.ledger('again').turn(s.deadline())).toEqual({
      kind: 'wait',
      at: START + 192 * SLOT,
    });
    const t = await paced();
    const other = t.ledger('again');
    await other.turn(new Deadline(1_000, START));
    await other.keepTicket();
    t.clock.now = START + 15 * SLOT + 101 + 60_000;
    expect(await t.ledger('again').turn(t.deadline())).toEqual({ kind: 'free' });
  });

  it('gives up a request’s claim after 24 refused slots and goes back 1 to 3 s (drawn at random)', async () => {
    for (const [draw, delaySeconds] of [
      [0, 1],
      [0.999, 3],
    ] as const) {
      const { cache, clock, deadline } = await paced();
      cache.refuseClaims = true;
      const connection = new ConnectionCache({ cache });
      const run = new RateLedger(
        connection,
        new StepMemory(connection, 'refused', () => clock.now),
        () => clock.now,
        () => draw,
        {},
      );
      expect(await run.turn(deadline())).toEqual({ kind: 'handBack', at: START, delaySeconds });
      expect([run.claims, run.refused]).toEqual([0, 24]);
    }
  });

  it('spaces a plan’s turns by the slowest answer seen plus 50 ms (5 s at most)', async () => {
    for (const [tookMs, slots] of [
      [2_000, [15, 22, 30]],
      [9_000, [15, 30, 45]],
    ] as const) {
      const { ledger, deadline, clock } = await paced();
      const run = ledger();
      await run.observe(
        { limit: LIMIT, remaining: 10, resetAtMs: START + WINDOW },
        clock.now - tookMs,
      );
      run.plan(3);
      const turns = [];
      for (let i = 0; i < 3; i += 1) turns.push(atOf(await run.turn(deadline())));
      expect(turns).toEqual(slots.map((i) => START + i * SLOT));
    }
  });

  it('keeps in its ticket only the turns not yet past', async () => {
    const { ledger, deadline, clock, cache } = await paced();
    const run = ledger('planned');
    run.plan(2);
    expect(atOf(await run.turn(deadline()))).toBe(START + 15 * SLOT);
    // The second turn (slot 16) is still held: past it by its tolerance, it is kept; 1 ms more, not.
    clock.now = START + 16 * SLOT + 100;
    await run.keepTicket();
    const stored = () => [...cache.entries.keys()].filter((k) => k.includes('planned'));
    expect(stored()).toHaveLength(1);
    cache.entries.clear();
    const later = await paced();
    const other = later.ledger('planned');
    other.plan(2);
    await other.turn(later.deadline());
    later.clock.now = START + 16 * SLOT + 101;
    await other.keepTicket();
    expect([...later.cache.entries.keys()].filter((k) => k.includes('planned'))).toEqual([]);
  });

  it('login links follow the lane’s limit as set by SOTION_RATE_LOGIN_LINKS, with a spare slot of their own', async () => {
    const { ledger, deadline, cache } = setup(START, { SOTION_RATE_LOGIN_LINKS: ' 5/1 ' });
    const times: (number | undefined)[] = [];
    let refused = 0;
    for (let i = 0; i < 5; i += 1) {
      const run = ledger();
      times.push(atOf(await run.turn(deadline(), LOGIN_LINK_SITE_LIMIT)));
      refused += run.refused;
    }
    // 5 a second: 204-ms slots, the fifth of each second spare; each run claims the slot after
    // the lane's head at its first try.
    expect(times.map((t) => t! - START)).toEqual([0, 204, 408, 612, 1_020]);
    expect(refused).toBe(0);
    expect(JSON.parse(cache.entries.get(key('lane:login-links'))!.value)).toEqual({
      head: START + 1_020,
    });
    expect(cache.entries.get(key('lane:login-links'))!.expiresAt).toBe(START + 900_000);
    expect(cache.entries.get(key(`login-links:204:${START / 204}`))!.expiresAt).toBe(
      START + 120_000,
    );
    // The general lane learns the lane is in use.
    expect(JSON.parse(cache.entries.get(key('state'))!.value)).toEqual({
      active: { 'login-links': { at: START, count: 5, windowMs: 1_000 } },
    });
    // A setting it cannot read leaves the documented 50 a minute.
    const other = setup(START, { SOTION_RATE_LOGIN_LINKS: '5 per second' });
    const first = atOf(await other.ledger().turn(other.deadline(), LOGIN_LINK_SITE_LIMIT))!;
    const second = atOf(await other.ledger().turn(other.deadline(), LOGIN_LINK_SITE_LIMIT))!;
    expect(second - first).toBe(1_224);
  });

  it('starts pacing at half the window used by others, not before, and not for its own use', async () => {
    const answers = async (remaining: number, own: number) => {
      const { ledger, deadline, clock } = setup(START);
      const run = ledger();
      for (let i = 1; i <= own; i += 1)
        await run.observe({ limit: LIMIT, remaining: LIMIT - i, resetAtMs: START + WINDOW }, START);
      await run.observe({ limit: LIMIT, remaining, resetAtMs: START + WINDOW }, clock.now);
      return (await ledger().turn(deadline())).kind;
    };
    expect(await answers(15, 1)).toBe('wait');
    expect(await answers(16, 1)).toBe('free');
    // 15 used, 14 of them this run's (the last answer is its 14th): one other.
    expect(await answers(15, 13)).toBe('wait');
    expect(await answers(15, 14)).toBe('free');
  });

  it('a 429 while not paced makes everyone pace from the window’s reset', async () => {
    const { ledger, deadline, clock } = setup(START);
    const run = ledger();
    await learn(run, clock.now);
    await run.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: START + 8_000, throttled: true },
      clock.now,
    );
    // The first slot after 8 s: 8,160 ms (slot 24).
    expect(atOf(await ledger().turn(deadline()))).toBe(START + 24 * SLOT);
  });

  it('reads and writes nothing for an answer that tells it nothing', async () => {
    const { ledger, cache } = await paced();
    const run = ledger();
    const before = cache.calls;
    await run.observe(undefined, START);
    // A 429 of the endpoint's own limit says nothing of the general window.
    await run.observe(
      { limit: LIMIT, remaining: 12, resetAtMs: START + WINDOW, throttled: true, ownLimit: true },
      START,
    );
    expect(cache.calls).toBe(before);
    // A paced run's ordinary answer.
    const pacedRun = ledger();
    await contend(pacedRun, START);
    const after = cache.calls;
    await pacedRun.observe({ limit: LIMIT, remaining: 10, resetAtMs: START + WINDOW }, START);
    expect(cache.calls).toBe(after);
  });

  it('ignores a shared state it cannot read, and paces on one it can', async () => {
    const params = [
      { limit: 0, windowMs: WINDOW },
      { limit: '30', windowMs: WINDOW },
      { limit: LIMIT, windowMs: 0 },
      { limit: LIMIT, windowMs: '10000' },
      null,
    ];
    for (const p of params) {
      const { ledger, deadline, cache } = setup(START);
      put(cache, 'state', { params: p });
      put(cache, 'head', { head: START + 5_000 });
      expect(await ledger().turn(deadline())).toEqual({ kind: 'free' });
    }
    const { ledger, deadline, cache } = setup(START);
    put(cache, 'state', { params: { limit: LIMIT, windowMs: WINDOW } });
    put(cache, 'head', { head: START + 5_000 });
    expect(await ledger().turn(deadline())).toEqual({ kind: 'wait', at: START + 15 * SLOT });
  });

  it('learns a shorter window only when it is more than 3% shorter, or its own is old', async () => {
    const windowAfter = async (bound: number, sentAt: number) => {
      const { ledger, clock, cache } = setup(START);
      await learn(ledger(), START);
      clock.now = sentAt;
      await ledger().observe(
        { limit: LIMIT, remaining: LIMIT - 1, resetAtMs: sentAt + bound },
        sentAt,
      );
      return (JSON.parse(cache.entries.get(key('state'))!.value) as { params: Params }).params;
    };
    type Params = { windowMs: number; freshAt: number };
    // 9.8 s is within 3% of 10 s: nothing changes (this window's start is no news either).
    expect(await windowAfter(9_800, START + 10_000)).toEqual({
      limit: LIMIT,
      windowMs: WINDOW,
      freshAt: START,
    });
    expect(await windowAfter(9_700, START + 10_000)).toEqual({
      limit: LIMIT,
      windowMs: 9_700,
      freshAt: START + 10_000,
    });
    // Its start is older than two windows: the new start is written, the window kept.
    expect(await windowAfter(9_800, START + 20_000)).toEqual({
      limit: LIMIT,
      windowMs: WINDOW,
      freshAt: START + 20_000,
    });
  });
});

describe('rate ledger: what it reads and writes', () => {
  it('reads SOTION_RATE_<LANE> only when it is whole: count/seconds', async () => {
    const spacing = async (setting: string) => {
      const { ledger, deadline } = setup(START, { SOTION_RATE_LOGIN_LINKS: setting });
      const times: number[] = [];
      for (let i = 0; i < 3; i += 1) times.push(atOf(await ledger().turn(deadline(), LINKS))!);
      return Math.min(times[1]! - times[0]!, times[2]! - times[1]!);
    };
    // The documented 50 a minute: 1,224-ms slots.
    for (const unreadable of ['x5/1', '5/1x', '5/1.x'])
      expect(await spacing(unreadable)).toBe(1_224);
    expect(await spacing('12/1')).toBe(85);
    expect(await spacing('5/10')).toBe(2_040);
    expect(await spacing('5/1.25')).toBe(255);
  });

  it('reads the shared state again only when its copy is more than a second old', async () => {
    const { ledger, clock, cache } = setup(START);
    const run = ledger();
    await run.turn(new Deadline(25_000, START));
    const calls = counted(cache);
    clock.now = START + 1_000;
    expect(await run.turn(new Deadline(25_000, START))).toEqual({ kind: 'free' });
    expect(calls()).toBe(0);
    clock.now = START + 1_001;
    await run.turn(new Deadline(25_000, START));
    // The state and the head.
    expect(calls()).toBe(2);
  });

  it('a paced claim costs five calls: its memory, the state, the head, the slot and the head written', async () => {
    const { ledger, deadline, cache } = await paced();
    const calls = counted(cache);
    const run = ledger();
    await run.turn(deadline());
    expect(calls()).toBe(5);
    expect(run.claims).toBe(1);
  });

  it('reads a login-link lane’s head again only when its copy is more than a second old, and writes it once per claim', async () => {
    const { ledger, clock, cache } = setup(START);
    const run = ledger();
    await run.turn(new Deadline(60_000, START), LINKS);
    let calls = counted(cache);
    // Its copies are fresh: the slot, and the lane's head.
    await run.turn(new Deadline(60_000, START), LINKS);
    expect(calls()).toBe(2);
    clock.now = START + 1_000;
    calls = counted(cache);
    await run.turn(new Deadline(60_000, START), LINKS);
    expect(calls()).toBe(2);
    clock.now = START + 1_001;
    calls = counted(cache);
    await run.turn(new Deadline(60_000, START), LINKS);
    // The state, the head and the lane's head read again.
    expect(calls()).toBe(5);
    // What it learns next is written without the lane's head again.
    calls = counted(cache);
    await run.observe(
      { limit: LIMIT, remaining: LIMIT - 1, resetAtMs: clock.now + WINDOW },
      clock.now,
    );
    // The state read and written (its copy is of this very moment): not the lane's head.
    expect(calls()).toBe(2);
  });

  it('says a lane is in use again when its count changed or 30 s passed', async () => {
    const { ledger, clock, cache } = setup(START);
    await ledger().turn(new Deadline(60_000, START), LINKS);
    const said = () => stateOf(cache).active!['login-links']!;
    expect(said()).toEqual({ at: START, count: 50, windowMs: 60_000 });
    clock.now = START + 30_000;
    await ledger().turn(new Deadline(60_000, clock.now), LINKS);
    expect(said().at).toBe(START);
    clock.now = START + 30_001;
    await ledger().turn(new Deadline(60_000, clock.now), LINKS);
    expect(said().at).toBe(START + 30_001);
    // Another count for the lane (a scaled setting) is said at once.
    const other = setup(START + 30_002, { SOTION_RATE_LOGIN_LINKS: '5/1' });
    for (const [k, v] of cache.entries) other.cache.entries.set(k, v);
    await other.ledger().turn(new Deadline(60_000, START + 30_002), LINKS);
    expect(stateOf(other.cache).active!['login-links']).toEqual({
      at: START + 30_002,
      count: 5,
      windowMs: 1_000,
    });
  });

  it('keeps the newer of what it and the others said: lanes by their time, the limit by its window’s start', async () => {
    const { ledger, clock, cache } = setup(START);
    const run = ledger();
    await learn(run, START);
    await run.turn(new Deadline(60_000, START), LINKS);
    // Meanwhile another run learned a later window, and said the lane is in use later still.
    put(cache, 'state', {
      params: { limit: LIMIT, windowMs: 9_000, freshAt: START + 20_000 },
      active: {
        'login-links': { at: START + 40_000, count: 50, windowMs: 60_000 },
        other: { at: START, count: 10, windowMs: 60_000 },
      },
    });
    // This run writes the state (a lane of its own said): the newer of each is kept.
    clock.now = START + 1_001;
    run.plan(0);
    await run.turn(new Deadline(60_000, clock.now), { lane: 'exports', count: 10, perSeconds: 60 });
    expect(stateOf(cache)).toEqual({
      params: { limit: LIMIT, windowMs: 9_000, freshAt: START + 20_000 },
      active: {
        'login-links': { at: START + 40_000, count: 50, windowMs: 60_000 },
        other: { at: START, count: 10, windowMs: 60_000 },
        exports: { at: START + 1_001, count: 10, windowMs: 60_000 },
      },
    });
    // On a tie, what is stored stays.
    put(cache, 'state', {
      params: { limit: 20, windowMs: 9_000, freshAt: START + 20_000 },
      active: { exports: { at: START + 1_001, count: 7, windowMs: 60_000 } },
    });
    clock.now = START + 2_002;
    await run.turn(new Deadline(60_000, clock.now), { lane: 'more', count: 10, perSeconds: 60 });
    expect(stateOf(cache).params).toEqual({ limit: 20, windowMs: 9_000, freshAt: START + 20_000 });
    expect(stateOf(cache).active!.exports).toEqual({
      at: START + 1_001,
      count: 7,
      windowMs: 60_000,
    });
  });

  it('drops stored lanes it cannot read, all of them, and a lane head it cannot read', async () => {
    const good = { at: START, count: 10, windowMs: 60_000 };
    for (const bad of [
      'x',
      null,
      { ...good, at: '1' },
      { ...good, count: '10' },
      { ...good, count: 0 },
      { ...good, windowMs: '60000' },
      { ...good, windowMs: 0 },
    ]) {
      const { ledger, cache } = setup(START);
      put(cache, 'state', { active: { other: good, bad } });
      await ledger().turn(new Deadline(60_000, START), LINKS);
      expect(Object.keys(stateOf(cache).active!)).toEqual(['login-links']);
    }
    const { ledger, cache } = setup(START);
    put(cache, 'state', { active: { other: good, more: good } });
    await ledger().turn(new Deadline(60_000, START), LINKS);
    expect(Object.keys(stateOf(cache).active!)).toEqual(['other', 'more', 'login-links']);
    // A lane head that is not a time: the lane starts afresh (at the first slot from now).
    const s = setup(START, { SOTION_RATE_LOGIN_LINKS: '5/1' });
    put(s.cache, 'lane:login-links', { head: String(START + 10_000) });
    expect(atOf(await s.ledger().turn(s.deadline(), LINKS))).toBe(START);
  });

  it('a request of the general lane does not use a login-link turn, nor a login link a general one', async () => {
    const { ledger, deadline } = await paced();
    const run = ledger();
    run.plan(2);
    expect(atOf(await run.turn(deadline()))).toBe(START + 15 * SLOT);
    // It holds slot 16 for its next general request; a login link claims a turn of its own.
    const link = atOf(await run.turn(deadline(), LINKS))!;
    expect(link).toBeLessThan(START + 2_000);
    expect(atOf(await run.turn(deadline()))).toBe(START + 16 * SLOT);
  });

  it('a login link in between does not use up a plan', async () => {
    const { ledger, deadline } = await paced();
    const run = ledger();
    run.plan(3);
    await run.turn(deadline(), LINKS);
    const claims = run.claims;
    await run.turn(deadline());
    // The general request and the two that follow it.
    expect(run.claims - claims).toBe(3);
  });
});

describe('rate ledger: edges', () => {
  it('a lost turn takes one spare slot: the plan’s next request queues', async () => {
    const s = await behindQueue();
    s.clock.now = START + 15 * SLOT + 101;
    const replay = s.ledger('late');
    replay.plan(2);
    expect(atOf(await replay.turn(s.deadline(600_000)))).toBe(START + 29 * SLOT);
    expect(atOf(await replay.turn(s.deadline(600_000)))).toBe(START + 120 * SLOT);
  });

  /** Login links at 5 a second: a step holds lane slot 1 and goes back; 20 links queue behind it. */
  const linksBehind = async () => {
    const s = setup(START, { SOTION_RATE_LOGIN_LINKS: '5/1' });
    await s.ledger().turn(s.deadline(), LINKS);
    const late = s.ledger('late-link');
    expect(await late.turn(new Deadline(1_000, START), LINKS)).toMatchObject({
      kind: 'handBack',
      at: START + 204,
    });
    await late.keepTicket();
    for (let i = 0; i < 20; i += 1) await s.ledger().turn(s.deadline(), LINKS);
    // The lane's tolerance is 10 ms: missed.
    s.clock.now = START + 215;
    return s;
  };

  it('a missed login-link turn takes the lane’s next spare slot (up to three, a second apart), then its queue', async () => {
    const s = await linksBehind();
    const replay = s.ledger('late-link');
    expect(atOf(await replay.turn(s.deadline(), LINKS))).toBe(START + 4 * 204);
    expect(replay.spares).toBe(1);
    // Its next link queues (after slot 26, the last of the 20).
    expect(atOf(await replay.turn(s.deadline(), LINKS))).toBe(START + 27 * 204);
    const t = await linksBehind();
    takenLane(t, [4]);
    expect(atOf(await t.ledger('late-link').turn(t.deadline(), LINKS))).toBe(START + 9 * 204);
    const u = await linksBehind();
    takenLane(u, [4, 9, 14]);
    expect(atOf(await u.ledger('late-link').turn(u.deadline(), LINKS))).toBe(START + 27 * 204);
  });

  it('a login link while the general lane paces also takes the general slot at or just after its own', async () => {
    const s = await paced({ SOTION_RATE_LOGIN_LINKS: '5/1' });
    expect(await s.ledger().turn(s.deadline(), LINKS)).toEqual({ kind: 'wait', at: START });
    expect(s.cache.entries.has(key(`general:340:${BASE}`))).toBe(true);
    // Its general slot taken: the next one, a general slot on at most.
    const t = await paced({ SOTION_RATE_LOGIN_LINKS: '5/1' });
    takenSlots(t, [0]);
    expect(atOf(await t.ledger().turn(t.deadline(), LINKS))).toBe(START + SLOT);
    // Both taken: its lane slot is given back, and the next lane slots tried, further each time.
    const u = await paced({ SOTION_RATE_LOGIN_LINKS: '5/1' });
    takenSlots(u, [0, 1]);
    expect(atOf(await u.ledger().turn(u.deadline(), LINKS))).toBe(START + 2 * SLOT);
    const lane = (i: number) => u.cache.entries.has(key(`login-links:204:${START / 204 + i}`));
    expect([0, 1, 2, 3].map(lane)).toEqual([false, false, false, true]);
    // A general spare slot is not taken for it.
    const v = await paced({ SOTION_RATE_LOGIN_LINKS: '5/1' });
    v.clock.now = START + 48 * 204;
    expect(atOf(await v.ledger().turn(v.deadline(), LINKS))).toBe(START + 30 * SLOT);
  });

  it('after a refused slot it reads the head at once, and catches up with the queue others wrote', async () => {
    const s = await paced();
    takenSlots(s, [15]);
    put(s.cache, 'head', { head: START + 20 * SLOT });
    expect(atOf(await s.ledger().turn(s.deadline()))).toBe(START + 21 * SLOT);
  });

  it('spreads its next tries the more claims failed (a random share of the failures so far)', async () => {
    for (const [draw, slot] of [
      [0, 26],
      [0.999, 30],
    ] as const) {
      const s = await paced();
      takenSlots(s, [15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
      const connection = new ConnectionCache({ cache: s.cache });
      const run = new RateLedger(
        connection,
        new StepMemory(connection, 'spread', () => s.clock.now),
        () => s.clock.now,
        () => draw,
        {},
      );
      expect(atOf(await run.turn(s.deadline()))).toBe(START + slot * SLOT);
    }
  });

  it('24 refused slots cost 24 claims and 12 reads of the head', async () => {
    const { cache, deadline, ledger } = await paced();
    cache.refuseClaims = true;
    const calls = counted(cache);
    await ledger().turn(deadline());
    expect(calls()).toBe(3 + 24 + 12);
  });

  it('a cache that fails in the middle of a claim ends the claims: the request goes unpaced', async () => {
    const general = await paced();
    general.cache.failAfter = general.cache.calls + 3;
    const run = general.ledger();
    expect(await run.turn(general.deadline())).toEqual({ kind: 'free' });
    expect(run.refused).toBe(1);
    const links = setup(START);
    links.cache.failAfter = 4;
    const link = links.ledger();
    expect(await link.turn(links.deadline(), LINKS)).toEqual({ kind: 'free' });
    expect(link.refused).toBe(1);
  });

  it('reads the shared state for an answer only when it may change what it knows', async () => {
    const { ledger, clock, cache } = setup(START);
    const run = ledger();
    await run.turn(new Deadline(25_000, START));
    clock.now = START + 500;
    let calls = counted(cache);
    // No limit known, its copy half a second old: enough for an ordinary answer.
    await run.observe({ limit: LIMIT, remaining: 20, resetAtMs: START + WINDOW }, START);
    expect(calls()).toBe(0);
    // A 429 without the limit known: read again now.
    calls = counted(cache);
    await run.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: START + WINDOW, throttled: true },
      START + 500,
    );
    expect(calls()).toBe(2);
    // A window's first answer: read again, learned, written.
    clock.now = START + 600;
    calls = counted(cache);
    await run.observe(
      { limit: LIMIT, remaining: LIMIT - 1, resetAtMs: START + 10_600 },
      START + 600,
    );
    expect(calls()).toBe(4);
    // With the limit known, a 429 is no reason to read again: the head it pushes is read and
    // written.
    const other = ledger();
    await learn(other, START + 600);
    clock.now = START + 700;
    calls = counted(cache);
    await other.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: START + 10_600, throttled: true },
      START + 700,
    );
    expect(calls()).toBe(2);
  });

  it('a 429 for a paced request: the head moves to the reset (never back), and the run takes a spare slot', async () => {
    const s = await paced();
    const run = s.ledger();
    expect(atOf(await run.turn(s.deadline()))).toBe(START + 15 * SLOT);
    await run.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: START + 30_000, throttled: true },
      START + 15 * SLOT,
    );
    // Slot 89 (30,260 ms) is a spare.
    expect(atOf(await s.ledger().turn(s.deadline(600_000)))).toBe(START + 90 * SLOT);
    const t = await paced();
    for (let i = 0; i < 100; i += 1) await t.ledger().turn(new Deadline(1_000, START));
    const refused = t.ledger();
    expect(atOf(await refused.turn(t.deadline(600_000)))).toBe(START + 118 * SLOT);
    await refused.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: START + 8_000, throttled: true },
      START,
    );
    expect(atOf(await refused.turn(t.deadline(600_000), undefined, START + 8_000))).toBe(
      START + 29 * SLOT,
    );
    // The queue goes on after 118 (119 is a spare).
    expect(atOf(await t.ledger().turn(t.deadline(600_000)))).toBe(START + 120 * SLOT);
  });

  it('a run that saw others goes on pacing after the shared state has gone quiet', async () => {
    const { ledger, clock } = setup(START);
    const run = ledger();
    await contend(run, START);
    clock.now = START + 30_000;
    expect(await ledger().turn(new Deadline(25_000, clock.now))).toEqual({ kind: 'free' });
    expect(await run.turn(new Deadline(25_000, clock.now))).toEqual({
      kind: 'wait',
      at: START + 90 * SLOT,
    });
  });

  it('does not learn a window while the general lane has claims ahead', async () => {
    const learned = async (at: number) => {
      const s = await paced();
      s.clock.now = at;
      await s.ledger().observe({ limit: LIMIT, remaining: LIMIT - 1, resetAtMs: at + 9_000 }, at);
      return stateOf(s.cache).params!.windowMs;
    };
    // The head is at 4.9 s.
    expect(await learned(START + 1_000)).toBe(WINDOW);
    expect(await learned(START + 4_900)).toBe(9_000);
  });

  it('learns a new limit, a start a window after the last, and never a window of no length', async () => {
    const windowAfter = async (limit: number, bound: number, sentAt: number, first = 10_000) => {
      const { ledger, clock, cache } = setup(START);
      await ledger().observe(
        { limit: LIMIT, remaining: LIMIT - 1, resetAtMs: START + first },
        START,
      );
      clock.now = sentAt;
      await ledger().observe({ limit, remaining: limit - 1, resetAtMs: sentAt + bound }, sentAt);
      return stateOf(cache).params;
    };
    expect(await windowAfter(60, WINDOW, START + 10_000)).toEqual({
      limit: 60,
      windowMs: WINDOW,
      freshAt: START + 10_000,
    });
    // A start 9 s after the last (the reset says 10): the window is at most 9 s.
    expect(await windowAfter(LIMIT, WINDOW, START + 9_000)).toEqual({
      limit: LIMIT,
      windowMs: 9_000,
      freshAt: START + 9_000,
    });
    expect(await windowAfter(LIMIT, 0, START + 10_000)).toEqual({
      limit: LIMIT,
      windowMs: WINDOW,
      freshAt: START,
    });
    // Exactly 3% shorter is not shorter; exactly two windows on is not old.
    expect(await windowAfter(LIMIT, WINDOW, START + 10_300, 10_300)).toEqual({
      limit: LIMIT,
      windowMs: 10_300,
      freshAt: START,
    });
    expect(await windowAfter(LIMIT, WINDOW, START + 20_000)).toEqual({
      limit: LIMIT,
      windowMs: WINDOW,
      freshAt: START,
    });
  });

  it('while login links are in use, the general queue keeps free the slot at or after each of theirs', async () => {
    const queue = async (lane: { at: number; count: number }) => {
      const s = await paced();
      put(s.cache, 'state', {
        params: { limit: LIMIT, windowMs: WINDOW, freshAt: START },
        active: { 'login-links': { ...lane, windowMs: 60_000 } },
      });
      const slots: number[] = [];
      for (let i = 0; i < 20; i += 1)
        slots.push((atOf(await s.ledger().turn(s.deadline(600_000)))! - START) / SLOT);
      return slots;
    };
    // 50 a minute: 1,224-ms slots; slot 29 is a spare.
    expect(await queue({ at: START, count: 50 })).toEqual([
      15, 17, 18, 19, 21, 22, 24, 25, 26, 28, 31, 32, 33, 35, 36, 37, 39, 40, 42, 43,
    ]);
    // 90 a minute: slots of 680 ms, twice the general lane's: still kept.
    expect((await queue({ at: START, count: 90 })).slice(0, 8)).toEqual([
      15, 17, 19, 21, 23, 25, 27, 31,
    ]);
    // Faster than that, or said two minutes ago: not kept.
    const consecutive = [15, 16, 17, 18, 19, 20, 21, 22];
    expect((await queue({ at: START, count: 100 })).slice(0, 8)).toEqual(consecutive);
    expect((await queue({ at: START - 120_000, count: 50 })).slice(0, 8)).toEqual(consecutive);
  });
});

describe('rate ledger: turns held together', () => {
  it('a lost turn’s spare slot comes before a later turn of the plan it still holds', async () => {
    const s = await paced();
    const first = s.ledger('pair');
    // Its answers take 5 s: the plan's second turn is 5.05 s after the first (slot 30).
    await first.observe({ limit: LIMIT, remaining: 10, resetAtMs: START + WINDOW }, START - 9_000);
    first.plan(2);
    expect(await first.turn(new Deadline(1_000, START))).toMatchObject({
      kind: 'handBack',
      at: START + 15 * SLOT,
    });
    await first.keepTicket();
    for (let i = 0; i < 100; i += 1) await s.ledger().turn(new Deadline(1_000, START));
    s.clock.now = START + 15 * SLOT + 101;
    const replay = s.ledger('pair');
    expect(atOf(await replay.turn(s.deadline()))).toBe(START + 29 * SLOT);
    expect(atOf(await replay.turn(s.deadline()))).toBe(START + 30 * SLOT);
  });

  it('a login link later than a general turn the run holds gets its own turn', async () => {
    const s = await paced({ SOTION_RATE_LOGIN_LINKS: '5/1' });
    put(s.cache, 'lane:login-links', { head: START + 8_000 });
    const run = s.ledger();
    run.plan(2);
    expect(atOf(await run.turn(s.deadline()))).toBe(START + 15 * SLOT);
    // Lane slot 40 (8,160 ms), and the general slot that starts with it (24).
    expect(atOf(await run.turn(s.deadline(), LINKS))).toBe(START + 24 * SLOT);
    expect(run.refused).toBe(0);
  });

  it('a login link held with a general slot may be late by the smaller tolerance of the two', async () => {
    const s = await paced({ SOTION_RATE_LOGIN_LINKS: '5/1' });
    put(s.cache, 'lane:login-links', { head: START + 8_000 });
    const link = s.ledger('link');
    expect(await link.turn(new Deadline(1_000, START), LINKS)).toMatchObject({
      kind: 'handBack',
      at: START + 8_160,
    });
    await link.keepTicket();
    // 50 ms late: within the general lane's 100 ms, not the login-link lane's 10 ms. Lost: lane
    // slot 41 (8,364 ms) and the general slot after it (25).
    s.clock.now = START + 8_210;
    expect(atOf(await s.ledger('link').turn(s.deadline(), LINKS))).toBe(START + 25 * SLOT);
  });

  it('a head pushed on by a 429 is written as the furthest of its own and the one stored', async () => {
    const s = await paced();
    const run = s.ledger();
    await run.turn(s.deadline());
    put(s.cache, 'head', { head: START + 20_000 });
    await run.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: START + 10_000, throttled: true },
      START + 15 * SLOT,
    );
    expect(JSON.parse(s.cache.entries.get(key('head'))!.value)).toEqual({ head: START + 20_000 });
  });

  it('a run already pacing still learns from a window’s first answer and from a 429', async () => {
    const s = await paced();
    const run = s.ledger();
    await contend(run, START);
    s.clock.now = START + 5_000;
    await run.observe({ limit: 60, remaining: 59, resetAtMs: START + 15_000 }, START + 5_000);
    expect(stateOf(s.cache).params).toEqual({
      limit: 60,
      windowMs: WINDOW,
      freshAt: START + 5_000,
    });
    const t = await paced();
    const other = t.ledger();
    await contend(other, START);
    await other.observe(
      { limit: LIMIT, remaining: 0, resetAtMs: START + 30_000, throttled: true },
      START,
    );
    expect(JSON.parse(t.cache.entries.get(key('head'))!.value)).toEqual({ head: START + 30_000 });
  });
});
