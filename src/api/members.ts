import type { SotionClient } from '../http/client';
import { endpoint } from '../http/endpoint';
import { fetchPage } from '../http/pagination';
import { normalizeEmail } from './emails';
import { groupMembers } from './group-members';
import { BulkResponse, Empty, list, LoginLink, Member, MemberListItem, single } from './schemas';

const SCOPE_GROUPS_NOT_GIVEN =
  'One of the chosen access groups is a scope group (managed from a Notion collection); only ' +
  'custom access groups can be given to members through the API. Remove it from the step.';

/** Sotion's documented limit of POST /members/{id}/login-links (reference §1.7). */
export const LOGIN_LINK_LIMITS =
  'Sotion allows 5 login links a minute for one member and 50 a minute for the whole site, ' +
  'emailed or not';

/** The site-wide part of that limit: the runs of a connection take turns on it. */
export const LOGIN_LINK_SITE_LIMIT = { lane: 'login-links', count: 50, perSeconds: 60 };

/**
 * The same limit declared to Zapier for the login-link steps: the identical config without
 * `action` in its scope makes Create Login Link and Send Login Link share one count per
 * connection (one Sotion site key).
 */
export const LOGIN_LINK_THROTTLE = {
  window: LOGIN_LINK_SITE_LIMIT.perSeconds,
  limit: LOGIN_LINK_SITE_LIMIT.count,
  scope: ['auth' as const],
};

/** A 403 on a member write that names no access group: the site's plan or the key's rights. */
const planRefused = (what: string) =>
  `Sotion refused ${what} (HTTP 403), and no scope group was involved: the site's plan may not ` +
  'allow it (for example a limit on the number of members), or the API key may not be allowed ' +
  "to manage members. Check the site's plan, and the key in Site settings → Integrations → API Keys.";

/** For a create that names no access groups, so a 403 cannot be about a scope group. */
export const CREATE_REFUSED_BY_PLAN = planRefused('to create the member {email}');

/**
 * Longest display name sent. Sotion documents no limit; 255 is the usual column size (and the
 * sandbox's), so longer names are refused before sending rather than failing inside a batch.
 */
export const MAX_DISPLAY_NAME = 255;

/** Members (reference §2.4). */
export const members = {
  /** Filters: email (exact), q, status, paid, verified; newest first by default. */
  list: endpoint('GET /members', list(MemberListItem), { what: 'members' }),
  /** 409: the email is taken (and what a resend of a lost create answers). */
  create: endpoint('POST /members', single(Member), {
    what: 'a member',
    expect: [409],
    replay: 'conflict',
    forbidden: SCOPE_GROUPS_NOT_GIVEN,
  }),
  /**
   * Always 207 with an outcome per item. A resend is safe: members a lost first try created come
   * back as "conflict", which the bulk engine treats as existing members.
   */
  bulkCreate: endpoint('POST /members/bulk', BulkResponse, {
    what: 'members in bulk',
    replay: 'safe',
    forbidden: SCOPE_GROUPS_NOT_GIVEN,
  }),
  get: endpoint('GET /members/{memberId}', single(Member), { what: 'member {memberId}' }),
  /** 409: the new email belongs to another member. */
  update: endpoint('PATCH /members/{memberId}', single(Member), {
    what: 'member {memberId}',
    expect: [409],
    forbidden: planRefused('to change member {memberId}'),
  }),
  /** 404: already deleted (or never on this site). */
  delete: endpoint('DELETE /members/{memberId}', Empty, {
    what: 'member {memberId}',
    expect: [404],
    forbidden: planRefused('to delete member {memberId}'),
  }),
  /** Each send makes a new link (and, by default, emails it again). */
  createLoginLink: endpoint('POST /members/{memberId}/login-links', single(LoginLink), {
    what: 'a login link for member {memberId}',
    replay: 'unsafe',
    forbidden:
      'Sotion refused a login link for member {memberId}. Blocked members cannot log in: ' +
      'unblock the member first (Unblock Member), then send the link again.',
    throttled: LOGIN_LINK_LIMITS,
    throttledSays: 'login link',
    siteLimit: LOGIN_LINK_SITE_LIMIT,
  }),
};

/**
 * The member with this email, or undefined: one request (`GET /members?email=`, an exact
 * filter). Only a member whose email really is the one asked for counts.
 */
export const findMemberByEmail = async (
  client: SotionClient,
  email: string,
): Promise<MemberListItem | undefined> => {
  const wanted = normalizeEmail(email);
  const page = await fetchPage(client, members.list, { limit: 1, query: { email: wanted } });
  return page.items.find((member) => normalizeEmail(member.email) === wanted);
};

export const getMember = async (client: SotionClient, memberId: string): Promise<Member> =>
  (await client.call(members.get, { params: { memberId } })).data.data;

/**
 * Puts a member into a group. Returns the member (with its groups) when it was added, or
 * undefined when it was already in the group (409, which counts as success).
 */
export const addMemberToGroup = async (
  client: SotionClient,
  groupId: string,
  memberId: string,
): Promise<Member | undefined> => {
  const outcome = await client.call(groupMembers.add, {
    params: { groupId },
    body: { memberId },
  });
  return outcome.ok ? outcome.data.data : undefined;
};
