import type { GroupMemberItem } from '../api/schemas';
import { RESULTS_FILE_MIN } from '../files/csv-out';
import type { SotionClient } from '../http/client';
import { errorInfo, plainMessage } from '../http/errors';
import type { BulkEntry } from './entries';
import type { BulkMemory } from './memory';

/** Time kept back for building the output after the last request. */
export const RESERVE_MS = 1_500;
/** Kept back too when the output has a results file to store at Zapier (more than 100 results). */
export const RESULTS_FILE_RESERVE_MS = 2_500;

/** Statuses every bulk step has: the input's own problems, and work that could not be done. */
export type CommonStatus = 'invalid' | 'duplicate' | 'failed';

/** Where a Bulk Add Members entry ended. */
export type MemberStatus = 'created' | 'existing' | 'added_to_groups' | 'updated' | CommonStatus;

/** One input email's line of a step's output; `Own` is the step's own statuses. */
export interface StepResult<Own extends string = MemberStatus> {
  /** The normalised (trimmed, lowercased) address; for invalid input, what was given. */
  email: string;
  /** Where it came from: "line item 3" or "email list entry 2". */
  source: string;
  status: Own | CommonStatus;
  memberId: string | null;
  reason: string | null;
}

export type MemberResult = StepResult<MemberStatus>;

/** The first entry of each valid email, with the result the phases fill in. */
export interface Item<Own extends string = MemberStatus> {
  entry: BulkEntry;
  result: StepResult<Own>;
}

export interface BulkReport<Own extends string = MemberStatus> {
  results: Array<StepResult<Own>>;
  /** Requests sent, retries included. */
  apiRequests: number;
  /** A request-level failure (key revoked, scope group, …) that stopped the run. */
  fatal?: unknown;
  /** Members Sotion said exist whose groups were not checked before time ran out or the run
   * stopped (sent, so not "not sent"; their groups are unconfirmed). */
  groupsUnchecked?: number;
  /** Members that were not sent because time ran out or the run stopped. */
  notSent: number;
  /** A group's member list the run needed whole but did not read to its end (time, a stop). */
  listUnread?: boolean;
  /** How existing members' ids were found: look-ups, and pages of the site's member list. */
  lookups: number;
  memberPages: number;
  /** Members Sotion refused one by one after rejecting their whole batch. */
  isolated: number;
}

/** What is known of an existing member: from a list page, a look-up or an earlier run. */
export interface MemberFacts {
  /** Undefined until a list, a look-up or an earlier run found the member. */
  id?: string;
  /** Undefined until a list or a look-up read the member. */
  paid?: boolean | null;
  status?: 'active' | 'blocked';
  /** The step's groups the member is known to be in. */
  groups: Set<string>;
}

/** An existing member whose id is known. */
export type FoundMember = MemberFacts & { id: string };

export const isFound = (member: MemberFacts | undefined): member is FoundMember =>
  member?.id !== undefined;

/** Errors that will fail every other request the same way: stop sending. */
export const isFatal = (error: unknown): boolean => {
  // Errors the pipeline did not raise are bugs or unknown failures: stop rather than repeat them.
  const status = errorInfo(error)?.status;
  return status === undefined || status === 401 || status === 403 || status === 429;
};

/**
 * The state one run of a bulk step shares between its phases: the client (requests, deadline),
 * the report, the step memory, what is known of each existing member, and the first error that
 * stopped the run. `Own` is the step's own statuses; `done` are those an earlier run's
 * confirmation stands for (what `finish` remembers). With `keepOutcomes`, the memory keeps each
 * done status too, and a replay reports it as it was (else as resume's `status`).
 */
export class BulkRun<Own extends string = MemberStatus> {
  readonly report: BulkReport<Own>;
  /** Existing members (Sotion said so, now or in an earlier run): what is known of each. */
  readonly facts = new Map<string, MemberFacts>();
  /** Existing members a look-up could not find: forgotten, so the next run starts over. */
  readonly lost = new Set<string>();
  /** Lists (a group's id, or `members`) this run read to their last page. */
  readonly readToEnd = new Set<string>();
  /** Emails whose work this run left undone (time ran out or the run stopped before it). */
  readonly leftOver = new Set<string>();
  /** The slowest bulk request so far (a batch starts only if one as slow would finish). */
  slowestMs = 0;

