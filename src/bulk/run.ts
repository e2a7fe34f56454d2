import { getAccessGroup } from '../api/access-groups';
import { emailProblem, normalizeEmail } from '../api/emails';
import { groupMembers } from '../api/group-members';
import { addMemberToGroup, findMemberByEmail, members } from '../api/members';
import type { AccessGroup, GroupMemberItem } from '../api/schemas';
import type { SotionClient } from '../http/client';
import { errorInfo, inputError, plainMessage } from '../http/errors';
import { MAX_PAGE_SIZE, walkPages } from '../http/pagination';
import type { BulkEntry } from './entries';
import type { StepMemory } from './memory';
import { runPool } from './pool';

/** Sotion's documented maximum per POST /members/bulk. */
export const BULK_BATCH_SIZE = 500;
/** Bulk requests in flight at once. */
export const BULK_CONCURRENCY = 4;
/** Look-ups and group adds for existing members in flight at once. */
export const MEMBER_CONCURRENCY = 16;
/** The most members one step takes; larger imports are split across steps or runs. */
export const MAX_MEMBERS_PER_STEP = 25_000;
/** Time kept back for building the output after the last request. */
const RESERVE_MS = 1_500;

export type Outcome =
  'created' | 'existing' | 'added_to_groups' | 'updated' | 'invalid' | 'duplicate' | 'failed';

export interface MemberResult {
  /** The normalised (trimmed, lowercased) address; for invalid input, what was given. */
  email: string;
  /** Where it came from: "line item 3" or "email list entry 2". */
  source: string;
  status: Outcome;
  memberId: string | null;
  reason: string | null;
}

/** What happens to members who already exist (besides the groups). */
export const UPDATE_EXISTING = {
  leave: 'leave',
  paid: 'set_paid',
  paidAndUnblock: 'set_paid_and_unblock',
} as const;
export type UpdateExisting = (typeof UPDATE_EXISTING)[keyof typeof UPDATE_EXISTING];

export interface BulkOptions {
  groupIds: string[];
  addExistingToGroups: boolean;
  updateExisting: UpdateExisting;
  /** What earlier runs of the same step confirmed; none without it. */
  memory?: StepMemory;
}

export interface BulkReport {
  results: MemberResult[];
  /** Requests sent, retries included. */
  apiRequests: number;
  /** A request-level failure (key revoked, scope group, …) that stopped the run. */
  fatal?: unknown;
  /** Members Sotion said exist whose groups were not checked before time ran out or the run
   * stopped (sent, so not "not sent"; their groups are unconfirmed). */
  groupsUnchecked?: number;
  /** Members that were not sent because time ran out or the run stopped. */
  notSent: number;
  /** How existing members' ids were found: look-ups, and pages of the site's member list. */
  lookups: number;
  memberPages: number;
  /** Members Sotion refused one by one after rejecting their whole batch. */
  isolated: number;
}

interface Pending {
  entry: BulkEntry;
  result: MemberResult;
}

export const chunk = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** What is known of an existing member: from a list page, a look-up or an earlier run. */
interface Facts {
  /** Undefined until a list, a look-up or an earlier run found the member. */
  id?: string;
  /** Undefined until a list or a look-up read the member. */
  paid?: boolean | null;
  status?: 'active' | 'blocked';
  /** The chosen groups the member is known to be in. */
  groups: Set<string>;
}

/** The list position key of the site's member list (group lists are keyed by their id). */
const MEMBER_LIST = 'members';

/**
 * The status of a whole batch refused for what is in it (400, 413, 422, or a 5xx on every try),
 * rather than for who sends it: split such a batch to find who. Undefined for other errors.
 */
export const rejectionStatus = (error: unknown): number | undefined => {
  const status = errorInfo(error)?.status;
  if (status === undefined) return undefined;
  return status === 400 || status === 413 || status === 422 || status >= 500 ? status : undefined;
};

/** Sotion's reason in the user's terms: `members[137]` is this member, already named. */
export const refusalReason = (error: unknown, status: number): string => {
  const info = errorInfo(error);
  const said = (info?.apiMessage ?? '')
    .replace(/\s*\bat\s+members\[\d+\](?:\.\w+)*/gi, '')
    .replace(/\bmembers\[\d+\](?:\.\w+)*/gi, 'this member')
    .trim()
    .replace(/\.+$/, '');
  const request = info?.requestId ? `, X-Request-Id: ${info.requestId}` : '';
  return (
    `Sotion refused this member (HTTP ${status}${request})` +
    (said ? `: ${said}.` : '.') +
    ' The other members of its batch were sent without it.'
  );
};

/** Errors that will fail every other request the same way: stop sending. */
const isFatal = (error: unknown): boolean => {
  // Errors the pipeline did not raise are bugs or unknown failures: stop rather than repeat them.
  const status = errorInfo(error)?.status;
  return status === undefined || status === 401 || status === 403 || status === 429;
};

