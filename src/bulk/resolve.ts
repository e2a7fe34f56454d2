import { getAccessGroup } from '../api/access-groups';
import { normalizeEmail } from '../api/emails';
import { groupMembers } from '../api/group-members';
import { findMemberByEmail, members } from '../api/members';
import type { AccessGroup } from '../api/schemas';
import { errorInfo, inputError } from '../http/errors';
import { MAX_PAGE_SIZE, walkPages, type Page } from '../http/pagination';
import type { ListPosition } from './memory';
import type { BulkRun, FoundMember } from './state';

/**
 * A chosen group, checked to exist and be custom: its id and member count when checked, and its
 * name when this run read the group (an earlier run's check keeps only the count).
 */
export type CheckedGroup = Pick<AccessGroup, 'id' | 'memberCount'> & { name?: string };

/** The list position key of the site's member list (a group's list is keyed by its id). */
export const MEMBER_LIST = 'members';

/**
 * Checks that every chosen group exists and is custom (scope groups refuse API changes), before
 * any member is sent: one request per group, once per step (an earlier run's check holds for
 * its replays). A scope group is an input error naming it, and what the step would have done
 * (`action`: members cannot be "added to" it, "removed from" it).
 */
export const checkGroups = async <Own extends string>(
  run: BulkRun<Own>,
  groupIds: string[],
  action = 'added to',
): Promise<CheckedGroup[]> => {
  const groups: CheckedGroup[] = [];
  for (const id of groupIds) {
    const checked = run.memory?.checkedGroup(id);
    if (checked !== undefined) {
      groups.push({ id, memberCount: checked });
      continue;
    }
    const group = await getAccessGroup(run.client, id);
    groups.push(group);
    if (group.type !== 'custom') {
      throw inputError(
        run.client.z,
        `Access group "${group.name}" (${id}) is a scope group, managed from a Notion ` +
          `collection; members cannot be ${action} it through the API. Choose custom groups only.`,
      );
    }
    run.memory?.setCheckedGroup(id, group.memberCount);
  }
  return groups;
};

/** Whether what is known of a member is enough to settle it: its id, and Paid and status when `needPaid`. */
export const isResolved = <Own extends string>(
  run: BulkRun<Own>,
  email: string,
  needPaid: boolean,
): boolean => {
  const known = run.facts.get(email);
  return known?.id !== undefined && (!needPaid || known.paid !== undefined);
};

/**
 * Whether a list read that failed should start again from the top next time: Sotion refused the
 * request for what it asked (a 4xx other than 401, 403 and 429: perhaps the cursor), or the list
 * broke its cursor contract. After a throttle, a time-out, a 5xx or a stop, it goes on from there.
 */
export const positionRefused = (error: unknown): boolean => {
  const info = errorInfo(error);
  if (info === undefined) return false;
  const { status } = info;
  if (status === undefined) return !info.transient;
  return status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429;
};

/**
 * Reads a list from where the step's last read of it stopped (the top without one), keeping the
 * position after every page, until `onPage` says to stop or the list ends. A read that fails part
 * way is still right as far as it went: a page that keeps failing, timing out or breaking the
 * cursor contract only ends this list early; what stops the step elsewhere (a revoked key, a
 * refusal, a long throttle, an error the pipeline did not raise) stops it here too. The position
 * is kept for the next run unless Sotion refused it. Returns the error that ended the list
 * early without stopping the step (for a caller that must read the list whole).
 */
export const readList = async <Own extends string, T>(
  run: BulkRun<Own>,
  list: string,
  start: ListPosition | undefined,
  walk: (after: string | undefined) => AsyncIterable<Page<T>>,
  onPage: (page: Page<T>, pages: number) => boolean,
): Promise<unknown> => {
  let pages = start?.pages ?? 0;
  try {
    for await (const page of walk(start?.after ?? undefined)) {
      pages += 1;
      run.memory?.setPosition(list, { after: page.hasMore ? page.nextCursor : null, pages });
      if (!page.hasMore) run.readToEnd.add(list);
      if (onPage(page, pages)) return undefined;
    }
  } catch (error) {
    const info = errorInfo(error);
    const endsListOnly = info !== undefined && info.status === undefined;
    if (!endsListOnly) run.stopOn(error);
    if (positionRefused(error)) run.memory?.setPosition(list, undefined);
    return endsListOnly ? error : undefined;
  }
  return undefined;
};

/**
 * The list pages left to read of the chosen groups, as far as their counts tell (a group read to
 * the end by an earlier run of the step has none; one it stopped in has at least one).
 */
export const groupListPages = <Own extends string>(
  run: BulkRun<Own>,
  groups: CheckedGroup[],
  created: number,
): number =>
  groups.reduce((sum, { id, memberCount }) => {
    const total = Math.ceil((memberCount + created) / MAX_PAGE_SIZE);
    const start = run.memory?.position(id);
    if (start === undefined) return sum + total;
    return sum + (start.after === null ? 0 : Math.max(1, total - start.pages));
  }, 0);

export interface ResolvePlan {
  /** The step's groups, checked. */
  groups: CheckedGroup[];
  /** Members the step created (this run and earlier): the lists hold them too. */
  created: number;
  /** Paid and status are needed too, not only the id. */
  needPaid: boolean;
  /**
   * Read the groups' own lists first: the caller's call, from groupListPages() against what it
   * expects to find there (a page per 100 members, instead of a look-up and a request each).
   */
  readGroupLists: boolean;
}

