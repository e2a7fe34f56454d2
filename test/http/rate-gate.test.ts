import type { Bundle, ZObject } from 'zapier-platform-core';
import { api as sotion } from '../../src/api';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
import { headerNumber, RateGate, readRateHeaders } from '../../src/http/rate-gate';
import { useFastClock } from '../fast-clock';
import { PREFIX, api, appTester, group, headers, makeBundle, rejection, uuid } from '../helpers';

const G = uuid(7);
useFastClock();
const tooLong = (waitMs: number) => new Error(`too long: ${waitMs}`);

describe('rate gate', () => {
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
});

describe('client: 429s', () => {
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
});
