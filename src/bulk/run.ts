import { getAccessGroup } from '../api/access-groups';
import { emailProblem, normalizeEmail } from '../api/emails';
import { groupMembers } from '../api/group-members';
import { addMemberToGroup, findMemberByEmail, members } from '../api/members';
import type { AccessGroup } from '../api/schemas';
import type { SotionClient } from '../http/client';
import { errorInfo, inputError, plainMessage } from '../http/errors';
import { MAX_PAGE_SIZE, walkPages } from '../http/pagination';
import type { BulkEntry } from './entries';
import { runPool } from './pool';

/** Sotion's documented maximum per POST /members/bulk. */
export const BULK_BATCH_SIZE = 500;
/** Bulk requests in flight at once. */
export const BULK_CONCURRENCY = 4;
/** Look-ups and group adds for existing members in flight at once. */
export const MEMBER_CONCURRENCY = 16;
/**
 * Existing members handled one by one (look-up, then group adds) before deciding whether reading
 * the chosen groups' member lists is cheaper for the rest.
 */
export const PROBE_SIZE = MEMBER_CONCURRENCY;
/** The most members one step takes; larger imports are split across steps or runs. */
export const MAX_MEMBERS_PER_STEP = 25_000;
/** Time kept back for building the output after the last request. */
const RESERVE_MS = 1_500;

export type Outcome =
  'created' | 'existing' | 'added_to_groups' | 'invalid' | 'duplicate' | 'failed';

export interface MemberResult {
  /** The normalised (trimmed, lowercased) address; for invalid input, what was given. */
  email: string;
  /** Where it came from: "line item 3" or "email list entry 2". */
  source: string;
  status: Outcome;
  memberId: string | null;
  reason: string | null;
}

export interface BulkOptions {
  groupIds: string[];
  addExistingToGroups: boolean;
}

export interface BulkReport {
  results: MemberResult[];
  /** Requests sent, retries included. */
  apiRequests: number;
  /** A request-level failure (key revoked, scope group, …) that stopped the run. */
  fatal?: unknown;
  /** Members that were not sent because time ran out or the run stopped. */
  notSent: number;
  /** Members Sotion said exist whose groups were not checked before time ran out or the run
   * stopped (sent, so not "not sent"; their groups are unconfirmed). */
  groupsUnchecked?: number;
}

interface Pending {
  entry: BulkEntry;
  result: MemberResult;
}

const chunk = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Errors that will fail every other request the same way: stop sending. */
const isFatal = (error: unknown): boolean => {
  // Errors the pipeline did not raise are bugs or unknown failures: stop rather than repeat them.
  const status = errorInfo(error)?.status;
  return status === undefined || status === 401 || status === 403 || status === 429;
};

/**
 * Adds members in bulk: validates and de-duplicates the input, sends batches of 500 with a
 * bounded number in flight, then (by default) puts members that already existed into the chosen
 * groups. Every entry ends with exactly one outcome.
 */
