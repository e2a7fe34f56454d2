import { groupMembers } from '../api/group-members';
import type { SotionClient } from '../http/client';
import { memberOrNothing } from '../zap/resolve';
import { dedupe } from './dedupe';
import type { BulkEntry } from './entries';
import type { BulkMemory } from './memory';
import { count, plural, type BulkStep, type Progress, type StepOutput } from './output';
import {
  checkGroups,
  groupListPages,
  inGroup,
  lookUpMember,
  onSite,
  resolveMembers,
} from './resolve';
import { forEachMember } from './settle';
import { BulkRun, isFound, type BulkReport, type Item } from './state';

/** Where a Bulk Remove Members From Access Group entry ended (besides invalid, duplicate, failed). */
export type RemoveStatus = 'removed' | 'not_in_group' | 'not_a_member';

/** Every outcome of the step's own is final: a replay reports it as the earlier run found it. */
const DONE: ReadonlySet<RemoveStatus> = new Set(['removed', 'not_in_group', 'not_a_member']);

export const REMOVE_REASONS = {
  notAMember: 'No member has this email, so it is in no access group.',
  deleted: 'No member has this email any more (it was deleted meanwhile).',
  notInGroup: 'A member, but not in this access group.',
} as const;

export interface RemoveOptions {
  groupId: string;
  /** What earlier runs of the same step did; none without it. */
  memory?: BulkMemory;
}

/** A member the run did not get to (time ran out, or the run stopped): failed, not checked. */
const markUnchecked = (run: BulkRun<RemoveStatus>, { result }: Item<RemoveStatus>) => {
  result.status = 'failed';
  result.reason = `Not checked: the step ${
    run.stopped()
      ? 'stopped after an error (see the step error)'
      : 'ran out of the time Zapier allows'
  }. Replay the step to finish.`;
  run.report.notSent += 1;
};

/**
 * Bulk Remove Members From Access Group, phase by phase: de-duplicate the input; take over what
 * earlier runs of the step did; check the group (a scope group is refused before any write);
 * find the members the cheapest way — the group's own member list (it says who is in the group
 * and gives their ids at once) when it has no more pages than emails to check, the site's member
 * list or a look-up each for the rest — then, at most 16 at once, one DELETE per member in the
 * group. `removed` is said only of a member the group showed and this step's DELETE took out;
 * a member whose place in the group is not known from a list is read first (`GET /members/{id}`,
 * with its groups), since Sotion's answer to a DELETE for a non-member is undocumented.
 */
export const bulkRemoveMembers = async (
  client: SotionClient,
  entries: BulkEntry[],
  { groupId, memory }: RemoveOptions,
): Promise<BulkReport<RemoveStatus>> => {
  const { results, unique } = dedupe<RemoveStatus>(entries);
  const run = new BulkRun<RemoveStatus>(client, results, DONE, memory, { keepOutcomes: true });
  const { remembered, fresh } = await run.resume(unique, 'not_in_group');
  const items = [...remembered, ...fresh];
  if (items.length === 0) return run.finish();

  const groups = await checkGroups(run, [groupId], 'removed from');
  const emails = items.map(({ result }) => result.email);
  // Without the group's list, a member costs a look-up and a read of its groups; the list costs a
  // page per 100 members and answers both at once.
  const unknown = emails.filter((email) => inGroup(run, email, groupId) === undefined).length;
  await resolveMembers(run, emails, {
    groups,
    created: 0,
    needPaid: false,
    readGroupLists: unknown > 0 && groupListPages(run, groups, 0) <= unknown,
  });

  const settle = async (item: Item<RemoveStatus>) => {
    const { result } = item;
    try {
      // A look-up only when no list has said yet whether the email is a member's.
      const member =
        onSite(run, result.email) === undefined
          ? await lookUpMember(run, result.email)
          : run.facts.get(result.email);
      if (!isFound(member)) {
        result.status = 'not_a_member';
        result.reason = REMOVE_REASONS.notAMember;
        return;
      }
      result.memberId = member.id;
      let there = inGroup(run, result.email, groupId);
      if (there === undefined) {
        const read = await memberOrNothing(run.client, member.id);
        if (read === undefined) {
          result.status = 'not_a_member';
          result.reason = REMOVE_REASONS.deleted;
          return;
        }
        there = read.accessGroups.some((g) => g.id.toLowerCase() === groupId);
      }
      if (!there) {
        result.status = 'not_in_group';
        result.reason = REMOVE_REASONS.notInGroup;
        return;
      }
      const outcome = await run.client.call(groupMembers.remove, {
        params: { groupId, memberId: member.id },
      });
      member.groups.delete(groupId);
      if (outcome.ok) {
        result.status = 'removed';
        result.reason = null;
        return;
      }
      // 404: the membership the list showed is gone; this step cannot say who removed it.
      result.status = 'not_in_group';
      result.reason =
        `The group's member list showed this member, but Sotion answered that it is no longer in ` +
        `the group (HTTP ${outcome.status}${outcome.requestId ? `, X-Request-Id: ${outcome.requestId}` : ''}): ` +
        (run.client.resentAfterLostAnswer > 0
          ? "it was removed meanwhile, perhaps by this step's own earlier request, whose answer " +
            'was lost.'
          : 'it was removed meanwhile.');
    } catch (error) {
      run.fail([item], error);
    }
  };
  await forEachMember(run, items, settle, (item) => markUnchecked(run, item));
  return run.finish();
};

/** One sentence of what a run did, for error messages. */
const removeProgress = (out: StepOutput<RemoveStatus>, progress: Progress): string => {
  const notChecked = progress.notSent ?? 0;
  const failed = out.failedCount - notChecked;
  const parts = [
    `${count(out.removedCount)} removed`,
    `${count(out.notInGroupCount)} not in the group`,
    `${count(out.notAMemberCount)} not members`,
  ];
  if (out.invalidCount) parts.push(`${count(out.invalidCount)} invalid`);
  if (out.duplicateCount) parts.push(`${count(out.duplicateCount)} duplicates in the input`);
  if (notChecked) parts.push(`${count(notChecked)} not checked yet`);
  if (failed > 0) parts.push(`${count(failed)} failed`);
  return `Of ${plural(out.total, 'email')}: ${parts.join(', ')}.`;
};

/** Bulk Remove Members From Access Group's statuses, labels and wording. */
export const REMOVE_STEP: BulkStep<RemoveStatus> = {
  key: 'bulk_remove_members_from_access_group',
  label: 'Bulk Remove Members From Access Group',
  verb: 'remove',
  statuses: ['removed', 'not_in_group', 'not_a_member'],
  success: DONE,
  labels: {
    removed: { count: 'Members Removed', list: 'Removed Emails' },
    not_in_group: { count: 'Members Not in the Group', list: 'Not in the Group Emails' },
    not_a_member: { count: 'Emails of No Member', list: 'No Member Emails' },
    invalid: { count: 'Invalid Emails', list: 'Invalid Emails' },
    duplicate: { count: 'Duplicates in Input', list: 'Duplicate Emails' },
    failed: { count: 'Failed', list: 'Failed Emails' },
  },
  replay:
    ' Replaying the step is safe: it goes on where this run stopped, and reports members it ' +
    'removed as removed.',
  progress: removeProgress,
  leftUndone: (report) => (report.notSent ? [`checking ${plural(report.notSent, 'member')}`] : []),
};
