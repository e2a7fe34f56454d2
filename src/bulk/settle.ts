import { addMemberToGroup, members } from '../api/members';
import type { BulkEntry } from './entries';
import { runPool } from './pool';
import { isResolved, lookUpMember } from './resolve';
import {
  isFound,
  type BulkRun,
  type FoundMember,
  type Item,
  type MemberFacts,
  type MemberStatus,
} from './state';

/** Look-ups, group adds and updates for existing members in flight at once. */
export const MEMBER_CONCURRENCY = 16;

const IN_EVERY_GROUP = 'Already a member, already in every chosen group.';

/**
 * Runs `work` on each item, 16 at a time. Items not started before time runs out (less than the
 * reserve left) or before the run stopped go to `skipped` instead: none is left without a result.
 */
export const forEachMember = async <Own extends string>(
  run: BulkRun<Own>,
  items: Array<Item<Own>>,
  work: (item: Item<Own>) => Promise<void>,
  skipped: (item: Item<Own>) => void,
): Promise<void> =>
  runPool(
    items,
    MEMBER_CONCURRENCY,
    async (item) => (run.outOfTime() ? skipped(item) : work(item)),
    () => run.stopped(),
    skipped,
  );

/** What happens to members who already exist (besides the groups). */
export const UPDATE_EXISTING = {
  leave: 'leave',
  paid: 'set_paid',
  paidAndUnblock: 'set_paid_and_unblock',
} as const;
export type UpdateExisting = (typeof UPDATE_EXISTING)[keyof typeof UPDATE_EXISTING];

/**
 * What "Update Existing Members" changes on a member (the one rule): Paid when the entry gives a
 * different one (both update choices), and unblocking a blocked member (the second one).
 */
export const changesFor = (
  update: UpdateExisting,
  entry: BulkEntry,
  member: Pick<MemberFacts, 'paid' | 'status'>,
): { patch: { paid?: boolean; status?: 'active' }; changes: string[] } => {
  const changes: string[] = [];
  const patch: { paid?: boolean; status?: 'active' } = {};
  if (update !== UPDATE_EXISTING.leave && entry.paid !== undefined && member.paid !== entry.paid) {
    patch.paid = entry.paid;
    changes.push(`Paid set to ${entry.paid}`);
  }
  if (update === UPDATE_EXISTING.paidAndUnblock && member.status === 'blocked') {
    patch.status = 'active';
    changes.push('unblocked');
  }
  return { patch, changes };
};

/**
 * Puts a member into each of `groupIds` it is not known to be in, one request per group
 * ("already in the group", 409, counts as in). Each group is noted as soon as it is confirmed, so
 * a run stopped part way leaves the next one only the rest. Returns how many it really added.
 */
export const addToGroups = async <Own extends string>(
  run: BulkRun<Own>,
  member: FoundMember,
  groupIds: string[],
): Promise<number> => {
  let added = 0;
  for (const groupId of groupIds) {
    if (member.groups.has(groupId)) continue;
    if (await addMemberToGroup(run.client, groupId, member.id)) added += 1;
    member.groups.add(groupId);
  }
  return added;
};

/** An existing member (sent; Sotion said it exists) whose groups were not checked. */
export const markGroupsUnchecked = <Own extends string>(
  run: BulkRun<Own>,
  { result }: Item<Own>,
) => {
  result.status = 'failed';
  result.reason = `Already a member, but the step ${
    run.stopped() ? 'stopped after an error (see the step error)' : 'ran out of time'
  } before checking its access groups. Replay the step to finish.`;
  run.report.groupsUnchecked = (run.report.groupsUnchecked ?? 0) + 1;
  run.leftOver.add(result.email);
};

/** Existing members when neither groups nor updates apply: nothing to do, and no request. */
export const leaveExisting = (items: Array<Item<MemberStatus>>, groupIds: string[]): void => {
  for (const { result } of items) {
    result.status = 'existing';
    result.reason = groupIds.length
      ? 'Already a member; not added to the groups ("Add Existing Members to the Groups" is off).'
      : 'Already a member.';
  }
};

export interface SettleOptions {
  groupIds: string[];
  /** Put existing members into every group of `groupIds`. */
  joinGroups: boolean;
  update: UpdateExisting;
}

/**
 * The last phase of Bulk Add Members, for members that already existed: whoever is known to be
 * in every chosen group with nothing to update needs no request; the others (at most 16 at once)
 * are looked up when still unknown, added to the groups they are not known to be in, and
 * PATCHed when "Update Existing Members" changes something. Each ends `existing`,
 * `added_to_groups`, `updated` or `failed` with a reason; once time runs out or the run stopped,
 * the rest are reported as unchecked.
 */
export const settleExisting = async (
  run: BulkRun<MemberStatus>,
  items: Array<Item<MemberStatus>>,
  { groupIds, joinGroups, update }: SettleOptions,
): Promise<void> => {
  const needPaid = update !== UPDATE_EXISTING.leave;
  const inAll = (email: string) =>
    joinGroups && groupIds.every((id) => run.facts.get(email)?.groups.has(id));
  const settle = async (item: Item<MemberStatus>) => {
    const { result, entry } = item;
    try {
      const member = isResolved(run, result.email, needPaid)
        ? run.facts.get(result.email)
        : await lookUpMember(run, result.email);
      if (!isFound(member)) {
        result.status = 'failed';
        result.reason =
          'Sotion said this email already exists but could not find the member by email, so it ' +
          'was not added to the groups.';
        return;
      }
      const memberId = member.id;
      result.memberId = memberId;
      const added = joinGroups ? await addToGroups(run, member, groupIds) : 0;
      const { patch, changes } = changesFor(update, entry, member);
      if (changes.length) {
        await run.client.call(members.update, { params: { memberId }, body: patch });
      }
      const groupsSaid = !joinGroups
        ? ''
        : added > 0
          ? `added to ${added} of ${groupIds.length} group(s), already in the rest`
          : 'already in every chosen group';
      result.status = changes.length ? 'updated' : added > 0 ? 'added_to_groups' : 'existing';
      const said = [...changes, groupsSaid].filter(Boolean).join('; ');
      result.reason =
        !changes.length && joinGroups && added === 0
          ? IN_EVERY_GROUP
          : said
            ? `Already a member; ${said}.`
            : 'Already a member; nothing to change.';
    } catch (error) {
      run.fail([item], error);
    }
  };
  // Whoever is known to be in every chosen group, with nothing to update, needs no request.
  const rest = items.filter((item) => {
    const { result } = item;
    const member = run.facts.get(result.email);
    if (!member || !isResolved(run, result.email, needPaid) || !inAll(result.email)) return true;
    if (changesFor(update, item.entry, member).changes.length) return true;
    result.status = 'existing';
    result.memberId = member.id ?? null;
    result.reason = IN_EVERY_GROUP;
    return false;
  });
  await forEachMember(run, rest, settle, (item) => markGroupsUnchecked(run, item));
};
