import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { getAccessGroup } from '../src/api/access-groups';
import { groupMembers } from '../src/api/group-members';
import { SotionClient } from '../src/http/client';
import { accessGroup, fieldsOf, member, readInputs } from '../src/zap/fields';
import { locateMember, memberOrNothing } from '../src/zap/members';
import { removedMemberOutputFields, removedMemberSample } from '../src/zap/samples';

export const REASONS = {
  noSuchEmail: 'No member has this email, so it is in no access group.',
  noSuchMember: 'No member has this ID (it may have been deleted), so it is in no access group.',
  notInGroup: 'The member is not in this access group.',
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
      "The member's email or Sotion member ID. The member stays on the site and in its other " +
      'groups. A member not in the group, or no such member, is success with Removed: false and ' +
      'the reason, so a cancellation never fails because access was already gone. Example: ' +
      '`ada@example.com`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

export const perform = (async (z, bundle) => {
  const { group, member: ref } = readInputs(z, bundle.inputData, fields);
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
  const outcome = await client.call(groupMembers.remove, {
    params: { groupId: group, memberId: located.id },
  });
  if (outcome.ok) return output(located.id, located.email, null);
  // 404: the member is not in the group, or there is no such member, or no such group. Only the
  // last is the Zap's mistake (an error, from reading the group); it costs reads only here.
  const found = located.record ?? (await memberOrNothing(client, located.id));
  if (!found) return output(located.id, located.email, REASONS.noSuchMember);
  await getAccessGroup(client, group);
  return output(located.id, found.email, REASONS.notInGroup);
}) satisfies CreatePerform<typeof inputFields>;

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
