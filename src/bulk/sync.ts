import { normalizeEmail } from '../api/emails';
import { groupMembers } from '../api/group-members';
import { addMemberToGroup } from '../api/members';
import type { SotionClient } from '../http/client';
import { errorInfo, inputError, userError } from '../http/errors';
import { MAX_PAGE_SIZE, walkPages } from '../http/pagination';
import { dedupe } from './dedupe';
import type { BulkEntry } from './entries';
import type { RosterMember, BulkMemory } from './memory';
import { count, plural, type BulkStep, type Progress, type StepOutput } from './output';
import { checkGroups, lookUpMember, onSite, readList, resolveMembers } from './resolve';
import { sendInBulk } from './send';
import { forEachMember } from './settle';
import { BulkRun, isFound, type BulkReport, type Item, type StepResult } from './state';

/**
 * Sync Access Group Members: a list becomes a group's membership. Phase by phase: de-duplicate
 * the list; take over what earlier runs of the step did; check the group (custom); read the
 * group's whole member list (its members in the list are `unchanged`, the others are to be
 * removed); the removal guard, before any write; create the list's emails that are nobody yet
 * (POST /members/bulk, straight into the group); find the other non-members the cheapest way
 * and add them; remove the others. A dry run reads the same and writes nothing.
 */

/** Where a sync left an email: one of the list's, or a group member not in the list. */
export type SyncStatus =
  'added' | 'created' | 'removed' | 'unchanged' | 'not_a_member' | 'not_in_group';

/** Every sync status stands for work done (what a run handed back remembers). */
const DONE: ReadonlySet<SyncStatus> = new Set([
  'added',
  'created',
  'removed',
  'unchanged',
  'not_a_member',
  'not_in_group',
]);

/** The fewest removals the default guard allows, whatever the group's size. */
export const MIN_MAX_REMOVALS = 10;

/** Max Removals when it is empty: 10% of the group's member count, at least 10. */
export const defaultMaxRemovals = (memberCount: number): number =>
  Math.max(MIN_MAX_REMOVALS, Math.floor(memberCount / 10));

/** `source` of a group member who is not in the list. */
export const NOT_IN_LIST = 'access group (not in the list)';

export interface SyncOptions {
  groupId: string;
  /** Create the list's emails that are nobody yet (POST /members/bulk, into the group). */
  createMissing: boolean;
  /** Remove the group's members who are not in the list. */
  removeOthers: boolean;
  /** Read as a real run would, and write nothing. */
  dryRun: boolean;
  /** The most removals allowed; undefined: defaultMaxRemovals of the group's member count. */
  maxRemovals?: number;
  /** What earlier runs of the same step did; none without it. */
  memory?: BulkMemory;
}

export interface SyncReport extends BulkReport<SyncStatus> {
  groupId: string;
  /** The group's name, when this run read the group. */
  groupName?: string;
  dryRun: boolean;
  /** Sotion's member count of the group when the step checked it. */
  memberCount: number;
  /** The removal guard: the most members this sync may remove. */
  maxRemovals: number;
}

const EARLIER = 'Done by an earlier run of this step.';
const BLOCKED =
  ' The member is blocked: no access until unblocked (this step does not unblock members).';

/** What each status means for an email, in a real run and in a dry run. */
const reasonFor = (status: SyncStatus, dryRun: boolean, blocked = false): string => {
  const note = blocked ? BLOCKED : '';
  switch (status) {
    case 'unchanged':
      return `Already in the group.${note}`;
    case 'added':
      return dryRun
        ? `Dry run: would be added to the group (already a member of the site).${note}`
        : `Already a member of the site; added to the group.${note}`;
    case 'created':
      return dryRun
        ? 'Dry run: would be created in the group (no member has this email).'
        : 'Created, in the group.';
    case 'not_a_member':
      return `No member has this email; ${dryRun ? 'it would not be' : 'not'} created ("Create Missing Members" is off).`;
    case 'removed':
      return dryRun
        ? 'Dry run: would be removed from the group (not in the list).'
        : 'Not in the list; removed from the group.';
    case 'not_in_group':
      return (
        "Not in the list. The group's member list showed this member, but Sotion answered that " +
        'it is no longer in the group (someone removed it meanwhile): nothing to remove.'
      );
  }
};

