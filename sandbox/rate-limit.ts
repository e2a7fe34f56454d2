/** The general rate limit (DECISIONS.rateLimit): a fixed window per key. */

export interface RateSettings {
  /** Requests per key per window. */
  rateLimit: number;
  /** The window in seconds; fractions are allowed (0.5 = 500 ms). */
  rateWindowSeconds: number;
}

export interface RateCheck {
  /** X-RateLimit-Limit, -Remaining and -Reset (Unix seconds, rounded up), for every answer. */
  headers: Record<string, string>;
  exceeded: boolean;
  /** When the window ends, in ms. */
  resetAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { resetAt: number; used: number }>();

  constructor(private readonly settings: RateSettings) {}

  clear(): void {
    this.buckets.clear();
  }

  check(key: string): RateCheck {
    const { rateLimit, rateWindowSeconds } = this.settings;
    const nowMs = Date.now();
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= nowMs) {
      bucket = { resetAt: nowMs + rateWindowSeconds * 1000, used: 0 };
      this.buckets.set(key, bucket);
    }
    bucket.used += 1;
    return {
      exceeded: bucket.used > rateLimit,
      resetAt: bucket.resetAt,
      headers: {
        'x-ratelimit-limit': String(rateLimit),
        'x-ratelimit-remaining': String(Math.max(0, rateLimit - bucket.used)),
        'x-ratelimit-reset': String(Math.ceil(bucket.resetAt / 1000)),
      },
    };
  }
}
