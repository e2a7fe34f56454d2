import type { HttpResponse } from 'zapier-platform-core';
import type { Deadline } from './deadline';

/** What Sotion's rate-limit headers said, in milliseconds. */
export interface RateHeaders {
  /** X-RateLimit-Limit: requests per window. */
  limit?: number;
  /** X-RateLimit-Remaining (0 on a 429). */
  remaining?: number;
  /** When the window ends: Retry-After on a 429, else X-RateLimit-Reset (Unix seconds). */
  resetAtMs?: number;
  /** A 429: nothing was processed and nothing is left until the reset. */
  throttled?: boolean;
  /** A 429 whose X-RateLimit-Remaining still shows room: a limit of the endpoint's own. */
  ownLimit?: boolean;
}

/** A numeric header, or undefined when it is missing or not a number (core answers null). */
export const headerNumber = (
  response: Pick<HttpResponse, 'getHeader'>,
  name: string,
): number | undefined => {
  const raw = response.getHeader(name);
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
};

/** Retry-After in milliseconds from now: seconds (fractions kept) or an HTTP date. */
const retryAfterMs = (
  response: Pick<HttpResponse, 'getHeader'>,
  nowMs: number,
): number | undefined => {
  const raw = response.getHeader('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
};

/** The rate-limit headers of any answer, 2xx or not; a 429 always means nothing is left. */
export const readRateHeaders = (
  response: Pick<HttpResponse, 'getHeader' | 'status'>,
  nowMs: number = Date.now(),
): RateHeaders => {
  const throttled = response.status === 429;
  const reset = headerNumber(response, 'x-ratelimit-reset');
  const said = headerNumber(response, 'x-ratelimit-remaining');
  const retryAfter = throttled ? retryAfterMs(response, nowMs) : undefined;
  return {
    limit: headerNumber(response, 'x-ratelimit-limit'),
    remaining: throttled ? 0 : said,
    throttled,
    ...(throttled && said !== undefined && said > 0 ? { ownLimit: true } : {}),
    resetAtMs:
      retryAfter !== undefined
        ? nowMs + retryAfter
        : reset === undefined
          ? undefined
          : reset * 1000,
  };
};

/** After a 429 without any hint of when to come back. */
export const DEFAULT_THROTTLE_MS = 60_000;
/** After a 429 whose reset is already past (clock skew): never ask again at once. */
const MIN_THROTTLE_WAIT_MS = 250;
/** Added to every reset, once per window: runs sharing a key do not all come back at once. */
const JITTER_MIN_MS = 50;
const JITTER_SPAN_MS = 200;
/** Time a request needs after a wait to be worth waiting for. */
const WAIT_RESERVE_MS = 1_000;

/**
 * One per run, shared by every request of the run. It knows what the last answers said about
 * the rate-limit window and how many requests are in flight, and lets a request go only while
 * the window has room for it: never more in flight than Sotion said remain. When the window is
 * used up, every waiting request sleeps until the same moment (the reset plus one jitter) and
 * then as many go as the new window allows. A wait the run cannot afford is handed back.
 */
export class RateGate {
  private limit: number | undefined;
  private remaining: number | undefined;
  /** When waiting requests may go again (the reset plus jitter); undefined when not waiting. */
  private opensAtMs: number | undefined;
  /** The newest reset seen: answers about an older window are ignored. */
  private lastResetMs = 0;
  /** Requests sent in the current window and not answered yet. */
  private inFlight = 0;
  /** Counts windows: a request sent in an earlier window was counted there, not in this one. */
  private window = 0;
  private listeners: Array<() => void> = [];

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** When the window this run knows of is used up: the time it opens again, else undefined. */
  blockedUntil(): number | undefined {
    const full = this.remaining !== undefined && this.remaining - this.inFlight <= 0;
    return full && this.opensAtMs !== undefined && this.opensAtMs > this.now()
      ? this.opensAtMs
      : undefined;
  }

  /** Requests currently sent and not answered. */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * Waits until one more request fits the window, then counts it in flight and returns its
   * ticket, which the one `release` that follows hands back. When the wait would not leave the
   * run time to send the request, throws what `tooLong(waitMs)` makes instead.
   */
  async acquire(deadline: Deadline, tooLong: (waitMs: number) => Error): Promise<number> {
    for (;;) {
      const now = this.now();
      if (this.opensAtMs !== undefined && now >= this.opensAtMs) {
        // A new window: as much room as the limit (unknown without an X-RateLimit-Limit).
        this.opensAtMs = undefined;
        this.remaining = this.limit;
        this.window += 1;
        this.inFlight = 0;
      }
      if (this.remaining === undefined || this.remaining - this.inFlight > 0) {
        this.inFlight += 1;
        return this.window;
      }
      if (this.opensAtMs !== undefined) {
        const waitMs = this.opensAtMs - now;
        if (!deadline.canWait(waitMs, WAIT_RESERVE_MS)) throw tooLong(waitMs);
        await this.sleepOrChange(this.opensAtMs);
      } else {
        // The room left is taken by requests in flight: their answers will say more.
        const waitMs = Math.max(0, deadline.remainingMs() - WAIT_RESERVE_MS);
        if (waitMs === 0) throw tooLong(0);
        await this.sleepOrChange(now + waitMs);
      }
    }
  }

  /** A request is answered (or failed without an answer): what its headers said, if anything. */
  release(ticket: number, headers?: RateHeaders): void {
    if (ticket === this.window) this.inFlight = Math.max(0, this.inFlight - 1);
    if (headers) this.observe(headers);
    const listeners = this.listeners;
    this.listeners = [];
    for (const wake of listeners) wake();
  }

  private observe({ limit, remaining, resetAtMs, throttled }: RateHeaders): void {
    const now = this.now();
    if (limit !== undefined) this.limit = limit;
    let reset = resetAtMs;
    let left = remaining;
    if (throttled) {
      left = 0;
      // Wait for the reset, a minute when none is given, and never ask again at once.
      reset = Math.max(reset ?? now + DEFAULT_THROTTLE_MS, now + MIN_THROTTLE_WAIT_MS);
    }
    // A count without a window end belongs to the window an earlier answer named, while that
    // window lasts; with none known it cannot say when room comes back: the next 429 will.
    if (reset === undefined && this.lastResetMs > now) reset = this.lastResetMs;
    if (reset === undefined) return;
    if (reset > this.lastResetMs) {
      this.lastResetMs = reset;
      // The last word about a window that already ended says nothing about the next one.
      if (reset <= now) return;
      this.remaining = left;
      this.opensAtMs = reset + JITTER_MIN_MS + Math.floor(this.random() * JITTER_SPAN_MS);
    } else if (reset === this.lastResetMs && this.opensAtMs !== undefined && left !== undefined) {
      // Answers of one window arrive out of order: the smallest count is the latest.
      this.remaining = Math.min(this.remaining ?? left, left);
    }
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.listeners.push(resolve));
  }

  /**
   * Sleeps until `atMs` or until an answer arrives, whichever is first. The timer is cleared
   * when an answer wins: a wait of up to the whole run must not keep the process alive after it.
   */
  private async sleepOrChange(atMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const slept = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, atMs - this.now()));
    });
    await Promise.race([slept, this.change()]);
    clearTimeout(timer);
  }
}