const LEFT_FOR_LATER =
  'Not done yet: the step was handed back to Zapier before it got here (the rate limit or the ' +
  'time Zapier allows a step); the replay goes on from here.';

/** One run of a sync: the run state, the list's items, and the group's members not in it. */
class Sync {
  readonly run: BulkRun<SyncStatus>;
  /** List items whose outcome is known (a final status, or failed for good). */
  readonly settled = new Set<Item<SyncStatus>>();
  /** The group's members not in the list, by member id, with their line of the output. */
  readonly roster = new Map<string, RosterMember>();
  /** Removals left for a later run. */
  removalsLeft = 0;
  /** Members this run created (those of earlier runs are in its memory). */
  created = 0;

  constructor(
    client: SotionClient,
    results: Array<StepResult<SyncStatus>>,
    readonly options: SyncOptions,
  ) {
    this.run = new BulkRun<SyncStatus>(client, results, DONE, options.memory, {
      keepOutcomes: true,
    });
  }

  settle(item: Item<SyncStatus>, status: SyncStatus, memberId: string | null, reason: string) {
    Object.assign(item.result, { status, memberId, reason });
    this.settled.add(item);
    this.run.leftOver.delete(item.result.email);
  }

  /** An item whose work this run cannot do (time ran out, or the run stopped). */
  leave(item: Item<SyncStatus>) {
    Object.assign(item.result, { status: 'failed', reason: LEFT_FOR_LATER });
    this.run.leftOver.add(item.result.email);
  }

  /**
   * Ends the run: remembers what it did for a replay when work is left (or it stopped), or,
   * once the sync is done, forgets its progress so that the next run reads the group again.
   */
  async finish(): Promise<void> {
    const { run } = this;
    const memory = run.memory;
    run.report.apiRequests = run.client.requestsSent;
    const left = run.leftOver.size + this.removalsLeft;
    run.report.notSent = left;
    if (!memory) return;
    if (left === 0 && !run.report.listUnread && !run.stopped()) {
      await memory.finished();
      return;
    }
    for (const email of run.lost) memory.forget(email);
    for (const member of this.roster.values()) memory.setRoster(member);
    const done = run.report.results.filter(
      (r) => r.source !== NOT_IN_LIST && DONE.has(r.status as SyncStatus),
    );
    const doneEmails = new Set(done.map((r) => r.email));
    await memory.save(
      done.map(({ email, memberId, status }) => ({ email, memberId, outcome: status })),
      [...run.facts]
        .filter(([email]) => !doneEmails.has(email) && !run.lost.has(email))
        .map(([email, known]) => ({
          email,
          memberId: known.id,
          paid: known.paid,
          status: known.status,
          groups: [...known.groups],
        })),
      this.created,
    );
  }
}

/** The step's name in messages. */
const STEP = 'Sync Access Group Members';

const examples = (emails: string[], max = 5): string =>
  emails.slice(0, max).join(', ') +
  (emails.length > max ? ` and ${(emails.length - max).toLocaleString('en-US')} more` : '');

/**
 * Refuses a list with no valid email before any request: with Remove Others on it would empty
 * the group; with it off there is nothing to do.
 */
const refuseEmptyList = (
  client: SotionClient,
  results: Array<StepResult<SyncStatus>>,
  removeOthers: boolean,
) => {
  const invalid = results.filter((r) => r.status === 'invalid').map((r) => r.email || '(empty)');
  const said = invalid.length
    ? ` (${invalid.length.toLocaleString('en-US')} invalid: ${examples(invalid, 3)})`
    : '';
  throw inputError(
    client.z,
    removeOthers
      ? `The list has no valid email${said}, and a list with no valid email would remove ` +
          'everyone from the group, so nothing was done. Fill in Emails, Members or the CSV ' +
          'file, for example `ada@example.com`.'
      : `The list has no valid email${said}, so there is nothing to sync. Fill in Emails, ` +
          'Members or the CSV file, for example `ada@example.com`.',
  );
};

