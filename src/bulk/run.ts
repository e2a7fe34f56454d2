import type { SotionClient } from '../http/client';
import { dedupe } from './dedupe';
import type { BulkEntry } from './entries';
import type { BulkMemory } from './memory';
import { checkGroups, groupListPages, isResolved, resolveMembers } from './resolve';
import { sendInBulk } from './send';
import { leaveExisting, settleExisting, UPDATE_EXISTING, type UpdateExisting } from './settle';
import { BulkRun, type BulkReport, type MemberStatus } from './state';

export { UPDATE_EXISTING, type UpdateExisting } from './settle';
export type { BulkReport, MemberResult, MemberStatus } from './state';

export { MAX_MEMBERS_PER_STEP } from './input';

export interface BulkOptions {
  groupIds: string[];
  addExistingToGroups: boolean;
  updateExisting: UpdateExisting;
  /** What earlier runs of the same step confirmed; none without it. */
  memory?: BulkMemory;
}

/** What an earlier run's confirmation of a member stands for. */
const DONE: ReadonlySet<MemberStatus> = new Set([
  'created',
  'existing',
  'added_to_groups',
  'updated',
]);

/**
 * Bulk Add Members, phase by phase: de-duplicate the input; take over what earlier runs of the
 * step did; check the groups; send the rest in bulk (batches of 500, refused batches bisected);
 * then, for members that already existed, find them the cheapest way and put them into the
 * chosen groups (and update them when asked). Every entry ends with exactly one status.
 */
export const bulkAddMembers = async (
  client: SotionClient,
  entries: BulkEntry[],
  options: BulkOptions,
): Promise<BulkReport> => {
  const { results, unique } = dedupe<MemberStatus>(entries);
  const run = new BulkRun<MemberStatus>(client, results, DONE, options.memory);
  const { remembered, fresh } = await run.resume(unique, 'existing');
  if (remembered.length + fresh.length === 0) return run.finish();
  const { groupIds, updateExisting: update } = options;
  const joinGroups = groupIds.length > 0 && options.addExistingToGroups;
  const needPaid = update !== UPDATE_EXISTING.leave;

  const groups = await checkGroups(run, groupIds);
  const existing = [...remembered, ...(await sendInBulk(run, fresh, groupIds))];
  if (!joinGroups && !needPaid) {
    leaveExisting(existing, groupIds);
    return run.finish();
  }

  // Reading the groups pays when most existing members are in them already (a replay without
  // memory, or an import of people already there): a page per 100 instead of a look-up and an
  // add each. When the step created more than it found existing, they are more likely not.
  const created = results.filter((r) => r.status === 'created').length + (run.memory?.created ?? 0);
  const emails = existing.map(({ result }) => result.email);
  const unresolved = emails.filter((email) => !isResolved(run, email, needPaid)).length;
  const pages = groupListPages(run, groups, created);
  await resolveMembers(run, emails, {
    groups,
    created,
    needPaid,
    readGroupLists: joinGroups && pages * 2 <= unresolved && created <= unresolved,
  });
  await settleExisting(run, existing, { groupIds, joinGroups, update });
  return run.finish();
};
