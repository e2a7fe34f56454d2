import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainOutputField,
} from 'zapier-platform-core';
import { accessGroups } from '../src/api/access-groups';
import { groupMembers, SCOPE_GROUP_MEMBERS_READ_ONLY } from '../src/api/group-members';
import { getMember } from '../src/api/members';
import type { Member } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';
import { errorInfo, inputError, requestIdSuffix, userError } from '../src/http/errors';
import { accessGroup, fieldsOf, member, readInputs } from '../src/zap/fields';
import { locateMember, memberNotFound } from '../src/zap/resolve';
import { isNotFound } from '../src/zap/step-errors';
import { accessGroupSample, memberSample } from '../src/zap/samples';

export const REASONS = {
  noSuchEmail: 'No member has this email, so it is in no access group.',
  notInGroup: 'The member is not in this access group.',
  leftMeanwhile:
    'The member left this access group while the step ran (another step or the dashboard ' +
    'removed it first).',
} as const;

const fields = {
  group: accessGroup({
    key: 'access_group_id',
    label: 'Access Group',
    helpText: 'The custom access group. Example: `3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  member: member({
    key: 'member',
    label: 'Member',
    helpText:
      "The member's email or member ID. Not in the group, or no member with the email: success " +
      'with Removed: false and the reason. Example: `ada@example.com`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

/**
 * Removed: true only when the member was in the group. Sotion may answer 204 to a DELETE for a
 * member who is not in the group (undocumented), so the member's record (which lists its groups)
 * is read first: by ID that is 2 requests (the read, then the DELETE or the group's read), by
 * email 3 (the look-up first); no member with the email is 1, and an unknown member ID is an
 * error after 1.
 */
export const perform = (async (z, bundle) => {
  const { group, member: ref } = readInputs(z, bundle.inputData, fields);
  if ('id' in ref && ref.id === group) {
    throw inputError(
      z,
      `Member holds the ID of the access group (${group}), not a member's. Map the member's ` +
        'email or member ID into Member.',
    );
  }
  const client = new SotionClient(z, bundle);
  const output = (memberId: string | null, email: string | null, reason: string | null) => ({
    memberId,
    email,
    accessGroupId: group,
    removed: reason === null,
    reason,
  });
  const given = 'email' in ref ? ref.email : null;
  const located = await locateMember(client, ref);
  if (!located) return output(null, given, REASONS.noSuchEmail);
  let found: Member;
  try {
    found = await getMember(client, located.id);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    // Found by email a moment ago: deleted since, so it is in no group.
    if (located.record) return output(null, given, REASONS.noSuchEmail);
    throw memberNotFound(
      z,
      ref,
      'Member',
      "Map a member ID of this site (not an access group's ID or another site's member), or " +
        "the member's email.",
      errorInfo(error)?.requestId,
    );
  }
  if (!found.accessGroups.some((g) => g.id.toLowerCase() === group)) {
    // Not in it, or no such group: only the latter is the Zap's mistake (an error).
    const read = await client.call(accessGroups.get, { params: { groupId: group } });
    if (read.data.data.type === 'scope') {
      throw userError(
        z,
        SCOPE_GROUP_MEMBERS_READ_ONLY.replace('{groupId}', group) + requestIdSuffix(read.requestId),
        'forbidden',
        { status: 403, requestId: read.requestId },
      );
    }
    return output(found.id, found.email, REASONS.notInGroup);
  }
  const outcome = await client.call(groupMembers.remove, {
    params: { groupId: group, memberId: found.id },
  });
  return output(found.id, found.email, outcome.ok ? null : REASONS.leftMeanwhile);
}) satisfies CreatePerform<typeof inputFields>;

/** Remove Member From Access Group. */
export const removedMemberSample = {
  memberId: memberSample.id as string | null,
  email: memberSample.email as string | null,
  accessGroupId: accessGroupSample.id,
  removed: true,
  reason: null as string | null,
};

export const removedMemberOutputFields = [
  { key: 'memberId', label: 'Member ID', type: 'string' },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'accessGroupId', label: 'Access Group ID', type: 'string', required: true },
  { key: 'removed', label: 'Removed', type: 'boolean', required: true },
  { key: 'reason', label: 'Reason Not Removed', type: 'string' },
] satisfies PlainOutputField[];

export default defineCreate({
  key: 'remove_member_from_access_group',
  noun: 'Member',
  display: {
    label: 'Remove Member From Access Group',
    description: 'Removes a member from a custom access group.',
  },
  operation: {
    inputFields,
    perform,
    sample: removedMemberSample,
    outputFields: removedMemberOutputFields,
  },
});

export const requests =
  'by ID 2; by email 3 (1 when no member has the email); an unknown member ID: an error after ' +
  '1';
