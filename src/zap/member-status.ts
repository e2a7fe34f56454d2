import { defineInputFields, type CreatePerform, type PlainOutputField } from 'zapier-platform-core';
import { getMember, members } from '../api/members';
import type { Member } from '../api/schemas';
import { SotionClient } from '../http/client';
import { fieldsOf, member, readInputs, type MemberRef } from './fields';
import { memberNotFound, memberOrNothing, requireMember } from './resolve';
import { memberOutput, memberOutputFields, memberSample } from './samples';
import { unexpected } from './step-errors';

/** Sets a member's status: one read to know the state (a list record already is one), then a
 * PATCH only when it differs. */
export const setMemberStatus = async (
  client: SotionClient,
  ref: MemberRef,
  label: string,
  status: 'active' | 'blocked',
): Promise<{ member: Member; changed: boolean }> => {
  const located = await requireMember(client, ref, label);
  if (located.record) {
    // Looked up by email: the list form says the status, but has no access groups.
    if (located.record.status === status) {
      return { member: await getMember(client, located.id), changed: false };
    }
  } else {
    const member = await memberOrNothing(client, located.id);
    if (!member) throw memberNotFound(client.z, ref, label, 'Check the ID or pick the member.');
    if (member.status === status) return { member, changed: false };
  }
  const outcome = await client.call(members.update, {
    params: { memberId: located.id },
    body: { status },
  });
  // members.update expects only a 409 (email taken), which a status change cannot cause.
  if (!outcome.ok) throw unexpected(client.z, outcome.status, outcome.requestId);
  return { member: outcome.data.data, changed: true };
};

/** Block Member / Unblock Member. */
export const statusChangedMemberSample = { ...memberSample, changed: true };

export const statusChangedMemberOutputFields = [
  ...memberOutputFields,
  { key: 'changed', label: 'Changed', type: 'boolean', required: true },
] satisfies PlainOutputField[];

/** Block Member and Unblock Member: one step each, the same perform with the target status. */
export const memberStatusStep = (status: 'active' | 'blocked') => {
  const verb = status === 'blocked' ? 'block' : 'unblock';
  const fields = {
    member: member({
      key: 'member',
      label: 'Member',
      helpText:
        `The member to ${verb}: email or Sotion member ID. A member already ` +
        `${status === 'blocked' ? 'blocked' : 'active'} is left as is (Changed: false). ` +
        'Example: `ada@example.com`.',
    }),
  };
  const inputFields = defineInputFields(fieldsOf(fields.member));
  const perform = (async (z, bundle) => {
    const { member: ref } = readInputs(z, bundle.inputData, fields);
    const { member: saved, changed } = await setMemberStatus(
      new SotionClient(z, bundle),
      ref,
      'Member',
      status,
    );
    return { ...memberOutput(saved), changed };
  }) satisfies CreatePerform<typeof inputFields>;
  return {
    inputFields,
    perform,
    sample: statusChangedMemberSample,
    outputFields: statusChangedMemberOutputFields,
  };
};
