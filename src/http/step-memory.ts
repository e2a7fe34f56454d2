import type { ConnectionCache } from './cache';

/**
 * A turn a step holds on the site's rate limit: when its request may be sent, for which kind of
 * request (the general limit, or an endpoint's own lane), and how late it may still be used.
 */
export interface Held {
  at: number;
  lane: string;
  toleranceMs: number;
}

/** How long what a step confirmed is kept once it went back to Zapier. */
export const PROGRESS_TTL_SECONDS = 1_800;
/** A turn's record outlives the turn by this much (a replay a little late still finds it). */
const TICKET_TTL_EXTRA_S = 120;

interface Remembered {
  ticket?: Held[];
  progress?: Record<string, unknown>;
}

const isHeld = (value: unknown): value is Held =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Held).at === 'number' &&
  typeof (value as Held).lane === 'string' &&
  typeof (value as Held).toleranceMs === 'number';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What one step remembers between its tries, in one z.cache entry (scope `auth`) under a digest
 * of its input: the turns it holds on the site's rate limit (its ticket) and what it confirmed
 * (its progress, by step). Read once per try, written once when the try goes back to Zapier,
 * deleted when a step that had progress ends. Best effort, like the cache.
 */
export class StepMemory {
  private loading: Promise<void> | undefined;
  /** The turns an earlier try kept for this one. */
  ticket: Held[] = [];
  /** What the steps confirmed, by step; attached by StepProgress and saved with the ticket. */
  progress: Record<string, unknown> = {};
  /** Progress was stored: forget() deletes it (a ticket alone expires with its turns). */
  private storedProgress = false;
  /** This try wrote what it keeps (it goes back to Zapier). */
  kept = false;

  constructor(
    private readonly cache: ConnectionCache,
    private readonly key: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads what earlier tries kept (once per try). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const value = await this.cache.get(this.key);
      if (!isRecord(value)) return;
      const { ticket, progress } = value as Remembered;
      if (Array.isArray(ticket)) this.ticket = ticket.filter(isHeld).sort((a, b) => a.at - b.at);
      if (isRecord(progress)) {
        this.progress = progress;
        this.storedProgress = true;
      }
    })();
    return this.loading;
  }

  /** Before going back to Zapier: the turns still held, and the progress, in one write. */
  async keep(ticket: Held[]): Promise<void> {
    this.kept = true;
    const now = this.now();
    const progress = Object.fromEntries(
      Object.entries(this.progress).filter(
        ([, v]) => typeof v !== 'object' || v === null || Object.keys(v).length > 0,
      ),
    );
    const hasProgress = Object.keys(progress).length > 0;
    const last = ticket.length ? Math.max(...ticket.map((h) => h.at)) : now;
    const ttl = Math.max(
      hasProgress ? PROGRESS_TTL_SECONDS : 0,
      ticket.length ? (last - now) / 1000 + TICKET_TTL_EXTRA_S : 0,
    );
    if (ttl <= 0) return;
    const value: Remembered = {
      ...(ticket.length ? { ticket } : {}),
      ...(hasProgress ? { progress } : {}),
    };
    if ((await this.cache.set(this.key, value, ttl)) && hasProgress) this.storedProgress = true;
  }

  /** The step ended (done, or failed for good): what it confirmed is of no use to a later run. */
  async forget(): Promise<void> {
    if (!this.storedProgress) return;
    this.storedProgress = false;
    await this.cache.delete(this.key);
  }
}
