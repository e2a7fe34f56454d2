/**
 * A clock that skips the time a test only waits, for tests whose subject waits on clocks
 * (rate-limit windows, Retry-After, back-off, the run's deadline, the sandbox's latencies): the
 * same waits happen, in the same order and at the same moments on the clock, without the wait.
 *
 * Jest's fake timers replace Date, setTimeout and setInterval of the test file, so the integration
 * and the in-process sandbox share one clock. A driver on the real clock moves it on:
 * - by the real time that passed, always (a step's own work costs what it costs, and a timer that
 *   is due fires, late as a real one would be);
 * - straight on to the next timer when nothing else can happen first: the event loop had nothing
 *   to do for two turns of the driver, and every HTTP request in flight has reached its server
 *   (which then waits on a timer too: the sandbox's latency or slow answers). A request or an
 *   answer on its way (a nock delay included) is real work: it is waited for in real time.
 * I/O, process.nextTick, setImmediate and performance.now stay real. Other real waits (a file
 * read, a child process, a timer of node:timers) are not known to the driver: a test that has
 * them, or that counts real timers, should not use this clock.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The real setTimeout, taken before any test can replace it. */
const realSetTimeout = globalThis.setTimeout;

/** Real milliseconds between two turns of the driver. */
const TURN_MS = 1;
/** A turn in which the event loop ran code for less than this (ms) found it idle. */
const IDLE_ACTIVE_MS = 0.25;
/** Idle turns in a row before a skip: one full poll for I/O has found nothing. */
const IDLE_TURNS = 2;

/** HTTP requests of this process in flight, counted by Node's own diagnostics channels. */
const countRequests = () => {
  const inFlight = { client: 0, server: 0 };
  const onClient = (message: unknown) => {
    inFlight.client += 1;
    (message as { request: ClientRequest }).request.once('close', () => (inFlight.client -= 1));
  };
  const onServer = (message: unknown) => {
    inFlight.server += 1;
    (message as { response: ServerResponse }).response.once('close', () => (inFlight.server -= 1));
  };
  subscribe('http.client.request.start', onClient);
  subscribe('http.server.request.start', onServer);
  return {
    inFlight,
    stop: () => {
      unsubscribe('http.client.request.start', onClient);
      unsubscribe('http.server.request.start', onServer);
    },
  };
};

/**
 * For a describe block (or a whole file): fake timers from beforeAll to afterAll, moved on by the
 * driver.
 */
export const useFastClock = (): void => {
  let running = false;
  let driver: Promise<void> | undefined;
  beforeAll(() => {
    jest.useFakeTimers({
      doNotFake: [
        'nextTick',
        'setImmediate',
        'clearImmediate',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
      now: Date.now(),
    });
    const timers = trackTimers();
    const requests = countRequests();
    const { inFlight } = requests;
    running = true;
    driver = (async () => {
      let last = performance.eventLoopUtilization();
      let idleTurns = 0;
      while (running) {
        await new Promise((resolve) => realSetTimeout(resolve, TURN_MS));
        const now = performance.eventLoopUtilization();
        const { idle, active } = performance.eventLoopUtilization(now, last);
        last = now;
        const fired = timers.fired;
        jest.advanceTimersByTime(idle + active);
        // Timers that fired just now have work queued (promise callbacks): not idle.
        idleTurns = active < IDLE_ACTIVE_MS && timers.fired === fired ? idleTurns + 1 : 0;
        // Requests on their way (sent, not yet at a server of this process) or answers on
        // theirs: the wait is for real I/O.
        if (idleTurns < IDLE_TURNS || inFlight.client > inFlight.server) continue;
        const next = timers.next();
        if (next !== undefined) jest.advanceTimersByTime(next - Date.now());
        idleTurns = 0;
      }
      requests.stop();
      timers.restore();
    })();
  });
  afterAll(async () => {
    running = false;
    await driver;
    jest.useRealTimers();
  });
};

/**
 * Wraps the fake setTimeout and setInterval to know when the next timer fires (jest does not
 * say). An entry is dropped when its timer fires or is cleared.
 */
const trackTimers = () => {
  const due = new Map<number, number>();
  const tracked = { fired: 0 };
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
  const fake = {
    setTimeout: g.setTimeout!,
    setInterval: g.setInterval!,
    clearTimeout: g.clearTimeout!,
    clearInterval: g.clearInterval!,
  };
  const delayOf = (ms: unknown) => Math.max(0, Number(ms) || 0);
  g.setTimeout = (fn: unknown, ms?: unknown, ...args: unknown[]) => {
    const handle = fake.setTimeout(
      (...a: unknown[]) => {
        due.delete(Number(handle));
        tracked.fired += 1;
        (fn as (...x: unknown[]) => void)(...a);
      },
      ms,
      ...args,
    );
    due.set(Number(handle), Date.now() + delayOf(ms));
    return handle;
  };
  g.setInterval = (fn: unknown, ms?: unknown, ...args: unknown[]) => {
    const every = Math.max(1, delayOf(ms));
    const handle = fake.setInterval(
      (...a: unknown[]) => {
        due.set(Number(handle), Date.now() + every);
        tracked.fired += 1;
        (fn as (...x: unknown[]) => void)(...a);
      },
      ms,
      ...args,
    );
    due.set(Number(handle), Date.now() + every);
    return handle;
  };
  for (const name of ['clearTimeout', 'clearInterval'] as const) {
    g[name] = (handle: unknown) => {
      if (handle !== undefined && handle !== null) due.delete(Number(handle));
      return fake[name](handle);
    };
  }
  return {
    /** Puts jest's fakes back (jest restores the real functions from them). */
    restore: () => Object.assign(g, fake),
    /** How many timers have fired so far. */
    get fired() {
      return tracked.fired;
    },
    /** When the next timer fires, or undefined when none is set for later. */
    next: (): number | undefined => {
      const now = Date.now();
      let first: number | undefined;
      for (const at of due.values())
        if (at > now && (first === undefined || at < first)) first = at;
      return first;
    },
  };
};
