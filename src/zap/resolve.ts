import type { ZObject } from 'zapier-platform-core';
import type { SotionClient } from '../http/client';
import { requestIdSuffix, userError } from '../http/errors';
import { findMemberByEmail, getMember } from '../api/members';
import type { Member, MemberListItem } from '../api/schemas';
import type { MemberRef } from './fields';
import { isNotFound } from './step-errors';

/** Member resolution: the member a step names (by ID or email), found or named as missing. */

/** The member a step names: its id, and its list-form record when the step gave an email. */
export interface Located {
  id: string;
  email: string | null;
  /** Present when an email was looked up (the list form: no access groups). */
  record?: MemberListItem;
}

/** An id costs nothing; an email one look-up (undefined when no member has it). */
export const locateMember = async (
  client: SotionClient,
  ref: MemberRef,
): Promise<Located | undefined> => {
  if ('id' in ref) return { id: ref.id, email: null };
  const record = await findMemberByEmail(client, ref.email);
  return record ? { id: record.id, email: record.email, record } : undefined;
};

/** The error of a member step whose member does not exist. */
export const memberNotFound = (
  z: ZObject,
  ref: MemberRef,
  label: string,
  advice: string,
  requestId?: string,
): Error =>
  userError(
    z,
    `${'id' in ref ? `No member with the ID ${ref.id}` : `No member with the email ${ref.email}`} ` +
      `(from ${label}) exists on this Sotion site. ${advice}${requestIdSuffix(requestId)}`,
    'member_not_found',
    { status: 404, requestId },
  );

/** As `locateMember`, but a missing member is an error that names it. */
export const requireMember = async (
  client: SotionClient,
  ref: MemberRef,
  label: string,
): Promise<Located> => {
  const found = await locateMember(client, ref);
  if (found) return found;
  throw memberNotFound(
    client.z,
    ref,
    label,
    'Check the email, or add the member first (Create Member).',
  );
};

/** GET /members/{id} (with access groups), or undefined when Sotion has no such member. */
export const memberOrNothing = async (
  client: SotionClient,
  memberId: string,
): Promise<Member | undefined> => {
  try {
    return await getMember(client, memberId);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
};

/**
 * The member id a step names: an id as it is (no request), an email after one look-up; undefined
 * when no member has that email.
 */
export const findMemberId = async (
  client: SotionClient,
  ref: MemberRef,
): Promise<string | undefined> => (await locateMember(client, ref))?.id;

/** As `findMemberId`, but a missing member is an error that names the email. */
export const resolveMemberId = async (
  client: SotionClient,
  ref: MemberRef,
  label: string,
): Promise<string> => (await requireMember(client, ref, label)).id;
