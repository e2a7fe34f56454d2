import { randomUUID } from 'node:crypto';
import type { ConnectionCache } from './cache';
import type { Deadline } from './deadline';
import type { RateHeaders } from './rate-gate';

/**
 * The runs of one connection take turns on the site's rate limit through a ledger in z.cache
 * (scope `auth`). Time is cut into slots of one request each, sized so that no window of the
 * limit can hold more requests than it allows (`slotMs = window × 1.02 / (limit − 1)`). A run
 * claims the earliest free slot at or after the ledger's head (z.cache `nx`: one run wins each
 * slot) and sends in it; a slot beyond what the run can wait for is kept as a ticket and the run
 * goes back to Zapier until then, so a flood is spread over as many windows as it needs, in
 * order of arrival, instead of every run coming back at the same reset.
 *
 * Pacing starts when a run sees other runs using the window (half the window used, and not by
 * itself) and stops a window after the last claim. An endpoint with a documented limit of its own
 * (login links: 50 a minute per site) has a lane of its own, always paced, and its requests hold
 * a slot of both lanes. The ledger is best effort: without z.cache, or with a cache that lost an
 * entry, a run falls back on its own rate gate.
 */

/** A limit of one endpoint's own, per site (reference §1.7). */
export interface SiteLimit {
  lane: string;
  count: number;
  perSeconds: number;
}

/** What the runs learned about the general limit (X-RateLimit-*), shared. */
interface Params {
  limit: number;
  /** The window's length as learned: an upper bound (the smallest seen). */
  windowMs: number;
  /** One request per slot of this length. */
  slotMs: number;
  /** When the newest window seen to start was asked for (a send time). */
  freshAt?: number;
}

export const GENERAL = 'general';
const PREFIX = 'sotion:rate:v1';
/** Slots are 2% longer than the limit allows: late answers and clocks a little apart. */
const MARGIN = 1.02;
/** A lane's state outlives its last claim by this much. */
const STATE_TTL_S = 900;
/** A slot key lives until a little after its slot. */
const SLOT_TTL_EXTRA_S = 120;
/** A run comes back from Zapier this long before its slot (or up to a second more). */
export const LEAD_MS = 300;
/** Time a request needs after its slot, to be worth waiting for in the run. */
const RESERVE_MS = 1_000;
/** Claims tried for one slot before the run gives up pacing that request. */
const MAX_PROBES = 16;
/** A held slot may still be used this late (a replay a little late); later, it is lost. */
const LATE_OK_MS = 2_000;

/** Endpoint limits can be scaled for tests and benchmarks: SOTION_RATE_LOGIN_LINKS=20/2. */
const limitOf = (limit: SiteLimit, env: NodeJS.ProcessEnv): SiteLimit => {
  const raw = env[`SOTION_RATE_${limit.lane.toUpperCase().replace(/-/g, '_')}`];
  const match = raw ? /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw.trim()) : null;
  return match ? { ...limit, count: Number(match[1]), perSeconds: Number(match[2]) } : limit;
};

/** One request per slot of this length keeps any window of `windowMs` at `limit` or fewer. */
export const slotLength = (limit: number, windowMs: number): number =>
  Math.ceil((windowMs * MARGIN) / Math.max(1, limit - 1));

/** What the ledger tells the client before a request. */
export type Turn =
  | { kind: 'free' }
  | { kind: 'wait'; at: number }
  | { kind: 'handBack'; at: number; delaySeconds: number };

interface Held {
  at: number;
  lane: string;
}

interface Lane {
  lane: string;
  slotMs: number;
}

export class RateLedger {
  private params: Params | undefined;
  /** Each lane's head as last read or written: the start of the latest slot claimed. */
  private readonly heads = new Map<string, number>();
  private readonly reads = new Map<string, Promise<void>>();
  private started: Promise<void> | undefined;
  /** Slots this run holds (from its ticket or its own plan), oldest first. */
  private held: Held[] = [];
  /** Requests the caller announced and not yet sent: a claim reserves a slot for each. */
  private planned = 0;
  /** This run saw other runs using the window: it paces even before the ledger says so. */
  private contended = false;
  /** Own answers per window (by its reset), to tell this run's use of a window from others'. */
  private readonly own = new Map<number, number>();
  /** The slowest answer of this run: slots reserved in a row are at least this far apart. */
  private latencyMs = 250;
  private readonly token = randomUUID();
  /** Slots this run claimed, and claims refused (another run had the slot). */
  claims = 0;
  refused = 0;