/**
 * Whether a list read that failed should start again from the top next time: Sotion refused the
 * request for what it asked (a 4xx other than 401, 403 and 429: perhaps the cursor), or the list
 * broke its cursor contract. After a throttle, a time-out, a 5xx or a stop, it goes on from there.
 */
const positionRefused = (error: unknown): boolean => {
  const info = errorInfo(error);
  if (info === undefined) return false;
  const { status } = info;
  if (status === undefined) return !info.transient;
  return status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429;
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
  const update = options.updateExisting;
  const memory = options.memory;
  const results: MemberResult[] = [];
  const firstByEmail = new Map<string, Pending>();
  const unique: Pending[] = [];
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
      unique.push(item);
    }
  }
  const report: BulkReport = {
    results,
    apiRequests: 0,
    notSent: 0,
    lookups: 0,
    memberPages: 0,
    isolated: 0,
  };
  /** Existing members (Sotion said so, now or in an earlier run): what is known of each. */
  const facts = new Map<string, Facts>();
  const factsOf = (email: string): Facts => {
    const known = facts.get(email) ?? { groups: new Set<string>() };
    facts.set(email, known);
    return known;
  };
  /** What a list page or a look-up said of an existing member. */
  const learn = (email: string, member: Pick<GroupMemberItem, 'id' | 'paid' | 'status'>) => {
    const known = factsOf(email);
    known.id = member.id;
    known.paid = member.paid;
    known.status = member.status;
    return known;
  };
  /** Existing members a look-up could not find: the next run sends them again. */
  const lost = new Set<string>();
  const finish = async () => {
    report.apiRequests = client.requestsSent;
    const done = unique
      .map(({ result }) => result)
      .filter((r) => ['created', 'existing', 'added_to_groups', 'updated'].includes(r.status));
    const doneEmails = new Set(done.map((r) => r.email));
    for (const email of lost) memory?.forget(email);
    await memory?.save(
      done,
      [...facts]
        .filter(([email]) => !doneEmails.has(email) && !lost.has(email))
        .map(([email, known]) => ({
          email,
          memberId: known.id,
          paid: known.paid,
          status: known.status,
          groups: [...known.groups],
        })),
      results.filter((r) => r.status === 'created').length,
    );
    return report;
  };

  // What an earlier run of this step confirmed is not done again.
  await memory?.load();
  const pending = unique.filter(({ result }) => {
    const memberId = memory?.confirmed(result.email);
    if (memberId === undefined) return true;
    result.status = 'existing';
    result.memberId = memberId || null;
    result.reason = 'Done by an earlier run of this step; not sent again.';
    return false;
  });
  if (pending.length === 0) return finish();
  const joinGroups = options.groupIds.length > 0 && options.addExistingToGroups;
  const updating = update !== UPDATE_EXISTING.leave;
  // Members an earlier run found existing are not sent again: what it learnt of them (their id,
  // Paid and status, the groups they are in) is where this run goes on.
  const existing: Pending[] = [];
  const toSend = pending.filter((item) => {
    const known = memory?.existing(item.result.email);
    if (known === undefined) return true;
    facts.set(item.result.email, {
      id: known.memberId,
      paid: known.paid,
      status: known.status,
      groups: new Set(known.groups),
    });
    existing.push(item);
    return false;
  });

  // Chosen groups must exist and be custom before any member is sent (once per step: an
  // earlier run's check holds for its replays).
  const groups: Array<Pick<AccessGroup, 'id' | 'memberCount'>> = [];
  for (const id of options.groupIds) {
    const checked = memory?.checkedGroup(id);
    if (checked !== undefined) {
      groups.push({ id, memberCount: checked });
      continue;
    }
    const group = await getAccessGroup(client, id);
    groups.push(group);
    if (group.type !== 'custom') {
      throw inputError(
        z,
        `Access group "${group.name}" (${id}) is a scope group, managed from a Notion ` +
          'collection; members cannot be added to it through the API. Choose custom groups only.',
      );
    }
    memory?.setCheckedGroup(id, group.memberCount);
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

  /**
   * Sends one batch. When Sotion rejects it whole (400, 413, 422, or a 5xx on every try), it is
   * split in two and each half sent again, down to the members Sotion refuses on their own:
   * about log2(500) extra requests per refused member, and nobody else lost.
   */
  const sendBatch = async (batch: Pending[]): Promise<void> => {
    if (stopped()) return markNotSent(batch);
    if (noTimeForBatch()) return markNotSent(batch);
    const started = Date.now();
    try {
      const body: Record<string, unknown> = {
        members: batch.map(({ entry, result }) => ({
          email: result.email,
          displayName: entry.displayName, // JSON leaves out an undefined name or Paid
          paid: entry.paid,
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
          factsOf(result.email);
          existing.push(pendingItem);
        } else {
          result.status = 'failed';
          result.reason = `Sotion could not create this member: ${
            [item.error?.code, item.error?.message].filter(Boolean).join(': ') || 'no reason given'
          }.`;
        }
      }
    } catch (error) {
      const status = rejectionStatus(error);
      if (status === undefined) return fail(batch, error);
      // A member alone failing with a 5xx on every try is Sotion's problem, not a refusal.
      if (batch.length === 1 && status >= 500) return fail(batch, error);
      if (batch.length === 1) {
        const { result } = batch[0] as Pending;
        result.status = 'failed';
        result.reason = refusalReason(error, status);
        report.isolated += 1;
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await sendBatch(batch.slice(0, half));
      await sendBatch(batch.slice(half));
    } finally {
      slowestMs = Math.max(slowestMs, Date.now() - started);
    }
  };
  await runPool(chunk(toSend, BULK_BATCH_SIZE), BULK_CONCURRENCY, sendBatch, stopped, markNotSent);

  if (!joinGroups && !updating) {
    for (const { result } of existing) {
      result.status = 'existing';
      result.reason = options.groupIds.length
        ? 'Already a member; not added to the groups ("Add Existing Members to the Groups" is off).'
        : 'Already a member.';
    }
    return finish();
  }

  /** Whether what is known of a member is enough to settle it: its id, and Paid when updating. */
  const isRead = (email: string) => {
    const known = facts.get(email);
    return known?.id !== undefined && (!updating || known.paid !== undefined);
  };
  /** Members created by this step, this run and earlier: the lists now hold them too. */
  const created = results.filter((r) => r.status === 'created').length + (memory?.created ?? 0);

  /**
   * What a list read that failed part way means: a page that keeps failing, timing out or
   * breaking the cursor contract only ends this list early; what stops the step elsewhere (a
   * revoked key, a refusal, a long throttle, an error the pipeline did not raise) stops it here
   * too. Where the read stopped is kept for the next run unless Sotion refused it.
   */
  const listFailed = (error: unknown, list: string) => {
    const info = errorInfo(error);
    const endsListOnly = info !== undefined && info.status === undefined;
    if (!endsListOnly && isFatal(error) && report.fatal === undefined) report.fatal = error;
    if (positionRefused(error)) memory?.setPosition(list, undefined);
  };

  /**
   * Reads the chosen groups' member lists (pages of 100, groups in parallel), stopping once every
   * wanted email is found. A list cut short by the deadline or an error is still right as far as
   * it goes: whoever it did not reach is handled one by one.
   */
  const readGroups = async (wanted: string[]) => {
    await Promise.all(
      groups.map(async ({ id: groupId, memberCount }) => {
        // An empty group has nobody to find.
        if (memberCount + created === 0) return;
        const left = new Set(wanted.filter((email) => !facts.get(email)?.groups.has(groupId)));
        // A list longer than one run can read goes on where the last run stopped (what it
        // learnt from the pages before is in its memory); one read to the end is not read again.
        const start = memory?.position(groupId);
        if (left.size === 0 || start?.after === null) return;
        let pages = start?.pages ?? 0;
        try {
          for await (const page of walkPages(client, groupMembers.list, {
            params: { groupId },
            limit: MAX_PAGE_SIZE,
            after: start?.after,
          })) {
            pages += 1;
            memory?.setPosition(groupId, { after: page.hasMore ? page.nextCursor : null, pages });
            for (const member of page.items) {
              const email = normalizeEmail(member.email);
              if (!left.delete(email)) continue;
              learn(email, member).groups.add(groupId);
            }
            if (left.size === 0 || outOfTime() || stopped()) return;
          }
        } catch (error) {
          listFailed(error, groupId);
        }
      }),
    );
  };

  /**
   * Reads the site's member list (newest first, so this step's new members come first) instead of
   * one look-up per member, while the pages it may still take are fewer than the look-ups left;
   * stops as soon as every wanted email is found, and goes on where an earlier run stopped.
   */
  const readMembers = async (emails: Set<string>) => {
    const newPages = Math.floor(created / MAX_PAGE_SIZE);
    const start = memory?.position(MEMBER_LIST);
    let pages = start?.pages ?? 0;
    // The list holds at least the step's new members and the wanted ones; its real length is
    // unknown, so it must promise to save a few look-ups.
    if (start === undefined) {
      if (Math.ceil((created + emails.size) / MAX_PAGE_SIZE) + 2 > emails.size) return;
    } else if (start.after === null || pages - newPages >= emails.size) return;
    try {
      for await (const page of walkPages(client, members.list, {
        limit: MAX_PAGE_SIZE,
        after: start?.after,
      })) {
        pages += 1;
        report.memberPages += 1;
        memory?.setPosition(MEMBER_LIST, { after: page.hasMore ? page.nextCursor : null, pages });
        for (const member of page.items) {
          const email = normalizeEmail(member.email);
          if (!emails.delete(email)) continue;
          learn(email, member);
        }
        if (emails.size === 0 || outOfTime() || stopped()) return;
        // Past the step's new members, a page that finds nobody costs as much as a look-up.
        if (pages - newPages >= emails.size) return;
      }
    } catch (error) {
      listFailed(error, MEMBER_LIST);
    }
  };

  /** The list pages left to read of each chosen group, as far as its count tells. */
  const pagesLeft = ({ id, memberCount }: Pick<AccessGroup, 'id' | 'memberCount'>) => {
    const total = Math.ceil((memberCount + created) / MAX_PAGE_SIZE);
    const start = memory?.position(id);
    if (start === undefined) return total;
    return start.after === null ? 0 : Math.max(1, total - start.pages);
  };
  // Reading the groups pays when most existing members are in them already (a replay without
  // memory, or an import of people already there): a page per 100 instead of a look-up and an
  // add each. When the step created more than it found existing, they are more likely not.
  const groupPages = groups.reduce((sum, group) => sum + pagesLeft(group), 0);
  const conflicts = existing.filter(({ result }) => !isRead(result.email)).length;
  if (!stopped() && joinGroups && groupPages * 2 <= conflicts && created <= conflicts) {
    await readGroups(existing.map(({ result }) => result.email));
  }
  const inAll = (email: string) =>
    joinGroups && options.groupIds.every((id) => facts.get(email)?.groups.has(id));
  const needIds = new Set(
    existing.map(({ result }) => result.email).filter((email) => !isRead(email)),
  );
  if (!stopped() && needIds.size > 0) await readMembers(needIds);

  /** What "Update Existing Members" changes on a member: the one rule for both paths below. */
  const changesFor = (entry: BulkEntry, member: Facts) => {
    const changes: string[] = [];
    const patch: { paid?: boolean; status?: 'active' } = {};
    if (updating && entry.paid !== undefined && member.paid !== entry.paid) {
      patch.paid = entry.paid;
      changes.push(`Paid set to ${entry.paid}`);
    }
    if (update === UPDATE_EXISTING.paidAndUnblock && member.status === 'blocked') {
      patch.status = 'active';
      changes.push('unblocked');
    }
    return { patch, changes };
  };

  const settle = async (item: Pending) => {
    if (outOfTime()) return markGroupsUnchecked(item);
    const { result, entry } = item;
    try {
      let member = factsOf(result.email);
      if (!isRead(result.email)) {
        report.lookups += 1;
        const found = await findMemberByEmail(client, result.email);
        if (found === undefined) {
          lost.add(result.email);
          result.status = 'failed';
          result.reason =
            'Sotion said this email already exists but could not find the member by email, so it ' +
            'was not added to the groups.';
          return;
        }
        member = learn(result.email, found);
      }
      const memberId = member.id as string;
      result.memberId = memberId;
      let added = 0;
      if (joinGroups) {
        for (const groupId of options.groupIds) {
          if (member.groups.has(groupId)) continue;
          if (await addMemberToGroup(client, groupId, memberId)) added += 1;
          member.groups.add(groupId);
        }
      }
      const { patch, changes } = changesFor(entry, member);
      if (changes.length) {
        await client.call(members.update, { params: { memberId }, body: patch });
      }
      const groupsSaid = !joinGroups
        ? ''
        : added > 0
          ? `added to ${added} of ${options.groupIds.length} group(s), already in the rest`
          : 'already in every chosen group';
      result.status = changes.length ? 'updated' : added > 0 ? 'added_to_groups' : 'existing';
      const said = [...changes, groupsSaid].filter(Boolean).join('; ');
      result.reason =
        !changes.length && joinGroups && added === 0
          ? 'Already a member, already in every chosen group.'
          : said
            ? `Already a member; ${said}.`
            : 'Already a member; nothing to change.';
    } catch (error) {
      fail([item], error);
    }
  };
  // Whoever is known to be in every chosen group, with nothing to update, needs no request.
  const rest = existing.filter((item) => {
    const { result } = item;
    const member = facts.get(result.email);
    if (!member || !isRead(result.email) || !inAll(result.email)) return true;
    if (changesFor(item.entry, member).changes.length) return true;
    result.status = 'existing';
    result.memberId = member.id ?? null;
    result.reason = 'Already a member, already in every chosen group.';
    return false;
  });
  await runPool(rest, MEMBER_CONCURRENCY, settle, stopped, markGroupsUnchecked);
  return finish();
};