export const bulkAddMembers = async (
  client: SotionClient,
  entries: BulkEntry[],
  options: BulkOptions,
): Promise<BulkReport> => {
  const z = client.z;
  const results: MemberResult[] = [];
  const firstByEmail = new Map<string, Pending>();
  const pending: Pending[] = [];
  for (const entry of entries) {
    const email = normalizeEmail(entry.raw);
    const result: MemberResult = {
      email: email || entry.raw,
      source: entry.source,
      status: 'failed',
      memberId: null,
      reason: null,
    };
    results.push(result);
    const problem = emailProblem(email);
    const first = firstByEmail.get(email);
    if (problem) {
      result.status = 'invalid';
      result.reason = `Not sent: ${problem}.`;
    } else if (first) {
      result.status = 'duplicate';
      result.reason = `Not sent again: the same email is in ${first.entry.source}.`;
    } else {
      const item = { entry, result };
      firstByEmail.set(email, item);
      pending.push(item);
    }
  }
  const report: BulkReport = { results, apiRequests: 0, notSent: 0 };
  const finish = () => {
    report.apiRequests = client.requestsSent;
    return report;
  };
  if (pending.length === 0) return finish();

  // Chosen groups must exist and be custom before any member is sent.
  const groups: AccessGroup[] = [];
  for (const id of options.groupIds) {
    const group = await getAccessGroup(client, id);
    groups.push(group);
    if (group.type !== 'custom') {
      throw inputError(
        z,
        `Access group "${group.name}" (${id}) is a scope group, managed from a Notion ` +
          'collection; members cannot be added to it through the API. Choose custom groups only.',
      );
    }
  }

  const stopped = () => report.fatal !== undefined;
  let slowestMs = 0;
  /** A bulk batch starts only if the slowest one so far would still finish in time. */
  const noTimeForBatch = () => client.deadline.remainingMs() < RESERVE_MS + slowestMs;
  /** Look-ups, group adds and list pages are small; the client times each out at the deadline. */
  const outOfTime = () => client.deadline.remainingMs() < RESERVE_MS;
  const markNotSent = (items: Pending[]) => {
    for (const { result } of items) {
      result.status = 'failed';
      result.reason = stopped()
        ? 'Not sent: the step stopped after an error (see the step error).'
        : 'Not sent: the step ran out of the time Zapier allows. Replay the step to add the rest.';
      report.notSent += 1;
    }
  };
  /** An existing member (sent; Sotion said it exists) whose groups were not checked. */
  const markGroupsUnchecked = ({ result }: Pending) => {
    result.status = 'failed';
    result.reason = `Already a member, but the step ${
      stopped() ? 'stopped after an error (see the step error)' : 'ran out of time'
    } before checking its access groups. Replay the step to finish.`;
    report.groupsUnchecked = (report.groupsUnchecked ?? 0) + 1;
  };
  const fail = (items: Pending[], error: unknown) => {
    if (isFatal(error) && report.fatal === undefined) report.fatal = error;
    for (const { result } of items) {
      result.status = 'failed';
      result.reason = plainMessage(error);
    }
  };

  const existing: Pending[] = [];
  const sendBatch = async (batch: Pending[]) => {
    if (noTimeForBatch()) return markNotSent(batch);
    const started = Date.now();
    try {
      const body: Record<string, unknown> = {
        members: batch.map(({ entry, result }) => ({
          email: result.email,
          ...(entry.displayName !== undefined ? { displayName: entry.displayName } : {}),
          ...(entry.paid !== undefined ? { paid: entry.paid } : {}),
        })),
      };
      if (options.groupIds.length) body.accessGroupIds = options.groupIds;
      const { data } = await client.call(members.bulkCreate, { body });
      const byEmail = new Map<string, (typeof data.data)[number]>();
      for (const item of data.data) {
        const key = normalizeEmail(item.email);
        if (!byEmail.has(key)) byEmail.set(key, item);
      }
      for (const pendingItem of batch) {
        const { result } = pendingItem;
        const item = byEmail.get(result.email);
        if (!item) {
          result.status = 'failed';
          result.reason = "Sotion's answer to the bulk request did not mention this email.";
        } else if (item.status === 'created') {
          result.status = 'created';
          result.memberId = item.member?.id ?? null;
        } else if (item.status === 'conflict') {
          existing.push(pendingItem);
        } else {
          result.status = 'failed';
          result.reason = `Sotion could not create this member: ${
            [item.error?.code, item.error?.message].filter(Boolean).join(': ') || 'no reason given'
          }.`;
        }
      }
    } catch (error) {
      fail(batch, error);
    } finally {
      slowestMs = Math.max(slowestMs, Date.now() - started);
    }
  };
  await runPool(chunk(pending, BULK_BATCH_SIZE), BULK_CONCURRENCY, sendBatch, stopped, markNotSent);

  const joinGroups = options.groupIds.length > 0 && options.addExistingToGroups;
  /** What the groups' member lists said: email → member id and the chosen groups it is in. */
  const known = new Map<string, { id: string; groups: Set<string> }>();
  const addToGroups = async (item: Pending) => {
    if (outOfTime()) return markGroupsUnchecked(item);
    const { result } = item;
    try {
      const listed = known.get(result.email);
      const missing = options.groupIds.filter((id) => !listed?.groups.has(id));
      let memberId = listed?.id;
      if (memberId === undefined) memberId = (await findMemberByEmail(client, result.email))?.id;
      if (memberId === undefined) {
        result.status = 'failed';
        result.reason =
          'Sotion said this email already exists but could not find the member by email, so it ' +
          'was not added to the groups.';
        return;
      }
      result.memberId = memberId;
      let added = 0;
      for (const groupId of missing) {
        if (await addMemberToGroup(client, groupId, memberId)) added += 1;
      }
      result.status = added > 0 ? 'added_to_groups' : 'existing';
      result.reason =
        added > 0
          ? `Already a member; added to ${added} of ${options.groupIds.length} group(s), already in the rest.`
          : 'Already a member, already in every chosen group.';
    } catch (error) {
      fail([item], error);
    }
  };

  /**
   * Reads the chosen groups' member lists (pages of 100, groups in parallel) and notes who of
   * `wanted` is in which group. A list cut short by the deadline or an error is still right as
   * far as it goes: whoever it did not reach is handled one by one.
   */
  const readGroups = async (wanted: Set<string>) => {
    await Promise.all(
      options.groupIds.map(async (groupId) => {
        try {
          for await (const page of walkPages(client, groupMembers.list, {
            params: { groupId },
            limit: MAX_PAGE_SIZE,
          })) {
            for (const member of page.items) {
              const email = normalizeEmail(member.email);
              if (!wanted.has(email)) continue;
              const entry = known.get(email) ?? { id: member.id, groups: new Set<string>() };
              entry.groups.add(groupId);
              known.set(email, entry);
            }
            if (outOfTime() || stopped()) return;
          }
        } catch (error) {
          // A page that keeps failing, timing out or breaking the cursor contract only ends this
          // list early. What stops the step elsewhere (a revoked key, a refusal, a long
          // throttle, an error the pipeline did not raise) stops it here too.
          const info = errorInfo(error);
          const endsListOnly = info !== undefined && info.status === undefined;
          if (!endsListOnly && isFatal(error) && report.fatal === undefined) report.fatal = error;
        }
      }),
    );
  };

  if (joinGroups) {
    const probe = existing.slice(0, PROBE_SIZE);
    const rest = existing.slice(PROBE_SIZE);
    await runPool(probe, MEMBER_CONCURRENCY, addToGroups, stopped, markGroupsUnchecked);
    // A replay (or an import of people already in the groups) finds most existing members in
    // every group. Reading the groups then costs a page per 100 members instead of a look-up
    // and a group add per member, so replays of large imports converge instead of redoing it all.
    const alreadyIn = probe.filter(({ result }) => result.status === 'existing').length;
    const created = results.filter((r) => r.status === 'created').length;
    const pages = groups.reduce(
      (sum, group) => sum + Math.ceil((group.memberCount + created) / MAX_PAGE_SIZE),
      0,
    );
    let unresolved = rest;
    if (rest.length > 0 && alreadyIn * 2 >= probe.length && pages <= rest.length && !stopped()) {
      await readGroups(new Set(rest.map(({ result }) => result.email)));
      // Whoever the lists show in every chosen group needs no request, even if time is short.
      unresolved = rest.filter(({ result }) => {
        const listed = known.get(result.email);
        if (!listed || options.groupIds.some((id) => !listed.groups.has(id))) return true;
        result.status = 'existing';
        result.memberId = listed.id;
        result.reason = 'Already a member, already in every chosen group.';
        return false;
      });
    }
    await runPool(unresolved, MEMBER_CONCURRENCY, addToGroups, stopped, markGroupsUnchecked);
  } else {
    for (const { result } of existing) {
      result.status = 'existing';
      result.reason = options.groupIds.length
        ? 'Already a member; not added to the groups ("Add Existing Members to the Groups" is off).'
        : 'Already a member.';
    }
  }
  return finish();
};
