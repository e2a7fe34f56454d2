import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { api as sotion } from '../../src/api';
import { SotionClient } from '../../src/http/client';
import { Deadline, sleep } from '../../src/http/deadline';
import { RateGate, readRateHeaders } from '../../src/http/rate-gate';
import { useFastClock } from '../fast-clock';
import { api, appTester, group, headers, makeBundle, PREFIX, uuid } from '../helpers';

const G = uuid(7);
const tooLong = (waitMs: number) => new Error(`too long: ${waitMs}`);

describe('deadline', () => {
  it('a wait that leaves exactly the reserve is affordable; one millisecond more is not', () => {
    const now = 1_800_000_000_000;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      const deadline = new Deadline(5_000, now);
      expect(deadline.canWait(4_000, 1_000)).toBe(true);
      expect(deadline.canWait(4_001, 1_000)).toBe(false);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('rate gate: more', () => {
  // Retry-After and reset waits run on a clock that skips the waiting.
  useFastClock();

  it('a Retry-After of "0.0" is a wait of zero seconds, ahead of X-RateLimit-Reset', () => {
    const now = 1_800_000_000_000;
    const of = (h: Record<string, string>) => ({ status: 429, getHeader: (k: string) => h[k] });
    expect(
      readRateHeaders(of({ 'retry-after': '0.0', 'x-ratelimit-reset': '1800000120' }), now),
    ).toEqual({ limit: undefined, remaining: 0, resetAtMs: now, throttled: true });
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
});

describe('rate gate: timers', () => {
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

describe('rate gate: what an answer says', () => {
  // Retry-After and reset waits run on a clock that skips the waiting.
  useFastClock();

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
