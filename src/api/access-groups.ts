import type { SotionClient } from '../http/client';
import type { DropdownPage } from '../http/pagination';
import { endpoint } from '../http/endpoint';
import { userError } from '../http/errors';
import { MAX_PAGE_SIZE, walkPages } from '../http/pagination';
import { AccessGroup, Empty, list, single } from './schemas';

export const MAX_GROUP_NAME = 100;
export const MAX_GROUP_DESCRIPTION = 500;

const SCOPE_GROUP_READ_ONLY =
  'Access group {groupId} is a scope group (managed from a Notion collection), and scope groups ' +
  'are read-only via the API. Choose a custom access group instead.';

/** Access groups (reference §2.2). */
export const accessGroups = {
  list: endpoint('GET /access-groups', list(AccessGroup), { what: 'access groups' }),
  /** 409: the name is taken (and what a resend of a lost create answers). */
  create: endpoint('POST /access-groups', single(AccessGroup), {
    what: 'an access group',
    expect: [409],
    replay: 'conflict',
  }),
  /** 404: no such group on this site. */
  get: endpoint('GET /access-groups/{groupId}', single(AccessGroup), {
    what: 'access group {groupId}',
  }),
  /** 409: another group has the name. */
  update: endpoint('PATCH /access-groups/{groupId}', single(AccessGroup), {
    what: 'access group {groupId}',
    expect: [409],
    forbidden: SCOPE_GROUP_READ_ONLY,
  }),
  /** 404: already deleted (or never on this site). */
  delete: endpoint('DELETE /access-groups/{groupId}', Empty, {
    what: 'access group {groupId}',
    expect: [404],
    forbidden: SCOPE_GROUP_READ_ONLY,
  }),
};

export const getAccessGroup = async (client: SotionClient, groupId: string): Promise<AccessGroup> =>
  (await client.call(accessGroups.get, { params: { groupId } })).data.data;

const time = (group: AccessGroup): number | undefined => {
  if (!group.createdAt) return undefined;
  const ms = Date.parse(group.createdAt);
  return Number.isNaN(ms) ? undefined : ms;
};

/** Newest first: createdAt descending, id as tie-break, groups without createdAt last. */
export const newestFirst = (a: AccessGroup, b: AccessGroup): number => {
  const ta = time(a);
  const tb = time(b);
  if (ta !== tb) {
    if (ta === undefined) return 1;
    if (tb === undefined) return -1;
    return tb - ta;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
};

/**
 * True when a page is plainly served newest first: its createdAt values never increase and at
 * least two differ. A page that cannot show an order (one group, equal or missing timestamps)
 * is not trusted.
 */
export const looksNewestFirst = (groups: AccessGroup[]): boolean => {
  const times = groups.map(time);
  if (times.some((t) => t === undefined)) return false;
  const known = times as number[];
  let distinct = false;
  for (let i = 1; i < known.length; i += 1) {
    const prev = known[i - 1] as number;
    const cur = known[i] as number;
    if (cur > prev) return false;
    if (cur < prev) distinct = true;
  }
  return distinct;
};

export const uniqueById = <T extends { id: string }>(items: T[]): T[] => {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(item.id) ? false : (seen.add(item.id), true)));
};

/**
 * Groups without a createdAt cannot be placed in time, so a poll returns all of them and Zapier's
 * dedupe (by id) picks out the new ones; above this many that answer would grow too large for a
 * poll (about 300 bytes a group) and the poll stops with an error instead of missing groups.
 */
export const MAX_UNDATED_GROUPS = 5_000;

export interface NewestGroupsOptions {
  /** How many to return at most. */
  max: number;
  type?: 'custom' | 'scope';
  /** Stop after the first page whatever the order (editor samples). */
  firstPageOnly?: boolean;
  /** Read every page even when the first is newest first, and when time runs out return what
   * was read instead of failing (dedupe seeding: as many ids as possible). */
  walkAll?: boolean;
  /** Time to keep back for building the output. */
  reserveMs?: number;
}

export interface NewestGroups {
  groups: AccessGroup[];
  pagesRead: number;
  complete: boolean;
}

/**
 * The newest access groups, right whatever order GET /access-groups uses (it is not
 * documented): when Sotion serves newest first, only the pages that hold the newest `max` groups
 * of the wanted type (one page without a type filter); otherwise every page within the run's
 * time, sorted here.
 */
