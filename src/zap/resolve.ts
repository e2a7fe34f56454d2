import type { SotionClient } from '../http/client';
import { userError } from '../http/errors';
import { findMemberByEmail } from '../api/members';
import type { MemberRef } from './fields';

/**
 * The member id a step names: an id as it is (no request), an email after one look-up; undefined
 * when no member has that email.
 */
export const findMemberId = async (
  client: SotionClient,
  ref: MemberRef,
): Promise<string | undefined> =>
  'id' in ref ? ref.id : (await findMemberByEmail(client, ref.email))?.id;

/** As `findMemberId`, but a missing member is an error that names the email. */
export const resolveMemberId = async (
  client: SotionClient,
  ref: MemberRef,
  label: string,
): Promise<string> => {
  const id = await findMemberId(client, ref);
  if (id !== undefined) return id;
  const email = 'email' in ref ? ref.email : ref.id;
  throw userError(
    client.z,
    `No member with the email ${email} (from ${label}) exists on this Sotion site. Check the ` +
      'email, or add the member first (Create Member).',
    'member_not_found',
    { status: 404, transient: false },
  );
};