/** One sentence of what a run did, for error messages. */
const syncProgress = (out: StepOutput<SyncStatus>, progress: Progress): string => {
  const left = progress.notSent ?? 0;
  const failed = out.failedCount - left;
  const parts = [
    `${count(out.unchangedCount)} unchanged`,
    `${count(out.addedCount)} added`,
    `${count(out.createdCount)} created`,
  ];
  if (out.notAMemberCount) parts.push(`${count(out.notAMemberCount)} of no member`);
  if (out.invalidCount) parts.push(`${count(out.invalidCount)} invalid`);
  if (out.duplicateCount) parts.push(`${count(out.duplicateCount)} duplicates in the list`);
  const rest = [`${count(out.removedCount)} removed from the group`];
  if (out.notInGroupCount) rest.push(`${count(out.notInGroupCount)} out of it already`);
  if (left) rest.push(`${count(left)} not done yet`);
  if (failed > 0) rest.push(`${count(failed)} failed`);
  return `Of ${plural(out.total, 'email')} in the list: ${parts.join(', ')}; ${rest.join(', ')}.`;
};

/** Sync Access Group Members' statuses, labels and wording (see BulkStep). */
export const SYNC_STEP: BulkStep<SyncStatus> = {
  key: 'sync_access_group_members',
  label: STEP,
  verb: 'sync',
  statuses: ['unchanged', 'added', 'created', 'removed', 'not_a_member', 'not_in_group'],
  success: DONE,
  labels: {
    unchanged: { count: 'Members Unchanged', list: 'Unchanged Emails' },
    added: { count: 'Members Added', list: 'Added Emails' },
    created: { count: 'Members Created', list: 'Created Emails' },
    removed: { count: 'Members Removed', list: 'Removed Emails' },
    not_a_member: { count: 'Emails of No Member', list: 'No Member Emails' },
    not_in_group: {
      count: 'Members Not in the Group',
      list: 'Not in the Group Emails',
    },
    invalid: { count: 'Invalid Emails', list: 'Invalid Emails' },
    duplicate: { count: 'Duplicates in Input', list: 'Duplicate Emails' },
    failed: { count: 'Failed', list: 'Failed Emails' },
  },
  replay:
    ' Replaying the step is safe: within the hour it goes on where this run stopped, and it ' +
    'only ever changes what still differs.',
  progress: syncProgress,
  leftUndone: ({ notSent, listUnread }) => [
    ...(listUnread ? ["reading the rest of the group's member list"] : []),
    ...(notSent ? [`syncing ${plural(notSent, 'member')}`] : []),
  ],
  total: (results) => results.filter((r) => r.source !== NOT_IN_LIST).length,
  handBack: true,
};

/**
 * Syncs a group's membership to a list. Every list entry ends with one result, and each group
 * member not in the list (when Remove Others is on) with one more, `source` NOT_IN_LIST. Throws
 * before any write when the list is empty, the group is a scope group, or the removal guard
 * trips; returns a report whose `notSent` or `fatal` says when the run must be handed back.
 */