export const newestAccessGroups = async (
  client: SotionClient,
  options: NewestGroupsOptions,
): Promise<NewestGroups> => {
  const read: AccessGroup[] = [];
  let pagesRead = 0;
  let complete = false;
  const reserveMs = options.reserveMs ?? 2_000;
  const wanted = (group: AccessGroup) => !options.type || group.type === options.type;
  let newestFirstOrder = false;
  let matching = 0;
  for await (const page of walkPages(client, accessGroups.list, {
    limit: MAX_PAGE_SIZE,
  })) {
    pagesRead += 1;
    read.push(...page.items);
    matching += page.items.filter(wanted).length;
    if (pagesRead === 1 && !options.walkAll) newestFirstOrder = looksNewestFirst(page.items);
    // Served newest first, the pages read so far hold the newest groups: stop once they include
    // enough of the wanted type (a type filter may need more than one page).
    if (!page.hasMore || options.firstPageOnly || (newestFirstOrder && matching >= options.max)) {
      complete = true;
      break;
    }
    if (client.deadline.remainingMs() < reserveMs) break;
  }
  if (!complete && !options.walkAll) {
    throw userError(
      client.z,
      `Reading Sotion's access groups (${read.length} in ${pagesRead} pages so far${
        newestFirstOrder ? '' : ', and Sotion does not list them newest first'
      }) did not fit in the time Zapier allows. Returning only some would miss the newest ` +
        'groups, so this check stops here and Zapier will try again at the next poll. If it ' +
        'keeps happening, contact the integration maintainers.',
      'deadline',
      {},
    );
  }
  const all = uniqueById(read).filter(wanted).sort(newestFirst);
  // Samples need a few groups, and dedupe seeding every id: neither needs to know which are new.
  if (options.firstPageOnly || options.walkAll) {
    return { groups: all.slice(0, options.max), pagesRead, complete };
  }
  // Groups without createdAt could be the newest or the oldest: a poll returns every one of them
  // (after the newest dated ones) so that none is ever missed.
  const dated = all.filter((group) => time(group) !== undefined);
  const undated = all.filter((group) => time(group) === undefined);
  if (undated.length > MAX_UNDATED_GROUPS) {
    throw userError(
      client.z,
      `Sotion gives no creation time for ${undated.length.toLocaleString('en-US')} of this ` +
        "site's access groups, so this trigger cannot tell which of them are new; it returns " +
        'all of them for Zapier to pick out the new ones, which works for at most ' +
        `${MAX_UNDATED_GROUPS.toLocaleString('en-US')}. Filter by Group Type if that helps, ` +
        "or ask Sotion support to fill in the groups' creation times.",
      'undated_groups',
      {},
    );
  }
  const groups = [...dated.slice(0, options.max), ...undated];
  return { groups, pagesRead, complete };
};

export interface NameMatches {
  /** The group whose name is exactly the one asked for. */
  exact?: AccessGroup;
  /** Groups whose name matches ignoring case and surrounding spaces (only without an exact one). */
  folded: AccessGroup[];
}

/**
 * Groups with this name, optionally of one type. GET /access-groups has no name filter, so this
 * pages through the list, stopping at the first exact match; groups matching ignoring case are
 * collected on the way (Sotion does not say whether names compare case-sensitively).
 */
export const matchAccessGroupsByName = async (
  client: SotionClient,
  name: string,
  type?: AccessGroup['type'],
): Promise<NameMatches> => {
  const folded: AccessGroup[] = [];
  const wanted = name.trim().toLowerCase();
  for await (const page of walkPages(client, accessGroups.list, {})) {
    for (const group of page.items) {
      if (type && group.type !== type) continue;
      if (group.name === name) return { exact: group, folded: [] };
      if (group.name.trim().toLowerCase() === wanted) folded.push(group);
    }
  }
  return { folded: uniqueById(folded) };
};

/** The group with this name: an exact match, else a single case-insensitive one. */
export const findAccessGroupByName = async (
  client: SotionClient,
  name: string,
  type?: AccessGroup['type'],
): Promise<AccessGroup | undefined> => {
  const { exact, folded } = await matchAccessGroupsByName(client, name, type);
  return exact ?? (folded.length === 1 ? folded[0] : undefined);
};

/**
 * One page of custom groups for a dropdown; pages holding only scope groups are skipped.
 * `seen` holds the cursors earlier "Load more" pages followed: a cursor that comes round again
 * stops with the pagination error instead of offering "Load more" for ever. The answer's `seen`
 * adds this call's cursors, for the next page.
 */
export const customGroupChoices = async (
  client: SotionClient,
  after: string | null,
  seen: string[],
): Promise<DropdownPage<AccessGroup>> => {
  const followed: string[] = [];
  let found: DropdownPage<AccessGroup> = { items: [], nextCursor: null, followed };
  for await (const page of walkPages(client, accessGroups.list, {
    after,
    limit: MAX_PAGE_SIZE,
    seenCursors: seen,
  })) {
    found = {
      items: page.items.filter((group) => group.type === 'custom'),
      nextCursor: page.hasMore ? page.nextCursor : null,
      followed,
      requestId: page.requestId,
    };
    if (found.items.length) break;
    if (found.nextCursor) followed.push(found.nextCursor);
  }
  return found;
};

/**
 * The access groups with these ids (lowercase), from GET /access-groups: a page per 100 groups,
 * stopping once every id is found. An id missing from the answer is not among the site's groups
 * (the whole list was read). GET /access-groups/{id} would cost one request per id, and its 404
 * for an unknown id is not documented; the list answers for any number of ids.
 */
export const accessGroupsByIds = async (
  client: SotionClient,
  ids: Iterable<string>,
): Promise<Map<string, AccessGroup>> => {
  const wanted = new Set(ids);
  const found = new Map<string, AccessGroup>();
  if (wanted.size === 0) return found;
  for await (const page of walkPages(client, accessGroups.list, { limit: MAX_PAGE_SIZE })) {
    for (const group of page.items) {
      const id = group.id.toLowerCase();
      if (wanted.has(id)) found.set(id, group);
    }
    if (found.size === wanted.size) break;
  }
  return found;
};
