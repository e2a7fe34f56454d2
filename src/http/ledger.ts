import { randomUUID } from 'node:crypto';
import type { ConnectionCache } from './cache';
import type { Deadline } from './deadline';
import type { RateHeaders } from './rate-gate';
import type { Held, StepMemory } from './step-memory';

/**
 * The runs of one connection take turns on the site's rate limit through a ledger in z.cache
 * (scope `auth`: the runs of one Sotion site key, and no one else).
 *
 * Time is cut into slots of one request each. A run claims a slot with z.cache's `nx` (one run
 * wins each slot) and sends in it. Runs queue: a claim takes the earliest free slot after the
 * lane's head (the latest slot claimed in turn), and a slot beyond what the run can wait for is
 * kept as a ticket while the run goes back to Zapier, which runs it again a little before its
 * turn. So a flood is spread over as many windows as it needs, in the order the runs came.
 *
 * - Slots are even, `window × 1.02 / limit` apart, so no window can hold more requests than the
 *   limit allows, whatever its kind (a fixed window, a rolling one, a bucket: Sotion documents
 *   none). The last slot of every `limit` is spare: a run that lost its turn (its replay came back
 *   after the slot, or Sotion refused it all the same) takes the next spare slot instead of going
 *   to the back of the queue.
 * - An endpoint with a documented limit of its own (login links: 50 a minute per site) has a lane
 *   of its own, always paced. A request of the lane also needs a slot of the general lane; while
 *   the lane is in use, the general lane keeps free the general slot that follows each of the
 *   lane's slots, so the requests of other steps never crowd it out.
 * - Pacing the general lane starts when a run sees other runs using the window (half of it used,
 *   not by itself) and stops a window after the last claim.
 *
 * What it costs: a run alone on the site sends no ledger traffic per request: one read of its
 * step's memory and one of the shared state per try. Under contention: one `nx` per slot (more
 * when runs claim at the same moment), one write of the lanes' heads per claiming turn, and one
 * write of the ticket (in the step's memory, with what the step confirmed) when a try goes back.
 * The ledger is best effort: without z.cache, or with a cache that lost an entry, a run falls
 * back on its own rate gate.
 */

/** A limit of one endpoint's own, per site (reference §1.7). */
export interface SiteLimit {
  lane: string;
  count: number;
  perSeconds: number;
}

/** What the runs learned about the general limit (X-RateLimit-*). */
interface Params {
  limit: number;
  /** The window's length as learned: an upper bound (the smallest seen). */
  windowMs: number;
  /** When the newest window seen to start was asked for (a send time). */
  freshAt?: number;
}

/** An endpoint lane in use, as the general lane needs to know it (to keep its slots free). */
interface InUse {
  /** When a run of the lane last said so. */
  at: number;
  /** The lane's limit. */
  count: number;
  windowMs: number;
}

/**
 * What the runs of the connection share about the general lane, in two entries: the head, written
 * by every claim in turn; the rest (the limit learned, the lanes in use), written now and then,
 * each time after reading it (so neither kind of write undoes the other).
 */
interface Shared {
  params?: Params;
  /** The general lane's head: the start of the latest slot claimed in turn. */
  head?: number;
  /** Endpoint lanes in use. */
  active?: Record<string, InUse>;
}

/** An endpoint lane's own entry, written only by its own claims. */
interface LaneState {
  /** The start of the latest slot claimed in turn. */
  head: number;
}

/** A lane's slots: one every `slotMs`, the last of every `per` spare (0: none). */
interface Lattice {
  lane: string;
  slotMs: number;
  per: number;
  /** How late a slot may still be used without crowding a window. */
  toleranceMs: number;
}