/**
 * Reads the groups' member lists (pages of 100, groups in parallel), each stopping once every
 * wanted email not yet known in it is found. A list longer than one run can read goes on where
 * the last run stopped (what it learnt from the pages before is in its memory); one read to the
 * end is not read again.
 */
const readGroups = async <Own extends string>(
  run: BulkRun<Own>,
  wanted: string[],
  { groups, created }: ResolvePlan,
) => {
  await Promise.all(
    groups.map(async ({ id: groupId, memberCount }) => {
      // An empty group has nobody to find: it counts as read to the end.
      if (memberCount + created === 0) {
        run.readToEnd.add(groupId);
        return;
      }
      const left = new Set(wanted.filter((email) => !run.facts.get(email)?.groups.has(groupId)));
      const start = run.memory?.position(groupId);
      if (left.size === 0 || start?.after === null) return;
      await readList(
        run,
        groupId,
        start,
        (after) =>
          walkPages(run.client, groupMembers.list, {
            params: { groupId },
            limit: MAX_PAGE_SIZE,
            after,
          }),
        (page) => {
          for (const member of page.items) {
            const email = normalizeEmail(member.email);
            if (!left.delete(email)) continue;
            run.learn(email, member).groups.add(groupId);
          }
          return left.size === 0 || run.outOfTime() || run.stopped();
        },
      );
    }),
  );
};

/**
 * Reads the site's member list (newest first, so the step's new members come first) instead of
 * one look-up per member, while the pages it may still take are fewer than the look-ups left;
 * stops as soon as every wanted email is found, and goes on where an earlier run stopped.
 */
const readMembers = async <Own extends string>(
  run: BulkRun<Own>,
  emails: Set<string>,
  created: number,
) => {
  const newPages = Math.floor(created / MAX_PAGE_SIZE);
  const start = run.memory?.position(MEMBER_LIST);
  // The list holds at least the step's new members and the wanted ones; its real length is
  // unknown, so it must promise to save a few look-ups.
  if (start === undefined) {
    if (Math.ceil((created + emails.size) / MAX_PAGE_SIZE) + 2 > emails.size) return;
  } else if (start.after === null || start.pages - newPages >= emails.size) return;
  await readList(
    run,
    MEMBER_LIST,
    start,
    (after) => walkPages(run.client, members.list, { limit: MAX_PAGE_SIZE, after }),
    (page, pages) => {
      run.report.memberPages += 1;
      for (const member of page.items) {
        const email = normalizeEmail(member.email);
        if (!emails.delete(email)) continue;
        run.learn(email, member);
      }
      if (emails.size === 0 || run.outOfTime() || run.stopped()) return true;
      // Past the step's new members, a page that finds nobody costs as much as a look-up.
      return pages - newPages >= emails.size;
    },
  );
};

/**
 * Finds existing members the cheapest way: the groups' own lists (when the plan says so), then
 * the site's member list for whoever is still unknown, when that takes fewer requests than a
 * look-up each. What they show is in `run.facts` (id, Paid, status, and the groups the member
 * was seen in); whoever they did not reach is looked up one by one (lookUpMember) when settled.
 */
export const resolveMembers = async <Own extends string>(
  run: BulkRun<Own>,
  emails: string[],
  plan: ResolvePlan,
): Promise<void> => {
  if (!run.stopped() && plan.readGroupLists) await readGroups(run, emails, plan);
  const missing = new Set(emails.filter((email) => !isResolved(run, email, plan.needPaid)));
  if (!run.stopped() && missing.size > 0) await readMembers(run, missing, plan.created);
};

/**
 * One look-up by email (`GET /members?email=`): what it finds is learnt; a member it cannot find
 * is forgotten by the step's memory (undefined), so the next run starts over with it.
 */
export const lookUpMember = async <Own extends string>(
  run: BulkRun<Own>,
  email: string,
): Promise<FoundMember | undefined> => {
  run.report.lookups += 1;
  const found = await findMemberByEmail(run.client, email);
  if (found === undefined) {
    run.lost.add(email);
    return undefined;
  }
  return run.learn(email, found);
};

/**
 * Whether a member is in a group, as far as the step knows: true when a list showed it there or
 * the step added it, false when this run, or an earlier run of the same step, read the group's
 * list to the end looking for it (`email` was among those given to resolveMembers; what an
 * earlier run found there is in the step memory) and did not find it, undefined when unknown.
 */
export const inGroup = <Own extends string>(
  run: BulkRun<Own>,
  email: string,
  groupId: string,
): boolean | undefined => {
  if (run.facts.get(email)?.groups.has(groupId)) return true;
  const readEarlier = run.memory?.position(groupId)?.after === null;
  return run.readToEnd.has(groupId) || readEarlier ? false : undefined;
};

/**
 * Whether an email is a member's, as far as the step knows: true when a list or a look-up found
 * the member, false when this run, or an earlier run of the same step, read the site's member
 * list to the end looking for it and did not find it, undefined when unknown.
 */
export const onSite = <Own extends string>(
  run: BulkRun<Own>,
  email: string,
): boolean | undefined => {
  if (run.facts.get(email)?.id !== undefined) return true;
  const readEarlier = run.memory?.position(MEMBER_LIST)?.after === null;
  return run.readToEnd.has(MEMBER_LIST) || readEarlier ? false : undefined;
};
