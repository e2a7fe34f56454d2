/**
 * Faults a run can switch on, and their deterministic draws: whether a request is faulted depends
 * on the seed and the request itself (method, path, query, body, and how many times that same
 * request was seen before), never on the order requests arrive in. So one seed injects the same
 * faults in every run, however concurrent, and a retry of a request draws afresh.
 */
import { createHash } from 'node:crypto';
import type { SiteData } from './store';

/** Faults a run can switch on: by flags, environment or POST /__sandbox/config. */
export interface Faults {
  /** Added to every API response, plus up to `jitterMs` at random. */
  latencyMs: number;
  jitterMs: number;
  /** Share (0–1) of API requests answered 503 before anything is done. */
  failRate: number;
  /** Share of API requests whose connection is reset after the work was done (lost answers). */
  resetRate: number;
  /** Share of API requests answered with a truncated JSON body after the work was done. */
  malformedRate: number;
  /** Share of API requests answered only after `slowMs` (past a client's deadline). */
  slowRate: number;
  slowMs: number;
  /** The next N API requests are answered 429, with a reset `throttleResetSeconds` ahead. */
  throttleBurst: number;
  throttleResetSeconds: number;
  /** Seed of the random choices, so a faulty run can be repeated. */
  seed: number;
  /** A hostile API: list endpoints answer an empty page with `hasMore: true` and a fresh cursor.
   * true: every list request; a number N: the next N list requests; false or 0: off. */
  emptyPagesLoop: boolean | number;
  /** Emails Sotion refuses: an array of substrings, or a string holding a regular expression
   * (both case-insensitive, matched against the trimmed, lower-cased email). A bulk batch with a
   * match is rejected whole with 422 `Invalid email at members[i]: <email>`; so is POST /members. */
  rejectEmails: string[] | string;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  jitterMs: 0,
  failRate: 0,
  resetRate: 0,
  malformedRate: 0,
  slowRate: 0,
  slowMs: 0,
  throttleBurst: 0,
  throttleResetSeconds: 2,
  seed: 1,
  emptyPagesLoop: false,
  rejectEmails: [],
};

/** One draw in [0, 1) per random fault, for one request. */
export type Draws = Record<'jitter' | 'fail' | 'reset' | 'slow' | 'malformed', number>;
const KINDS = ['jitter', 'fail', 'reset', 'slow', 'malformed'] as const;
const NONE: Draws = { jitter: 0, fail: 1, reset: 1, slow: 1, malformed: 1 };

const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Ids are random per run, so they are replaced by what names the record (a group's name, a
 * member's email, a webhook's url and events): the same request then has the same identity in
 * every run. Unknown ids stay as they are.
 */
const canonical = (text: string, site: SiteData | undefined): string =>
  site
    ? text.replace(UUIDS, (id) => {
        const group = site.groups.find((g) => g.id === id);
        if (group) return `group:${group.name}`;
        const member = site.members.find((m) => m.id === id);
        if (member) return `member:${member.email}`;
        const hook = site.webhooks.find((w) => w.id === id);
        return hook ? `webhook:${hook.url} ${hook.events.join(',')}` : id;
      })
    : text;

export class FaultDice {
  private readonly seen = new Map<string, number>();

  constructor(private readonly faults: Faults) {}

  /** Forgets how often each request was seen (on a new seed or a reset). */
  clear(): void {
    this.seen.clear();
  }

  private get active(): boolean {
    const f = this.faults;
    return (
      f.jitterMs > 0 || f.failRate > 0 || f.resetRate > 0 || f.slowRate > 0 || f.malformedRate > 0
    );
  }

  draw(method: string, pathAndQuery: string, body: string, site: SiteData | undefined): Draws {
    if (!this.active) return NONE;
    const identity = `${method} ${canonical(pathAndQuery, site)}\n${canonical(body, site)}`;
    const occurrence = this.seen.get(identity) ?? 0;
    this.seen.set(identity, occurrence + 1);
    const digest = createHash('sha256')
      .update(`${this.faults.seed}\n${occurrence}\n${identity}`)
      .digest();
    return Object.fromEntries(
      KINDS.map((kind, i) => [kind, digest.readUInt32BE(i * 4) / 2 ** 32]),
    ) as Draws;
  }
}

/** The first email `rejectEmails` refuses, with its index, or undefined. */
export const rejectedEmail = (
  faults: Faults,
  emails: unknown[],
): { index: number; email: string } | undefined => {
  const rule = faults.rejectEmails;
  if (Array.isArray(rule) ? rule.length === 0 : !rule) return undefined;
  const matches = Array.isArray(rule)
    ? (email: string) => rule.some((part) => email.includes(part.toLowerCase()))
    : (email: string) => new RegExp(rule, 'i').test(email);
  const index = emails.findIndex(
    (email) => typeof email === 'string' && matches(email.trim().toLowerCase()),
  );
  return index < 0 ? undefined : { index, email: String(emails[index]).trim() };
};

/** Whether this list request gets an empty `hasMore` page; counts down a numeric budget. */
export const takeEmptyPage = (faults: Faults): boolean => {
  if (faults.emptyPagesLoop === true) return true;
  if (typeof faults.emptyPagesLoop === 'number' && faults.emptyPagesLoop > 0) {
    faults.emptyPagesLoop -= 1;
    return true;
  }
  return false;
};