export const GENERAL = 'general';
const PREFIX = 'sotion:rate:v2';
const HEAD = `${PREFIX}:head`;
const STATE = `${PREFIX}:state`;
/** Windows are taken 2% longer than the limit says: late answers and clocks a little apart. */
const MARGIN = 1.02;
/** The shared state outlives the last claim by this much. */
const STATE_TTL_S = 900;
/** A slot key lives until a little after its slot. */
const SLOT_TTL_EXTRA_S = 120;
/** Time a request needs after its slot, to be worth waiting for in the run. */
const RESERVE_MS = 1_000;
/** Claims tried for one slot before the run gives up pacing that request. */
const MAX_PROBES = 24;
/** A run comes back from Zapier this share of its time before its slot (within the bounds). */
const LEAD_SHARE = 0.2;
const LEAD_MIN_MS = 300;
const LEAD_MAX_MS = 5_000;
/** An endpoint lane counts as in use this long after a run last said so. */
const LANE_ACTIVE_MS = 120_000;
/** Before claiming, the shared state is read again when this run's copy is older than this. */
const FRESH_MS = 1_000;
/** A held slot missed by more than this belongs to an earlier run with the same input. */
const STALE_MS = 60_000;

/** Endpoint limits can be scaled for tests and benchmarks: SOTION_RATE_LOGIN_LINKS=20/2. */
const limitOf = (limit: SiteLimit, env: NodeJS.ProcessEnv): SiteLimit => {
  const raw = env[`SOTION_RATE_${limit.lane.toUpperCase().replace(/-/g, '_')}`];
  const match = raw ? /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw.trim()) : null;
  return match ? { ...limit, count: Number(match[1]), perSeconds: Number(match[2]) } : limit;
};

/** A lane of `limit` requests per `windowMs`. */
export const latticeOf = (lane: string, limit: number, windowMs: number): Lattice => ({
  lane,
  slotMs: Math.ceil((windowMs * MARGIN) / Math.max(1, limit)),
  per: limit >= 3 ? limit : 0,
  toleranceMs: Math.floor((windowMs * (MARGIN - 1)) / 2),
});

/** When slot `i` starts. */
const timeOf = (l: Lattice, i: number): number => i * l.slotMs;
/** The first slot that starts at or after `t`. */
const indexAt = (l: Lattice, t: number): number => Math.ceil(t / l.slotMs);
/** The last slot that starts at or before `t`. */
const indexBefore = (l: Lattice, t: number): number => Math.floor(t / l.slotMs);
const isSpare = (l: Lattice, i: number) => l.per > 0 && i % l.per === l.per - 1;
/** The first spare slot at or after slot `i`. */
const nextSpare = (l: Lattice, i: number) => i + ((l.per - 1 - (i % l.per) + l.per) % l.per);
const slotKey = (l: Lattice, i: number) => `${PREFIX}:${l.lane}:${l.slotMs}:${i}`;
const laneKey = (lane: string) => `${PREFIX}:lane:${lane}`;

/** A run comes back this long before its slot: a fifth of its time, 0.3 s to 5 s. */
export const leadMs = (deadline: Deadline): number =>
  Math.min(
    LEAD_MAX_MS,
    Math.max(LEAD_MIN_MS, Math.floor((deadline.endsAt - deadline.startedAt) * LEAD_SHARE)),
  );

/** What the ledger tells the client before a request. */
export type Turn =
  | { kind: 'free' }
  | { kind: 'wait'; at: number }
  | { kind: 'handBack'; at: number; delaySeconds: number };