export const syncGroupMembers = async (
  client: SotionClient,
  entries: BulkEntry[],
  options: SyncOptions,
): Promise<SyncReport> => {
  const { groupId, createMissing, removeOthers, dryRun } = options;
  const { results, unique } = dedupe<SyncStatus>(entries);
  if (unique.length === 0) refuseEmptyList(client, results, removeOthers);
  const sync = new Sync(client, results, options);
  const { run } = sync;
  const memory = run.memory;

  // What earlier runs of this step did: their statuses stand (a replay reports the whole sync).
  const { remembered, fresh } = await run.resume(unique, 'unchanged');
  const open = new Set([...remembered, ...fresh]);
  for (const item of unique) {
    if (open.has(item)) continue;
    const status = item.result.status as SyncStatus;
    sync.settle(item, status, item.result.memberId, `${reasonFor(status, dryRun)} ${EARLIER}`);
  }
  for (const known of memory?.roster() ?? []) sync.roster.set(known.memberId, known);

  const [group] = await checkGroups(run, [groupId], 'added to or removed from');
  const memberCount = group?.memberCount ?? 0;
  const report: SyncReport = Object.assign(run.report, {
    groupId,
    ...(group?.name ? { groupName: group.name } : {}),
    dryRun,
    memberCount,
    maxRemovals: options.maxRemovals ?? defaultMaxRemovals(memberCount),
  });
  // The group's size: Sotion's count when the step checked it (up to an hour ago), or as many
  // members as its list has shown, when more.
  const groupSize = () =>
    Math.max(
      memberCount,
      sync.roster.size + unique.filter((i) => i.result.status === 'unchanged').length,
    );
  const guardTrips = () => {
    report.maxRemovals = options.maxRemovals ?? defaultMaxRemovals(groupSize());
    return removeOthers && sync.roster.size > report.maxRemovals;
  };

  // The group's whole member list, before any write (the guard needs every member not in the
  // list). With Remove Others off it may stop once every email of the list is found there.
  const listed = new Map(unique.map((item) => [item.result.email, item]));
  let unfound = unique.filter((item) => !sync.settled.has(item)).length;
  const start = memory?.position(groupId);
  let complete = start?.after === null || (!removeOthers && unfound === 0);
  if (!complete) {
    const ended = await readList(
      run,
      groupId,
      start,
      (after) =>
        walkPages(client, groupMembers.list, { params: { groupId }, limit: MAX_PAGE_SIZE, after }),
      (page) => {
        for (const member of page.items) {
          const email = normalizeEmail(member.email);
          const item = listed.get(email);
          if (item) {
            run.learn(email, member).groups.add(groupId);
            if (sync.settled.has(item)) continue;
            unfound -= 1;
            sync.settle(
              item,
              'unchanged',
              member.id,
              reasonFor('unchanged', dryRun, member.status === 'blocked'),
            );
          } else if (removeOthers && !sync.roster.has(member.id)) {
            sync.roster.set(member.id, { memberId: member.id, email, state: 'pending' });
          }
        }
        if (!removeOthers && unfound === 0) {
          complete = true;
          return true;
        }
        return run.outOfTime() || run.stopped();
      },
    );
    complete ||= run.readToEnd.has(groupId);
    if (!complete && !guardTrips()) {
      // Not acting on a part of the list: the run is handed back (rate limit, time), or stops
      // on what ended the list (a broken cursor, a page Sotion kept failing).
      if (ended !== undefined && !run.outOfTime()) run.report.fatal ??= ended;
      // With Remove Others on, the rest of the list is work left even when every email is
      // found: the members on the pages not read are still to be removed.
      if (removeOthers) run.report.listUnread = true;
      for (const item of unique) if (!sync.settled.has(item)) sync.leave(item);
      await sync.finish();
      return report;
    }
  }

  if (guardTrips()) {
    await memory?.finished();
    const removals = [...sync.roster.values()].map((r) => r.email);
    const atLeast = complete ? '' : 'at least ';
    const name = group?.name ? `"${group.name}"` : `access group ${groupId}`;
    const allowed =
      options.maxRemovals === undefined
        ? `${report.maxRemovals} (the default: 10% of its ${count(groupSize())} members, at least ${MIN_MAX_REMOVALS})`
        : String(report.maxRemovals);
    const valid = unique.length;
    throw userError(
      client.z,
      `${dryRun ? 'Dry run: a real run would stop' : `${STEP} stopped`} before changing ` +
        `anything: it would remove ${atLeast}${plural(removals.length, 'member')} ` +
        `from ${name} (those not in the list), and Max Removals allows ${allowed}. ` +
        `The list has ${valid.toLocaleString('en-US')} valid ${valid === 1 ? 'email' : 'emails'}: ` +
        'if it was cut short, fix it first. To allow this, set Max Removals to ' +
        `${removals.length.toLocaleString('en-US')}${complete ? '' : ' or more'}, or turn ` +
        `Remove Others off. Members it would remove: ${examples(removals)}.`,
      'removal_guard',
      {},
    );
  }

  // The group's members not in the list, each a line of the output from here on (they count
  // for the results file's time); removed last, so a run stopped part way leaves more access.
  const pending: Array<Item<SyncStatus>> = [];
  if (removeOthers) {
    for (const member of sync.roster.values()) {
      const status = member.state === 'gone' ? 'not_in_group' : 'removed';
      const result: StepResult<SyncStatus> = {
        email: member.email,
        source: NOT_IN_LIST,
        status,
        memberId: member.memberId,
        reason:
          member.state === 'pending'
            ? reasonFor(status, dryRun)
            : `${reasonFor(status, dryRun)} ${EARLIER}`,
      };
      results.push(result);
      if (member.state === 'pending' && !dryRun) {
        Object.assign(result, { status: 'failed', reason: LEFT_FOR_LATER });
        pending.push({ entry: { raw: member.email, source: NOT_IN_LIST }, result });
      }
    }
  }

  // The list's emails not in the group: created (new), or found and added.
  const toSend: Array<Item<SyncStatus>> = [];
  const toAdd: Array<Item<SyncStatus>> = [];
  for (const item of unique) {
    if (sync.settled.has(item)) continue;
    const knownBefore = run.facts.has(item.result.email);
    if (!dryRun && createMissing && !knownBefore) toSend.push(item);
    else toAdd.push(item);
  }
  if (toSend.length) {
    const existing = await sendInBulk(run, toSend, [groupId]);
    const conflicts = new Set(existing);
    for (const item of toSend) {
      if (conflicts.has(item)) continue;
      if (item.result.status === 'created') {
        sync.created += 1;
        sync.settle(item, 'created', item.result.memberId, reasonFor('created', false));
      } else if (!run.leftOver.has(item.result.email)) sync.settled.add(item);
    }
    toAdd.push(...existing);
  }

  // Whoever is still unknown: the site's member list when cheaper than a look-up each.
  // Members the step created, this run and earlier ones: the site's list holds them too.
  const created = sync.created + (memory?.created ?? 0);
  const unknown = toAdd
    .map(({ result }) => result.email)
    .filter((email) => !isFound(run.facts.get(email)));
  if (unknown.length && !run.stopped()) {
    await resolveMembers(run, unknown, {
      groups: [],
      created,
      needPaid: false,
      readGroupLists: false,
    });
  }
  // Read to its end, the site's list shows who is nobody yet (unless Sotion said they exist).
  const nobody = (email: string) => (dryRun || !createMissing) && onSite(run, email) === false;
  await forEachMember(
    run,
    toAdd,
    async (item) => {
      const { email } = item.result;
      try {
        const known = run.facts.get(email);
        const member = isFound(known)
          ? known
          : nobody(email)
            ? undefined
            : await lookUpMember(run, email);
        if (!isFound(member)) {
          if (!dryRun && createMissing) {
            Object.assign(item.result, {
              status: 'failed',
              reason:
                'Sotion said this email already exists but could not find the member by email, ' +
                'so it was not added to the group. Replay the step.',
            });
            sync.settled.add(item);
          } else {
            const status = createMissing ? 'created' : 'not_a_member';
            sync.settle(item, status, null, reasonFor(status, dryRun));
          }
          return;
        }
        const blocked = member.status === 'blocked';
        // A look-up took the time left: the replay adds the member by the id it found.
        if (run.outOfTime()) return sync.leave(item);
        if (dryRun) {
          sync.settle(item, 'added', member.id, reasonFor('added', true, blocked));
          return;
        }
        const added = await addMemberToGroup(client, groupId, member.id);
        member.groups.add(groupId);
        sync.settle(
          item,
          added ? 'added' : 'unchanged',
          member.id,
          added
            ? reasonFor('added', false, blocked)
            : `Already in the group (put there while this step ran).${blocked ? BLOCKED : ''}`,
        );
      } catch (error) {
        if (errorInfo(error)?.status === undefined && run.outOfTime()) return sync.leave(item);
        run.fail([item], error);
        if (run.stopped()) run.leftOver.add(email);
        else sync.settled.add(item);
      }
    },
    (item) => sync.leave(item),
  );

  // Last, the removals.
  const leave = ({ result }: Item<SyncStatus>) => {
    Object.assign(result, { status: 'failed', reason: LEFT_FOR_LATER });
    sync.removalsLeft += 1;
  };
  await forEachMember(
    run,
    pending,
    async (item) => {
      const { result } = item;
      const memberId = result.memberId as string;
      try {
        const outcome = await client.call(groupMembers.remove, { params: { groupId, memberId } });
        const member = sync.roster.get(memberId);
        const status = outcome.ok ? 'removed' : 'not_in_group';
        if (member) member.state = outcome.ok ? 'removed' : 'gone';
        Object.assign(result, { status, reason: reasonFor(status, false) });
      } catch (error) {
        if (errorInfo(error)?.status === undefined && run.outOfTime()) return leave(item);
        run.fail([item], error);
        if (run.stopped()) sync.removalsLeft += 1;
      }
    },
    leave,
  );

  await sync.finish();
  return report;
};
