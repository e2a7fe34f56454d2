import type { DropdownPage } from '../http/pagination';
import type { SotionClient } from '../http/client';
import { errorInfo } from '../http/errors';
import { fetchPage, MAX_PAGE_SIZE } from '../http/pagination';
import { normalizeEmail } from './emails';
import { getMember, members } from './members';
import type { Member, MemberListItem } from './schemas';

/** What Find Member looks for: one of id, email or q, and optional filters. */
export interface MemberCriteria {
  id?: string;
  email?: string;
  q?: string;
  status?: 'active' | 'blocked';
  paid?: boolean;
  verified?: boolean;
}

/** A member found, read by id (with its groups) or from the list (without). */
export type Found =
  { member: Member; hasGroups: true } | { member: MemberListItem; hasGroups: false };

const flag = (value: boolean | undefined) => (value === undefined ? undefined : String(value));

/** True when a member read by id meets every other criterion given. */
export const meetsCriteria = (member: MemberListItem, c: MemberCriteria): boolean => {
  const q = c.q?.toLowerCase();
  return (
    (c.email === undefined || normalizeEmail(member.email) === c.email) &&
    (q === undefined ||
      member.email.toLowerCase().includes(q) ||
      (member.displayName ?? '').toLowerCase().includes(q)) &&
    (c.status === undefined || member.status === c.status) &&
    (c.paid === undefined || member.paid === c.paid) &&
    (c.verified === undefined || member.verified === c.verified)
  );
};

/** How well a member matches search text: 0 (the email itself) to 3 (somewhere inside). */
const closeness = (member: MemberListItem, q: string): number => {
  const email = member.email.toLowerCase();
  const name = (member.displayName ?? '').toLowerCase();
  if (email === q) return 0;
  if (name === q) return 1;
  if (email.startsWith(q) || name.startsWith(q)) return 2;
  return 3;
};

/**
 * Members meeting the criteria, best match first. By id: one GET /members/{id} (which carries
 * the member's groups; a 404 is "no such member"). Otherwise one GET /members with Sotion's own
 * filters: by email one item (emails are unique), by search text one page of 100 ranked here
 * (an exact email, then an exact name, then a prefix, then Sotion's order, newest first).
 */
export const findMembers = async (client: SotionClient, c: MemberCriteria): Promise<Found[]> => {
  if (c.id !== undefined) {
    let member: Member;
    try {
      member = await getMember(client, c.id);
    } catch (error) {
      if (errorInfo(error)?.status === 404) return [];
      throw error;
    }
    return meetsCriteria(member, c) ? [{ member, hasGroups: true }] : [];
  }
  const page = await fetchPage(client, members.list, {
    limit: c.email !== undefined ? 1 : MAX_PAGE_SIZE,
    query: {
      email: c.email,
      q: c.q,
      status: c.status,
      paid: flag(c.paid),
      verified: flag(c.verified),
    },
  });
  // Sotion applies the filters; only the email is checked again (it must be that very one).
  const found = page.items.filter(
    (member) => c.email === undefined || normalizeEmail(member.email) === c.email,
  );
  const q = c.q?.toLowerCase();
  const listed = found.map((member): Found => ({ member, hasGroups: false }));
  if (q === undefined) return listed;
  // Array sort is stable: equally close members keep Sotion's order.
  return listed.sort((a, b) => closeness(a.member, q) - closeness(b.member, q));
};

/**
 * The member with its access groups: a list item costs one GET /members/{id}. Undefined when that
 * read answers 404: the member was deleted after the list named it, so nothing is found.
 */
export const withAccessGroups = async (
  client: SotionClient,
  found: Found,
): Promise<Member | undefined> => {
  if (found.hasGroups) return found.member;
  try {
    return await getMember(client, found.member.id);
  } catch (error) {
    if (errorInfo(error)?.status === 404) return undefined;
    throw error;
  }
};

/**
 * The newest members, newest first: GET /members serves createdAt descending by default
 * (documented), so one page of up to 100 holds them.
 */
export const newestMembers = async (client: SotionClient, max: number): Promise<MemberListItem[]> =>
  (await fetchPage(client, members.list, { limit: Math.min(max, MAX_PAGE_SIZE) })).items;

/** One page of members for a dropdown, and the cursor of the next page (null after the last). */
export const memberChoices = async (
  client: SotionClient,
  after: string | null,
): Promise<DropdownPage<MemberListItem>> => {
  const page = await fetchPage(client, members.list, { after, limit: MAX_PAGE_SIZE });
  return {
    items: page.items,
    nextCursor: page.hasMore ? page.nextCursor : null,
    requestId: page.requestId,
  };
};