export class RateLedger {
  private shared: Shared = {};
  private sharedRead: Promise<void> | undefined;
  /** When the shared state was last read. */
  private sharedAt = -Infinity;
  /** The general head moved here by a claim of this run, not written yet. */
  private headMoved = false;
  /** The general head was pushed on (after a 429, or when others showed up): written after a read. */
  private headPushed = false;
  /** The limit learned or a lane in use, not written yet (written after a read). */
  private dirty = false;
  /** Each endpoint lane's own state (an entry of its own, written only by its claims). */
  private readonly lanes = new Map<string, LaneState>();
  private readonly laneReads = new Map<string, { read: Promise<void>; at: number }>();
  private readonly laneDirty = new Set<string>();
  private adopted = false;
  /** Turns this run holds (from its ticket or its own claims), oldest first. */
  private held: Held[] = [];
  /** Requests the caller announced and not yet sent: a claim reserves a turn for each. */
  private planned = 0;
  /** This run saw other runs using the window: it paces even before the shared state says so. */
  private contended = false;
  /** The run lost a turn (late, or refused all the same): its next claim is a spare slot. */
  private lost = false;
  /** Own answers per window (by its reset), to tell this run's use of a window from others'. */
  private readonly own = new Map<number, number>();
  /** The slowest answer of this run: turns reserved in a row are at least this far apart. */
  private latencyMs = 250;
  private readonly token = randomUUID();
  /** Slots this run claimed, claims refused (another run had the slot), spare slots taken. */
  claims = 0;
  refused = 0;
  spares = 0;

