import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { api as sotion } from '../../src/api';
import { SotionClient } from '../../src/http/client';
import { Deadline, sleep } from '../../src/http/deadline';
import { headerNumber, RateGate, readRateHeaders } from '../../src/http/rate-gate';
import { useFastClock } from '../fast-clock';
import { PREFIX, api, appTester, group, headers, makeBundle, rejection, uuid } from '../helpers';

const G = uuid(7);
/** POST /access-groups, expecting no error status. */
const postGroup = (z: ZObject, bundle: Bundle) =>
  new SotionClient(z, bundle).call(
    { ...sotion.accessGroups.create, expect: [] },
    { body: { name: 'VIP' } },
  );
const tooLong = (waitMs: number) => new Error(`too long: ${waitMs}`);

describe('readRateHeaders', () => {
  it('reads the headers of a 429 in milliseconds: Retry-After first, else the reset', () => {
    const now = 1_800_000_000_000;
    const of = (status: number, h: Record<string, string>) => ({
      status,
      getHeader: (k: string) => h[k],
    });
    expect(
      readRateHeaders(of(429, { 'retry-after': '1.5', 'x-ratelimit-limit': '20' }), now),
    ).toEqual({ limit: 20, remaining: 0, resetAtMs: now + 1_500, throttled: true });
    expect(
      readRateHeaders(of(429, { 'retry-after': new Date(now + 3_000).toUTCString() }), now),
    ).toMatchObject({ resetAtMs: now + 3_000 });
    expect(readRateHeaders(of(429, { 'retry-after': 'soon' }), now).resetAtMs).toBeUndefined();
    expect(readRateHeaders(of(429, { 'x-ratelimit-reset': '1800000002' }), now)).toMatchObject({
      resetAtMs: 1_800_000_002_000,
      remaining: 0,
    });
    expect(
      readRateHeaders(of(200, { 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': '' }), now),
    ).toEqual({ limit: undefined, remaining: 4, resetAtMs: undefined, throttled: false });
    // Blank, negative and infinite Retry-After values are not waits in seconds.
    expect(readRateHeaders(of(429, { 'retry-after': '  ' }), now).resetAtMs).toBeUndefined();
    expect(readRateHeaders(of(429, { 'retry-after': '-5' }), now).resetAtMs).toBe(now);
    expect(readRateHeaders(of(429, { 'retry-after': 'Infinity' }), now).resetAtMs).toBeUndefined();
    expect(headerNumber(of(200, { 'x-ratelimit-remaining': '  ' }), 'x-ratelimit-remaining')).toBe(
      undefined,
    );
    expect(headerNumber(of(200, { 'x-ratelimit-remaining': ' 7 ' }), 'x-ratelimit-remaining')).toBe(
      7,
    );
  });

  it('a Retry-After of "0.0" is a wait of zero seconds, ahead of X-RateLimit-Reset', () => {
    const now = 1_800_000_000_000;
    const of = (h: Record<string, string>) => ({ status: 429, getHeader: (k: string) => h[k] });
    expect(
      readRateHeaders(of({ 'retry-after': '0.0', 'x-ratelimit-reset': '1800000120' }), now),
    ).toEqual({ limit: undefined, remaining: 0, resetAtMs: now, throttled: true });
  });
});

describe('RateGate: windows and waits', () => {
  // Retry-After and reset waits run on a clock that skips the waiting.
  useFastClock();

  it('lets no more requests go than the window has room for, and releases the rest together at the reset', async () => {
    const gate = new RateGate(() => 0);
    const deadline = new Deadline(10_000);
    const resetAtMs = Date.now() + 300;
    gate.release(await gate.acquire(deadline, tooLong), { limit: 3, remaining: 2, resetAtMs });
    const started: number[] = [];
    const lanes = Array.from({ length: 5 }, async () => {
      await gate.acquire(deadline, tooLong);
      started.push(Date.now());
    });
    await new Promise((r) => setTimeout(r, 100));
    // Two fit the window; the other three wait.
    expect(started).toHaveLength(2);
    expect(gate.pending).toBe(2);
    await Promise.all(lanes);
    const late = started.slice(2);
    // All three go at the reset (plus the run's one jitter), within a few ms of each other.
    expect(Math.min(...late)).toBeGreaterThanOrEqual(resetAtMs + 50);
    expect(Math.max(...late) - Math.min(...late)).toBeLessThan(30);
  });

  it('releases only as many waiters as the new window allows; the others wait for answers', async () => {
    const gate = new RateGate(() => 0);
    const deadline = new Deadline(10_000);
    gate.release(await gate.acquire(deadline, tooLong), {
      limit: 2,
      remaining: 0,
      resetAtMs: Date.now() + 150,
    });
    const tickets: number[] = [];
    const lanes = Array.from({ length: 4 }, async () => {
      tickets.push(await gate.acquire(deadline, tooLong));
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(tickets).toHaveLength(2);
    // One answer of the new window with room left lets one more go; the window's end is known.
    gate.release(tickets[0]!, { limit: 2, remaining: 1, resetAtMs: Date.now() + 200 });
    await new Promise((r) => setTimeout(r, 20));
    expect(tickets).toHaveLength(2);
    gate.release(tickets[1]!, { limit: 2, remaining: 0, resetAtMs: Date.now() + 200 });
    await new Promise((r) => setTimeout(r, 50));
    expect(tickets).toHaveLength(2);
    // At that window's reset the last two go together.
    await Promise.all(lanes);
    expect(tickets).toHaveLength(4);
  });

  it('a waiter goes as soon as an answer frees room in the window, not at its reset', async () => {
    const gate = new RateGate(() => 0);
    const deadline = new Deadline(10_000);
    const resetAtMs = Date.now() + 3_000;
    gate.release(await gate.acquire(deadline, tooLong), { limit: 5, remaining: 1, resetAtMs });
    // The one request left is in flight: the next waits for its answer.
    const second = await gate.acquire(deadline, tooLong);
    const started = Date.now();
    const third = gate.acquire(deadline, tooLong);
    setTimeout(() => gate.release(second, { limit: 5, remaining: 1, resetAtMs }), 100);
    await third;
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a 429 whose reset is already past still waits a quarter second (plus jitter) before the retry', async () => {
    const gate = new RateGate(() => 0);
    const deadline = new Deadline(10_000);
    const started = Date.now();
    gate.release(await gate.acquire(deadline, tooLong), {
      throttled: true,
      remaining: 0,
      resetAtMs: started - 5_000,
    });
    await gate.acquire(deadline, tooLong);
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
  });

  it('a count without a reset, after the window it belonged to ended, is ignored', async () => {
    // Jitter at its largest: the window ends at the reset, requests wait until 249 ms later.
    const gate = new RateGate(() => 0.999);
    const deadline = new Deadline(10_000);
    const resetAtMs = Date.now() + 50;
    gate.release(await gate.acquire(deadline, tooLong), { limit: 5, remaining: 3, resetAtMs });
    await new Promise((r) => setTimeout(r, 80));
    const ticket = await gate.acquire(deadline, tooLong);
    gate.release(ticket, { remaining: 0 });
    const started = Date.now();
    await gate.acquire(deadline, tooLong);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('remembers a 429 and its reset; a wait the run cannot afford is handed back at once', async () => {
    const gate = new RateGate(() => 0);
    gate.release(await gate.acquire(new Deadline(10_000), tooLong), {
      remaining: 0,
      resetAtMs: Date.now() + 5_000,
      throttled: true,
    });
    await expect(gate.acquire(new Deadline(3_000), tooLong)).rejects.toThrow(/too long: \d+/);
    // A bare 429 means a minute.
    const bare = new RateGate(() => 0);
    bare.release(await bare.acquire(new Deadline(10_000), tooLong), { throttled: true });
    const error = await rejection(bare.acquire(new Deadline(20_000), tooLong));
    expect(Number(/\d+/.exec(error.message)?.[0])).toBeGreaterThan(59_000);
  });

  it('hands back a wait for answers that the run has no time left for', async () => {
    const gate = new RateGate(() => 0);
    const deadline = new Deadline(10_000);
    gate.release(await gate.acquire(deadline, tooLong), {
      limit: 1,
      remaining: 0,
      resetAtMs: Date.now() + 100,
    });
    await new Promise((r) => setTimeout(r, 400));
    // The new window's one place is taken by a request still in flight; no time to wait for it.
    await gate.acquire(deadline, tooLong);
    await expect(gate.acquire(new Deadline(900), tooLong)).rejects.toThrow('too long: 0');
  });

  it('ignores late answers about an older window, and counts of a window already over', async () => {
    const gate = new RateGate(() => 0);
    const deadline = new Deadline(10_000);
    gate.release(await gate.acquire(deadline, tooLong), {
      limit: 10,
      remaining: 5,
      resetAtMs: Date.now() + 2_000,
    });
    // An answer from an earlier window saying nothing is left changes nothing.
    gate.release(await gate.acquire(deadline, tooLong), {
      limit: 10,
      remaining: 0,
      resetAtMs: Date.now() - 1_000,
    });
    const started = Date.now();
    await gate.acquire(deadline, tooLong);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('while requests in flight hold the room left, a waiter sleeps until an answer instead of polling', async () => {
    let clockReads = 0;
    const gate = new RateGate(
      () => 0,
      () => {
        clockReads += 1;
        return Date.now();
      },
    );
    const deadline = new Deadline(2_000);
    gate.release(await gate.acquire(deadline, tooLong), {
      limit: 1,
      remaining: 0,
      resetAtMs: Date.now() + 20,
    });
    // The new window's one place goes to this request; its reset is not known yet.
    const inFlight = await gate.acquire(deadline, tooLong);
    clockReads = 0;
    const started = Date.now();
    const waiter = gate.acquire(deadline, tooLong);
    await sleep(150);
    gate.release(inFlight);
    await waiter;
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    // One look at the clock to wait, one for the timer, one when the answer wakes it.
    expect(clockReads).toBeLessThanOrEqual(4);
  });

  it('a count without a reset that arrives the moment its window ends is ignored', async () => {
    let clock = 1_800_000_000_000;
    const gate = new RateGate(
      () => 0,
      () => clock,
    );
    const deadline = new Deadline(1_300);
    gate.release(await gate.acquire(deadline, tooLong), {
      limit: 5,
      remaining: 3,
      resetAtMs: clock + 1_000,
    });
    // Exactly at the reset: the window is over; its jitter has not passed yet.
    clock += 1_000;
    gate.release(await gate.acquire(deadline, tooLong), { remaining: 0 });
    // The look-out timer is cleared after the race: it must not outlive this test.
    let lookOut: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      gate.acquire(deadline, tooLong).then(
        () => 'went',
        () => 'refused',
      ),
      new Promise<string>((resolve) => {
        lookOut = setTimeout(() => resolve('waiting'), 100);
      }),
    ]);
    clearTimeout(lookOut);
    expect(next).toBe('went');
  });

  describe('what an answer says', () => {
    /** Whether each request went or was handed back (no answer comes, so a waiter is refused). */
    const outcomes = (requests: Array<Promise<number>>) =>
      Promise.all(
        requests.map((p) =>
          p.then(
            () => 'went',
            () => 'refused',
          ),
        ),
      );

    it('an answer without X-RateLimit-Limit keeps the limit an earlier answer gave', async () => {
      const gate = new RateGate(() => 0);
      const deadline = new Deadline(1_800);
      const first = await gate.acquire(deadline, tooLong);
      const second = await gate.acquire(deadline, tooLong);
      const resetAtMs = Date.now() + 100;
      gate.release(first, { limit: 1, remaining: 0, resetAtMs });
      gate.release(second, { remaining: 0, resetAtMs });
      // The new window has room for one: the limit of 1 still holds; the others wait for an answer
      // that never comes and are handed back when the run has no time left to wait.
      const waiters = [0, 1, 2].map(() => gate.acquire(deadline, tooLong));
      expect((await outcomes(waiters)).sort()).toEqual(['refused', 'refused', 'went']);
    });

    it('an answer whose window already ended starts no window: requests go as before', async () => {
      const gate = new RateGate(() => 0);
      const deadline = new Deadline(1_500);
      gate.release(await gate.acquire(deadline, tooLong), {
        limit: 1,
        remaining: 0,
        resetAtMs: Date.now() - 1_000,
      });
      const requests = [0, 1, 2].map(() => gate.acquire(deadline, tooLong));
      expect(await outcomes(requests)).toEqual(['went', 'went', 'went']);
    });

    it('waiters go at the reset plus the whole jitter the run drew (up to a quarter second)', async () => {
      const gate = new RateGate(() => 0.99);
      const deadline = new Deadline(10_000);
      const resetAtMs = Date.now() + 100;
      gate.release(await gate.acquire(deadline, tooLong), { limit: 1, remaining: 0, resetAtMs });
      await gate.acquire(deadline, tooLong);
      // 50 ms plus 0.99 of 200 ms after the reset.
      expect(Date.now()).toBeGreaterThanOrEqual(resetAtMs + 50 + 198);
    });
  });
});

describe('RateGate: timers', () => {
  /**
   * The timers set from now on in this test's realm (the code under test and the test; not
   * jest's own reporter, whose timers come and go in the same process), and which of them are
   * still running: neither fired nor cleared.
   */
  const watchTimers = () => {
    const running = new Set<NodeJS.Timeout>();
    const realSet = global.setTimeout;
    const realClear = global.clearTimeout;
    const set = jest.spyOn(global, 'setTimeout').mockImplementation(((
      callback: (...args: unknown[]) => void,
      ms?: number,
      ...args: unknown[]
    ) => {
      const timer = realSet(() => {
        running.delete(timer);
        callback(...args);
      }, ms);
      running.add(timer);
      return timer;
    }) as typeof setTimeout);
    const clear = jest.spyOn(global, 'clearTimeout').mockImplementation((timer) => {
      running.delete(timer as NodeJS.Timeout);
      realClear(timer);
    });
    return {
      running: () => running.size,
      restore: () => {
        set.mockRestore();
        clear.mockRestore();
      },
    };
  };

  it('a waiter woken by an answer leaves no timer running behind it', async () => {
    const gate = new RateGate(() => 0);
    const deadline = new Deadline(20_000);
    gate.release(await gate.acquire(deadline, tooLong), {
      limit: 2,
      remaining: 1,
      resetAtMs: Date.now() + 15_000,
    });
    // The one place left is taken; the waiter could sleep until the reset, 15 s away.
    const inFlight = await gate.acquire(deadline, tooLong);
    const timers = watchTimers();
    try {
      const waiter = gate.acquire(deadline, tooLong);
      await sleep(20);
      expect(timers.running()).toBe(1);
      gate.release(inFlight);
      await waiter;
      expect(timers.running()).toBe(0);
    } finally {
      timers.restore();
    }
  });
});

describe('client: 429s', () => {
  useFastClock();

  const getTwice = (z: ZObject, bundle: Bundle) =>
    new SotionClient(z, bundle).call(sotion.accessGroups.get, { params: { groupId: G } });

  it('retries a 429 for as long as the run allows, without spending the 4 attempts meant for 5xx', async () => {
    const soon = () => String(Math.ceil(Date.now() / 1000));
    for (let i = 0; i < 6; i += 1) {
      api()
        .get(`${PREFIX}/access-groups/${G}`)
        .reply(429, '', headers(`t${i}`, { 'retry-after': '0.05', 'x-ratelimit-reset': soon() }));
    }
    api().get(`${PREFIX}/access-groups/${G}`).reply(503, '', headers('5xx'));
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('ok'));
    const result = await appTester(getTwice, makeBundle({}));
    expect(result.requestId).toBe('req-ok');
  });

  it('waits a Retry-After of a fraction of a second, not a whole second or more', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(429, '', headers('f1', { 'retry-after': '0.2' }));
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('f2'));
    const started = Date.now();
    await appTester(getTwice, makeBundle({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('waits longer than 10 seconds inside the run when the deadline allows it', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '25000';
    try {
      api()
        .get(`${PREFIX}/access-groups/${G}`)
        .reply(429, '', headers('l1', { 'retry-after': '10.5' }));
      api()
        .get(`${PREFIX}/access-groups/${G}`)
        .reply(200, { data: group(7) }, headers('l2'));
      const result = await appTester(getTwice, makeBundle({}));
      expect(result.requestId).toBe('req-l2');
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  }, 20_000);

  it('remembers the headers of a 429 for the other requests of the run: they wait, not fail', async () => {
    const reset = Date.now() + 400;
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(429, '', headers('h1', { 'retry-after': '0.4', 'x-ratelimit-limit': '5' }));
    let sentAt: number[] = [];
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .times(4)
      .reply(() => {
        sentAt.push(Date.now());
        return [200, { data: group(7) }, headers('h2', { 'x-ratelimit-remaining': '3' })];
      });
    await appTester(async (z: ZObject, bundle: Bundle) => {
      const client = new SotionClient(z, bundle);
      await client.call(sotion.accessGroups.get, { params: { groupId: G } }).then(() => undefined);
      // The first call waited for the reset; the others of the run go after it as well.
      await Promise.all(
        [1, 2, 3].map(() => client.call(sotion.accessGroups.get, { params: { groupId: G } })),
      );
    }, makeBundle({}));
    sentAt = sentAt.sort();
    expect(sentAt[0]).toBeGreaterThanOrEqual(reset);
    expect(sentAt).toHaveLength(4);
  });

  it('a 429 with a Retry-After of "0.0" is asked again after a quarter second, not at the reset', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 120);
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(429, '', headers('z1', { 'retry-after': '0.0', 'x-ratelimit-reset': reset }));
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('z2'));
    const started = Date.now();
    const result = await appTester(
      (z: ZObject, bundle: Bundle) =>
        new SotionClient(z, bundle).call(sotion.accessGroups.get, { params: { groupId: G } }),
      makeBundle({}),
    );
    expect(result.requestId).toBe('req-z2');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('waits out a short throttle inside the run and retries, even a POST (a 429 was not processed)', async () => {
    api()
      .post(`${PREFIX}/access-groups`)
      .reply(429, '', headers('t4', { 'retry-after': '0' }));
    api()
      .post(`${PREFIX}/access-groups`, { name: 'VIP' })
      .reply(201, { data: group(1) }, headers('t5'));
    const result = await appTester(postGroup, makeBundle({}));
    expect(result.requestId).toBe('req-t5');
  });

  it('pauses before a request when the last response said no requests are left', async () => {
    const resetSoon = String(Math.ceil(Date.now() / 1000) + 1);
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(
        200,
        { data: group(7) },
        headers('p1', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetSoon }),
      );
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('p2'));
    const started = Date.now();
    await appTester(async (z: ZObject, bundle: Bundle) => {
      const client = new SotionClient(z, bundle);
      await client.call(sotion.accessGroups.get, { params: { groupId: G } });
      await client.call(sotion.accessGroups.get, { params: { groupId: G } });
    }, makeBundle({}));
    expect(Date.now()).toBeGreaterThanOrEqual(Number(resetSoon) * 1000);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('hands a long exhausted window back to Zapier as ThrottledError without sending', async () => {
    const resetLate = String(Math.ceil(Date.now() / 1000) + 300);
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(
        200,
        { data: group(7) },
        headers('p3', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetLate }),
      );
    const error = await rejection(
      appTester(async (z: ZObject, bundle: Bundle) => {
        const client = new SotionClient(z, bundle);
        await client.call(sotion.accessGroups.get, { params: { groupId: G } });
        await client.call(sotion.accessGroups.get, { params: { groupId: G } });
      }, makeBundle({})),
    );
    expect(error.name).toBe('ThrottledError');
    expect(JSON.parse(error.message).message).toMatch(
      /used up until its window resets in about (299|300|301) seconds/,
    );
  });
});