  constructor(
    private readonly cache: ConnectionCache,
    /** Where this step's ticket is kept between its tries (a digest of its input). */
    private readonly ticketKey: string,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The next `count` requests come in a row: a claim reserves a slot for each still to come. */
  plan(count: number): void {
    this.planned = count;
  }

  /** Reads the ticket an earlier try left and the general lane, once per run, in parallel. */
  private start(): Promise<void> {
    this.started ??= (async () => {
      const [ticket, params] = await Promise.all([
        this.cache.get(this.ticketKey),
        this.cache.get(`${PREFIX}:${GENERAL}`),
        this.readHead(GENERAL),
      ]);
      if (isParams(params)) this.params = params;
      if (Array.isArray(ticket)) {
        this.held = ticket.filter(isHeld).sort((a, b) => a.at - b.at);
        // The ticket is this try's now; a try that goes back again writes what is left.
        await this.cache.delete(this.ticketKey);
      }
    })();
    return this.started;
  }

  private readHead(lane: string): Promise<void> {
    const pending = (async () => {
      const value = await this.cache.get(`${PREFIX}:${lane}:head`);
      if (typeof value === 'number')
        this.heads.set(lane, Math.max(value, this.heads.get(lane) ?? 0));
    })();
    this.reads.set(lane, pending);
    return pending;
  }

  private async head(lane: string): Promise<number> {
    await (this.reads.get(lane) ?? this.readHead(lane));
    return this.heads.get(lane) ?? 0;
  }

  /** Moves a lane's head forward (never back, as far as this run knows). */
  private async advance(lane: string, at: number): Promise<void> {
    if (at <= (this.heads.get(lane) ?? 0)) return;
    this.heads.set(lane, at);
    await this.cache.set(`${PREFIX}:${lane}:head`, at, STATE_TTL_S);
  }

  /** The general lane paces while anyone claimed a slot within the last window, or later. */
  private paced(params: Params, now: number): boolean {
    return this.contended || (this.heads.get(GENERAL) ?? 0) > now - params.windowMs;
  }

  /**
   * Before a request: go now (`free`: no pacing), wait until a slot, or go back to Zapier until
   * one. `limit` is the endpoint's own limit, if it has one; `notBefore` a time the run knows
   * the window is used up until.
   */
  async turn(deadline: Deadline, limit?: SiteLimit, notBefore = 0): Promise<Turn> {
    await this.start();
    const now = this.now();
    const own = limit ? limitOf(limit, this.env) : undefined;
    const lanes: Lane[] = own
      ? [{ lane: own.lane, slotMs: slotLength(own.count, own.perSeconds * 1000) }]
      : [];
    const lane = own?.lane ?? GENERAL;
    // A slot held from an earlier try, or reserved by the run's plan, comes first; one whose
    // time is long past is lost (the run queues again).
    this.held = this.held.filter((h) => h.at + LATE_OK_MS >= now && h.at >= notBefore);
    if (!own) this.planned = Math.max(0, this.planned - 1);
    const mine = this.held.find((h) => h.lane === lane);
    if (mine) return this.decide(mine, deadline, now);
    const params = this.params;
    if (params && this.paced(params, now)) lanes.push({ lane: GENERAL, slotMs: params.slotMs });
    if (!lanes.length) return { kind: 'free' };
    const count = own ? 1 : 1 + this.planned;
    let from = Math.max(now, notBefore);
    for (let n = 0; n < count; n += 1) {
      const at = await this.claimTogether(lanes, from);
      if (at === undefined) break;
      this.held.push({ at, lane });
      from = at + Math.max(this.latencyMs + 50, ...lanes.map((l) => l.slotMs));
    }
    this.held.sort((a, b) => a.at - b.at);
    const claimed = this.held.find((h) => h.lane === lane);
    if (!claimed && this.cache.working) {
      // Every slot tried was taken as it was tried: too many runs claim at once. Sending now
      // would crowd the window; coming back a little later spreads them.
      return { kind: 'handBack', at: now, delaySeconds: 1 + Math.floor(this.random() * 3) };
    }
    return claimed ? this.decide(claimed, deadline, now) : { kind: 'free' };
  }

  private decide(slot: Held, deadline: Deadline, now: number): Turn {
    if (slot.at + RESERVE_MS <= deadline.endsAt) {
      this.held.splice(this.held.indexOf(slot), 1);
      return { kind: 'wait', at: slot.at };
    }
    // Too far for this try: the slot (and those after it) wait for the next try as a ticket.
    return {
      kind: 'handBack',
      at: slot.at,
      delaySeconds: Math.max(1, Math.floor((slot.at - now - LEAD_MS) / 1000)),
    };
  }

  /** Keeps the slots this run holds for its next try (before it goes back to Zapier). */
  async keepTicket(): Promise<void> {
    const now = this.now();
    const held = this.held.filter((h) => h.at + LATE_OK_MS >= now);
    if (!held.length) return;
    const last = Math.max(...held.map((h) => h.at));
    await this.cache.set(this.ticketKey, held, (last - now) / 1000 + SLOT_TTL_EXTRA_S);
  }

  /**
   * A slot of every lane open at one time `t` (each lane's slot starts at or before `t` and
   * ends after it): `t`, the time to send, or undefined when none could be had.
   */
  private async claimTogether(lanes: Lane[], from: number): Promise<number | undefined> {
    let t = from;
    const times = new Map<string, number>();
    const open = (l: Lane) => {
      const at = times.get(l.lane);
      return at !== undefined && at <= t && t < at + l.slotMs;
    };
    for (let round = 0; round < 6; round += 1) {
      for (const l of lanes) {
        if (open(l)) continue;
        const old = times.get(l.lane);
        if (old !== undefined) await this.cache.delete(slotKey(l.lane, l.slotMs, old));
        const at = await this.claim(l, t);
        if (at === undefined) return undefined;
        times.set(l.lane, at);
        t = Math.max(t, at);
      }
      if (lanes.every(open)) return t;
    }
    for (const l of lanes) {
      const at = times.get(l.lane);
      if (at !== undefined) await this.cache.delete(slotKey(l.lane, l.slotMs, at));
    }
    return undefined;
  }

  /** Claims the earliest free slot of a lane that is open at `from` or later, after its head. */
  private async claim({ lane, slotMs }: Lane, from: number): Promise<number | undefined> {
    const afterHead = async () => Math.floor((await this.head(lane)) / slotMs) + 1;
    let index = Math.max(Math.floor(from / slotMs), await afterHead());
    for (let probe = 1; probe <= MAX_PROBES; probe += 1) {
      const at = index * slotMs;
      const ttl = (at - this.now()) / 1000 + SLOT_TTL_EXTRA_S;
      if (await this.cache.claim(slotKey(lane, slotMs, at), this.token, ttl)) {
        this.claims += 1;
        await this.advance(lane, at);
        return at;
      }
      this.refused += 1;
      if (!this.cache.working) return undefined;
      // Another run holds it: further on, spread the wider the more claims failed (many runs
      // claim at once, and would otherwise all try the same next slot).
      await this.readHead(lane);
      const spread = Math.floor(this.random() * Math.min(probe, 8));
      index = Math.max(index + 1, await afterHead()) + spread;
    }
    return undefined;
  }

  /**
   * After an answer: learns the limit and the window's length, notices other runs using the
   * window (and starts pacing for all), and after a 429 moves the head past the window's end.
   */
  async observe(headers: RateHeaders | undefined, sentAt: number): Promise<void> {
    if (!headers) return;
    const { limit, remaining, resetAtMs, throttled, ownLimit } = headers;
    const now = this.now();
    this.latencyMs = Math.max(this.latencyMs, Math.min(5_000, now - sentAt));
    // A 429 of an endpoint's own limit (the window still had room) says nothing of the window.
    if (limit === undefined || resetAtMs === undefined || ownLimit) return;
    await this.start();
    const mine = (this.own.get(resetAtMs) ?? 0) + (throttled ? 0 : 1);
    this.own.set(resetAtMs, mine);
    if (!throttled && remaining === limit - 1) {
      // The first request of a window: the window ends at most (reset − send) later, and it
      // began at least a window after the one before it.
      const before = this.params;
      let windowMs = Math.min(before?.windowMs ?? Infinity, resetAtMs - sentAt);
      if (before?.freshAt !== undefined && before.freshAt < sentAt)
        windowMs = Math.min(windowMs, now - before.freshAt);
      if (windowMs > 0) {
        const slotMs = slotLength(limit, windowMs);
        const keep = before && before.limit === limit && before.slotMs <= slotMs * 1.03;
        this.params = {
          limit,
          windowMs,
          slotMs: keep ? before.slotMs : slotMs,
          freshAt: sentAt,
        };
        await this.cache.set(`${PREFIX}:${GENERAL}`, this.params, STATE_TTL_S);
      }
    }
    // Learned by another run since this one started (the window it saw first was not fresh).
    if (!this.params) {
      const stored = await this.cache.get(`${PREFIX}:${GENERAL}`);
      if (isParams(stored)) this.params = stored;
    }
    const params = this.params;
    if (!params || this.paced(params, now)) {
      // Paced requests were refused all the same: nothing more goes in this window.
      if (params && throttled) await this.advance(GENERAL, resetAtMs);
      return;
    }
    const used = throttled ? limit : limit - (remaining ?? 0);
    const others = used - mine;
    if (others > 0 && (throttled || used >= limit / 2)) {
      // Others share the window: everyone paces from here, after what the window already used.
      this.contended = true;
      await this.advance(GENERAL, throttled ? resetAtMs : Math.max(now + used * params.slotMs, 0));
    }
  }
}

const isHeld = (value: unknown): value is Held =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Held).at === 'number' &&
  typeof (value as Held).lane === 'string';

const isParams = (value: unknown): value is Params =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Params).limit === 'number' &&
  typeof (value as Params).windowMs === 'number' &&
  typeof (value as Params).slotMs === 'number' &&
  (value as Params).slotMs > 0;

const slotKey = (lane: string, slotMs: number, at: number) =>
  `${PREFIX}:${lane}:${slotMs}:${Math.floor(at / slotMs)}`;