  constructor(
    private readonly cache: ConnectionCache,
    private readonly memory: StepMemory,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The next `count` requests come in a row: a claim reserves a turn for each still to come. */
  plan(count: number): void {
    this.planned = count;
  }

  /** Takes the turns an earlier try kept (once per try); a stale one is an earlier run's. */
  private async adopt(): Promise<void> {
    await this.memory.load();
    if (this.adopted) return;
    this.adopted = true;
    const now = this.now();
    this.held = this.memory.ticket.filter((h) => h.at + h.toleranceMs + STALE_MS >= now);
    // A run that held turns was paced: it goes on pacing.
    if (this.held.length) this.contended = true;
  }

  /**
   * Reads the shared state when this run's copy is older than `maxAgeMs` (once per try by
   * default); merges what this run knows.
   */
  private loadShared(maxAgeMs = Infinity): Promise<void> {
    if (this.sharedRead && this.now() - this.sharedAt <= maxAgeMs) return this.sharedRead;
    this.sharedAt = this.now();
    this.sharedRead = (async () => {
      const [state] = await Promise.all([this.cache.get(STATE), this.readHead()]);
      this.mergeState(state);
    })();
    return this.sharedRead;
  }

  /** Reads the general head (alone: what claims at the same moment need). */
  private async readHead(): Promise<void> {
    const stored = await this.cache.get(HEAD);
    const head = (stored as { head?: unknown } | null)?.head;
    if (typeof head === 'number') this.shared.head = Math.max(this.shared.head ?? 0, head);
  }

  /** Merges the stored limit and lanes into this run's copy (the latest of each). */
  private mergeState(stored: unknown): void {
    if (typeof stored !== 'object' || stored === null) return;
    const s = stored as Shared;
    const mine = this.shared;
    const active: Record<string, InUse> = { ...(isActive(s.active) ? s.active : {}) };
    for (const [lane, info] of Object.entries(mine.active ?? {}))
      if (info.at > (active[lane]?.at ?? -Infinity)) active[lane] = info;
    const theirs = isParams(s.params) ? s.params : undefined;
    this.shared = {
      // The latest learned (their copy, unless this run learned later).
      params:
        mine.params && (!theirs || (mine.params.freshAt ?? 0) > (theirs.freshAt ?? 0))
          ? mine.params
          : theirs,
      head: mine.head,
      active,
    };
  }

  /** Reads an endpoint lane's state when this run's copy is older than `maxAgeMs`. */
  private loadLane(lane: string, maxAgeMs: number): Promise<void> {
    const last = this.laneReads.get(lane);
    if (last && this.now() - last.at <= maxAgeMs) return last.read;
    const read = (async () => {
      const stored = await this.cache.get(laneKey(lane));
      if (!isLaneState(stored)) return;
      this.lanes.set(lane, { head: Math.max(stored.head, this.lanes.get(lane)?.head ?? 0) });
    })();
    this.laneReads.set(lane, { read, at: this.now() });
    return read;
  }

  private async saveShared(): Promise<void> {
    const lanes = [...this.laneDirty];
    this.laneDirty.clear();
    const { headMoved, headPushed, dirty } = this;
    this.headMoved = this.headPushed = this.dirty = false;
    await Promise.all([
      // A claim of this run: the news. Pushed on from what this run saw: maybe behind others.
      headMoved || headPushed
        ? (async () => {
            if (!headMoved) await this.readHead();
            await this.cache.set(HEAD, { head: this.shared.head }, STATE_TTL_S);
          })()
        : undefined,
      dirty
        ? (async () => {
            this.mergeState(await this.cache.get(STATE));
            const { params, active } = this.shared;
            await this.cache.set(STATE, { params, active }, STATE_TTL_S);
          })()
        : undefined,
      ...lanes.map((lane) => this.cache.set(laneKey(lane), this.lanes.get(lane), STATE_TTL_S)),
    ]);
  }

  private general(): Lattice | undefined {
    const params = this.shared.params;
    return params ? latticeOf(GENERAL, params.limit, params.windowMs) : undefined;
  }

  /** The general lane paces while anyone claimed a slot within the last window, or later. */
  private paced(now: number): boolean {
    const params = this.shared.params;
    if (!params) return false;
    return this.contended || (this.shared.head ?? 0) > now - params.windowMs;
  }

  /**
   * Before a request: go now (`free`: no pacing), wait until a slot, or go back to Zapier until
   * one. `limit` is the endpoint's own limit, if it has one; `notBefore` a time the run knows the
   * window is used up until.
   */
  async turn(deadline: Deadline, limit?: SiteLimit, notBefore = 0): Promise<Turn> {
    await this.adopt();
    const own = limit ? limitOf(limit, this.env) : undefined;
    const lane = own?.lane ?? GENERAL;
    if (!own) this.planned = Math.max(0, this.planned - 1);
    let now = this.now();
    const at = this.held.findIndex((h) => h.lane === lane);
    if (at >= 0) {
      const mine = this.held[at]!;
      if (mine.at + mine.toleranceMs >= now && mine.at >= notBefore)
        return this.decide(mine, deadline, now);
      // Missed (a replay that came back late) or inside a window Sotion said is used up: the
      // turn is lost, and the next one is a spare slot rather than the back of the queue.
      this.held.splice(at, 1);
      this.lost = true;
    }
    // About to claim: what the others claimed meanwhile matters (a second old at most).
    await this.loadShared(FRESH_MS);
    now = this.now();
    const general = this.paced(now) ? this.general() : undefined;
    if (!general && !own) return { kind: 'free' };
    const count = own ? 1 : 1 + this.planned;
    let from = Math.max(now, notBefore);
    for (let n = 0; n < count; n += 1) {
      const turn = own
        ? await this.claimLaneTurn(own, general, from, now)
        : await this.claimGeneralTurn(general!, from, now);
      if (!turn) break;
      this.held.push(turn);
      from = turn.at + Math.max(this.latencyMs + 50, general?.slotMs ?? 0);
    }
    this.held.sort((a, b) => a.at - b.at);
    await this.saveShared();
    const claimed = this.held.find((h) => h.lane === lane);
    if (!claimed && this.cache.working) {
      // Every slot tried was taken as it was tried: too many runs claim at once. Sending now
      // would crowd the window; coming back a little later spreads them.
      return { kind: 'handBack', at: now, delaySeconds: 1 + Math.floor(this.random() * 3) };
    }
    return claimed ? this.decide(claimed, deadline, this.now()) : { kind: 'free' };
  }

  private decide(slot: Held, deadline: Deadline, now: number): Turn {
    if (slot.at + RESERVE_MS <= deadline.endsAt) {
      this.held.splice(this.held.indexOf(slot), 1);
      return { kind: 'wait', at: slot.at };
    }
    // Too far for this try: the turn (and those after it) wait for the next try as a ticket,
    // and Zapier runs the step again a little before it (Zapier's delays are whole seconds and
    // not exact; waiting in the run for the rest costs nothing but the run's time).
    return {
      kind: 'handBack',
      at: slot.at,
      delaySeconds: Math.max(1, Math.floor((slot.at - now - leadMs(deadline)) / 1000)),
    };
  }

  /** Keeps the turns this run holds for its next try (before it goes back to Zapier). */
  async keepTicket(): Promise<void> {
    const now = this.now();
    await Promise.all([
      this.memory.keep(this.held.filter((h) => h.at + h.toleranceMs >= now)),
      this.saveShared(),
    ]);
  }

  /**
   * The endpoint lanes in use, as lattices: the general lane keeps their slots' followers free
   * (for a lane at least half as slow as the general lane: a faster one would take most of it).
   */
  private inUse(general: Lattice, now: number): Lattice[] {
    const lanes: Lattice[] = [];
    for (const [lane, info] of Object.entries(this.shared.active ?? {})) {
      const l = latticeOf(lane, info.count, info.windowMs);
      if (info.at > now - LANE_ACTIVE_MS && l.slotMs >= 2 * general.slotMs) lanes.push(l);
    }
    return lanes;
  }

  /** Whether general slot `i` is the one kept for a slot of `lane` (the first at or after it). */
  private static keptFor(general: Lattice, lane: Lattice, i: number): boolean {
    const j = indexBefore(lane, timeOf(general, i));
    return j >= 0 && timeOf(lane, j) > timeOf(general, i - 1);
  }

  /** A request of the general lane only: a spare slot after a lost turn, else the queue. */
  private async claimGeneralTurn(
    general: Lattice,
    from: number,
    now: number,
  ): Promise<Held | undefined> {
    const kept = this.inUse(general, now);
    const skip = (i: number) =>
      isSpare(general, i) || kept.some((l) => RateLedger.keptFor(general, l, i));
    const index =
      (this.lost ? await this.claimSpare(general, from) : undefined) ??
      (await this.claimQueue(general, from, skip));
    if (index === undefined) return undefined;
    return {
      at: timeOf(general, index),
      lane: GENERAL,
      toleranceMs: general.toleranceMs,
    };
  }

  /**
   * A request of an endpoint lane (a login link): a slot of its lane and, when the general lane
   * paces, the general slot kept for it (or another free one close enough after it).
   */
  private async claimLaneTurn(
    own: SiteLimit,
    general: Lattice | undefined,
    from: number,
    now: number,
  ): Promise<Held | undefined> {
    await this.loadLane(own.lane, FRESH_MS);
    const windowMs = own.perSeconds * 1000;
    const lane = latticeOf(own.lane, own.count, windowMs);
    // The general lane keeps this lane's slots free while it is in use: say so (now and then).
    const said = this.shared.active?.[own.lane];
    if (!said || said.count !== own.count || said.at < now - LANE_ACTIVE_MS / 4) {
      (this.shared.active ??= {})[own.lane] = { at: now, count: own.count, windowMs };
      this.dirty = true;
    }
    // After a lost turn, the lane's next spare slots (a window apart) come before its queue.
    const queue = () => Math.max(indexAt(lane, from), this.headIndex(lane) + 1);
    const spares: number[] = [];
    if (this.lost && lane.per) {
      for (let i = nextSpare(lane, indexAt(lane, from)); i < queue() && spares.length < 3;) {
        spares.push(i);
        i += lane.per;
      }
    }
    this.lost = false;
    let index = queue();
    let step = 1;
    for (let probe = 1; probe <= MAX_PROBES; probe += 1) {
      const spare = spares.shift();
      while (isSpare(lane, index)) index += 1;
      const at = spare ?? index;
      if (!(await this.claimKey(lane, at))) {
        // Another run of the lane took it: the next one.
        if (!this.cache.working) return undefined;
        if (spare !== undefined) continue;
        if (probe % 2 === 1) await this.loadLane(own.lane, 0);
        index =
          Math.max(index + 1, this.headIndex(lane) + 1) +
          Math.floor(this.random() * Math.min(probe, 4));
        continue;
      }
      if (spare === undefined) this.advance(lane, at);
      else this.spares += 1;
      const laneAt = timeOf(lane, at);
      if (!general) {
        return {
          at: laneAt,
          lane: own.lane,
          toleranceMs: lane.toleranceMs,
        };
      }
      // The general slot kept for it starts less than a general slot after it.
      const g = await this.claimNear(
        general,
        laneAt,
        laneAt + Math.max(lane.toleranceMs, general.slotMs),
      );
      if (g !== undefined) {
        return {
          at: timeOf(general, g),
          lane: own.lane,
          toleranceMs: Math.min(lane.toleranceMs, general.toleranceMs),
        };
      }
      // The general queue took the slots around it before the lane was in use: this one is of no
      // use; further on, further each time, to where the general queue kept them.
      await this.cache.delete(slotKey(lane, at));
      if (!this.cache.working) return undefined;
      if (spare === undefined) {
        index = at + step;
        step *= 2;
      }
    }
    return undefined;
  }

  /** A free general slot starting within [from, until] (not a spare one), or undefined. */
  private async claimNear(general: Lattice, from: number, until: number) {
    for (let i = indexAt(general, from); timeOf(general, i) <= until; i += 1) {
      if (isSpare(general, i)) continue;
      if (await this.claimKey(general, i)) return i;
      if (!this.cache.working) return undefined;
    }
    return undefined;
  }

  /** The next spare slot from `from`, when it comes before the queue's next free slot. */
  private async claimSpare(l: Lattice, from: number): Promise<number | undefined> {
    this.lost = false;
    if (!l.per) return undefined;
    const queue = Math.max(indexAt(l, from), this.headIndex(l) + 1);
    let i = nextSpare(l, indexAt(l, from));
    for (let probe = 0; probe < 3 && i < queue; probe += 1, i += l.per) {
      if (await this.claimKey(l, i)) {
        this.spares += 1;
        return i;
      }
      if (!this.cache.working) return undefined;
    }
    return undefined;
  }

  /** The lane's head as a slot index (-1: none). */
  private headIndex(l: Lattice): number {
    const head = l.lane === GENERAL ? (this.shared.head ?? 0) : this.lanes.get(l.lane)?.head;
    return head === undefined ? -1 : indexBefore(l, head);
  }

  private advance(l: Lattice, index: number): void {
    const at = timeOf(l, index);
    if (l.lane === GENERAL) {
      if (at <= (this.shared.head ?? 0)) return;
      this.shared.head = at;
      this.headMoved = true;
      return;
    }
    if (at <= (this.lanes.get(l.lane)?.head ?? 0)) return;
    this.lanes.set(l.lane, { head: at });
    this.laneDirty.add(l.lane);
  }

  /**
   * The earliest free slot of a lane's queue at or after `from`, after its head (skipping the
   * slots `skip` keeps for others); the head moves to it.
   */
  private async claimQueue(
    l: Lattice,
    from: number,
    skip: (i: number) => boolean,
  ): Promise<number | undefined> {
    let index = Math.max(indexAt(l, from), this.headIndex(l) + 1);
    for (let probe = 1; probe <= MAX_PROBES; probe += 1) {
      while (skip(index)) index += 1;
      if (await this.claimKey(l, index)) {
        this.advance(l, index);
        // Others are claiming at the same moment: tell them at once how far the queue goes.
        if (probe > 1) await this.saveShared();
        return index;
      }
      if (!this.cache.working) return undefined;
      // Others claim at the same time: catch up with the head they wrote, and spread (many runs
      // claiming at once would otherwise all try the same next slot), the wider the more claims
      // failed.
      if (probe % 2 === 1) await this.readHead();
      index = Math.max(index + 1, this.headIndex(l) + 1) + Math.floor(this.random() * probe);
    }
    return undefined;
  }

  private async claimKey(l: Lattice, index: number): Promise<boolean> {
    const ttl = (timeOf(l, index) - this.now()) / 1000 + SLOT_TTL_EXTRA_S;
    if (await this.cache.claim(slotKey(l, index), this.token, ttl)) {
      this.claims += 1;
      return true;
    }
    this.refused += 1;
    return false;
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
    const mine = (this.own.get(resetAtMs) ?? 0) + (throttled ? 0 : 1);
    this.own.set(resetAtMs, mine);
    const fresh = !throttled && remaining === limit - 1;
    // A paced run learns nothing from an ordinary answer: no read, no write.
    if (this.contended && !fresh && !throttled) return;
    // Without the limit's parameters, another run may have learned them since; a window's first
    // answer is checked against the latest state (the lattice must not change under claims).
    // (A 429 without them: they matter now, before the run waits into the next window's herd.)
    const params0 = this.shared.params;
    await this.loadShared(fresh || (throttled && !params0) ? 0 : params0 ? Infinity : FRESH_MS);
    if (fresh) this.learn(limit, resetAtMs, sentAt, now);
    const params = this.shared.params;
    if (params && this.paced(now)) {
      if (throttled) {
        // Paced requests were refused all the same: nothing more goes in this window, and this
        // run's request takes a spare slot after it.
        this.advanceTo(resetAtMs);
        this.lost = true;
      }
    } else if (params) {
      const used = throttled ? limit : limit - (remaining ?? 0);
      const others = used - mine;
      if (others > 0 && (throttled || used >= limit / 2)) {
        // Others share the window: everyone paces from here, after what the window already used
        // (what is left of it goes in the slots before its reset).
        this.contended = true;
        const slotMs = latticeOf(GENERAL, params.limit, params.windowMs).slotMs;
        this.advanceTo(throttled ? resetAtMs : Math.max(now, resetAtMs - (limit - used) * slotMs));
      }
    }
    await this.saveShared();
  }

  /** Pushes the general head on to `at` at least. */
  private advanceTo(at: number): void {
    if (at <= (this.shared.head ?? 0)) return;
    this.shared.head = at;
    this.headPushed = true;
  }

  /** The first answer of a window: the window ends at most (reset − send) later. */
  private learn(limit: number, resetAtMs: number, sentAt: number, now: number): void {
    const before = this.shared.params;
    // Slots of a lattice claimed ahead would not be seen by claims on another one: while the
    // general lane has claims ahead, what it learned stays.
    if (before && (this.shared.head ?? 0) > now) return;
    const bound = resetAtMs - sentAt;
    let windowMs = Math.min(before?.windowMs ?? Infinity, bound);
    // It also began at least a window after the one before it: a bound that corrects the reset's
    // rounding to whole seconds (a closer start is another window's, not this limit's).
    const since = before?.freshAt === undefined ? undefined : now - before.freshAt;
    if (since !== undefined && since >= bound - 1_000) windowMs = Math.min(windowMs, since);
    if (!(windowMs > 0)) return;
    const changed = !before || before.limit !== limit || before.windowMs > windowMs * 1.03;
    // The start of a window is news to the others only when theirs is old (it bounds the
    // window from the next start).
    const stale = !before?.freshAt || sentAt - before.freshAt > 2 * windowMs;
    if (!changed && !stale) return;
    this.shared.params = {
      limit,
      windowMs: changed ? windowMs : before!.windowMs,
      freshAt: sentAt,
    };
    this.dirty = true;
  }
}

const isParams = (value: unknown): value is Params =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Params).limit === 'number' &&
  (value as Params).limit > 0 &&
  typeof (value as Params).windowMs === 'number' &&
  (value as Params).windowMs > 0;

const isActive = (value: unknown): value is Record<string, InUse> =>
  typeof value === 'object' &&
  value !== null &&
  Object.values(value).every(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as InUse).at === 'number' &&
      typeof (v as InUse).count === 'number' &&
      (v as InUse).count > 0 &&
      typeof (v as InUse).windowMs === 'number' &&
      (v as InUse).windowMs > 0,
  );

const isLaneState = (value: unknown): value is LaneState =>
  typeof value === 'object' && value !== null && typeof (value as LaneState).head === 'number';