  constructor(
    readonly client: SotionClient,
    results: Array<StepResult<Own>>,
    private readonly done: ReadonlySet<string>,
    readonly memory?: BulkMemory,
    private readonly options: { keepOutcomes?: boolean } = {},
  ) {
    this.report = { results, apiRequests: 0, notSent: 0, lookups: 0, memberPages: 0, isolated: 0 };
  }

  /**
   * Time kept back after the last request: the output, and storing its results file (as many
   * results as there are now: a step may add results as it learns of more, a sync its removals).
   */
  get reserveMs(): number {
    return (
      RESERVE_MS + (this.report.results.length > RESULTS_FILE_MIN ? RESULTS_FILE_RESERVE_MS : 0)
    );
  }

  /** Whether a request-level failure stopped the run. */
  stopped(): boolean {
    return this.report.fatal !== undefined;
  }

  /** Stops the run on an error that would fail every other request (the first one is kept). */
  stopOn(error: unknown): void {
    if (isFatal(error) && this.report.fatal === undefined) this.report.fatal = error;
  }

  /** Items whose request failed: the error is their reason (and may stop the run). */
  fail(items: Array<Item<Own>>, error: unknown): void {
    this.stopOn(error);
    for (const { result } of items) {
      result.status = 'failed';
      result.reason = plainMessage(error);
    }
  }

  /** Look-ups, group adds and list pages are small; the client times each out at the deadline. */
  outOfTime(): boolean {
    return this.client.deadline.remainingMs() < this.reserveMs;
  }

  /** A bulk batch starts only if the slowest one so far would still finish in time. */
  noTimeForBatch(): boolean {
    return this.client.deadline.remainingMs() < this.reserveMs + this.slowestMs;
  }

  /** What is known of an existing member (an empty record the first time). */
  factsOf(email: string): MemberFacts {
    const known = this.facts.get(email) ?? { groups: new Set<string>() };
    this.facts.set(email, known);
    return known;
  }

  /** What a list page or a look-up said of an existing member. */
  learn(email: string, member: Pick<GroupMemberItem, 'id' | 'paid' | 'status'>): FoundMember {
    const { id, paid, status } = member;
    return Object.assign(this.factsOf(email), { id, paid, status });
  }

  /**
   * Takes over what earlier runs of the step did, before any request: items an earlier run
   * confirmed get `status` and are done; items it found existing get what it learnt of them
   * (`remembered`: no bulk request again); the rest are `fresh`.
   */
  async resume(
    items: Array<Item<Own>>,
    status: Own,
  ): Promise<{ remembered: Array<Item<Own>>; fresh: Array<Item<Own>> }> {
    const memory = this.memory;
    await memory?.load();
    const remembered: Array<Item<Own>> = [];
    const fresh: Array<Item<Own>> = [];
    for (const item of items) {
      const { result } = item;
      const memberId = memory?.confirmed(result.email);
      if (memberId !== undefined) {
        const kept = this.options.keepOutcomes ? memory?.outcome(result.email) : undefined;
        result.status = kept !== undefined && this.done.has(kept) ? (kept as Own) : status;
        result.memberId = memberId || null;
        result.reason = 'Done by an earlier run of this step; not sent again.';
        continue;
      }
      const known = memory?.existing(result.email);
      if (known === undefined) {
        fresh.push(item);
        continue;
      }
      this.facts.set(result.email, {
        id: known.memberId,
        paid: known.paid,
        status: known.status,
        groups: new Set(known.groups),
      });
      remembered.push(item);
    }
    return { remembered, fresh };
  }

  /**
   * Ends the run: counts its requests and remembers, for the step's next run, what it confirmed
   * (results with a `done` status), what it learnt of existing members it did not finish, and how
   * many members it created.
   */
  async finish(): Promise<BulkReport<Own>> {
    const { report, memory } = this;
    report.apiRequests = this.client.requestsSent;
    const done = report.results
      .filter((r) => this.done.has(r.status))
      .map(({ email, memberId, status }) => ({
        email,
        memberId,
        ...(this.options.keepOutcomes ? { outcome: status } : {}),
      }));
    const doneEmails = new Set(done.map((r) => r.email));
    for (const email of this.lost) memory?.forget(email);
    await memory?.save(
      done,
      [...this.facts]
        .filter(([email]) => !doneEmails.has(email) && !this.lost.has(email))
        .map(([email, known]) => ({
          email,
          memberId: known.id,
          paid: known.paid,
          status: known.status,
          groups: [...known.groups],
        })),
      report.results.filter((r) => r.status === 'created').length,
    );
    return report;
  }
}
