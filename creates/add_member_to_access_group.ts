import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainOutputField,
} from 'zapier-platform-core';
import {
  addMemberToGroup,
  findMemberByEmail,
  getMember,
  MAX_DISPLAY_NAME,
  members,
} from '../src/api/members';
import type { Member } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';
import { inputError } from '../src/http/errors';
import { accessGroup, bool, choice, fieldsOf, member, readInputs, text } from '../src/zap/fields';
import { locateMember, memberNotFound } from '../src/zap/resolve';
import { memberOutput, memberOutputFields, memberSample } from '../src/zap/samples';

export const IF_MISSING = { error: 'error', create: 'create' } as const;

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
      "The member's email or Sotion member ID. A member already in the group is success " +
      '(Already in Group: true). Example: `ada@example.com`.',
  }),
  ifMissing: choice({
    key: 'if_member_missing',
    label: "If the Member Doesn't Exist",
    default: IF_MISSING.error,
    choices: [
      { value: IF_MISSING.error, label: 'Stop with an error' },
      { value: IF_MISSING.create, label: 'Create the member in the group' },
    ],
    helpText:
      'When no member has the email in Member: **Create the member in the group** makes it, with ' +
      'Paid and Display Name below. Example: **Create the member in the group**.',
  }),
  paid: bool({
    key: 'paid',
    label: 'Paid',
    helpText: 'Only for a member this step creates: the paying-customer flag. Example: `true`.',
  }),
  displayName: text({
    key: 'display_name',
    label: 'Display Name',
    max: MAX_DISPLAY_NAME,
    helpText: 'Only for a member this step creates. Example: `Ada Lovelace`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

const result = (member: Member, alreadyInGroup: boolean, memberCreated: boolean) => ({
  ...memberOutput(member),
  alreadyInGroup,
  memberCreated,
});

export const perform = (async (z, bundle) => {
  const values = readInputs(z, bundle.inputData, fields);
  const { group, member: ref, ifMissing } = values;
  const create = ifMissing === IF_MISSING.create;
  if (!create && (values.paid !== undefined || values.displayName !== undefined)) {
    throw inputError(
      z,
      'Paid and Display Name are used only when the step creates the member: set "If the ' +
        `Member Doesn't Exist" to "${fields.ifMissing.labelOf(IF_MISSING.create)}", or leave ` +
        'them empty (use Update Member to change them).',
    );
  }
  const client = new SotionClient(z, bundle);
  let located = await locateMember(client, ref);
  if (!located && create && 'email' in ref) {
    const outcome = await client.call(members.create, {
      body: {
        email: ref.email,
        ...(values.displayName !== undefined ? { displayName: values.displayName } : {}),
        ...(values.paid !== undefined ? { paid: values.paid } : {}),
        accessGroupIds: [group],
      },
      // A 409 here means the member appeared since the look-up (or a lost first try made it).
      acceptsConflict: true,
    });
    if (outcome.ok) return result(outcome.data.data, false, true);
    const appeared = await findMemberByEmail(client, ref.email);
    located = appeared && { id: appeared.id, email: appeared.email };
  }
  if (!located) {
    // Only an email can be missing here: an id is sent as it is (Sotion answers 404 for it).
    throw memberNotFound(
      z,
      ref,
      'Member',
      `Check the email, or set "If the Member Doesn't Exist" to ` +
        `"${fields.ifMissing.labelOf(IF_MISSING.create)}".`,
    );
  }
  const added = await addMemberToGroup(client, group, located.id);
  if (added) return result(added, false, false);
  // 409: already in the group. Its answer has no member: the look-up's record serves (2 requests
  // by email), naming the one group known; a member given by ID is read (2 requests).
  if (located.record) {
    return result(
      { ...located.record, accessGroups: [{ id: group, name: undefined }] },
      true,
      false,
    );
  }
  return result(await getMember(client, located.id), true, false);
}) satisfies CreatePerform<typeof inputFields>;

/** Add Member to Access Group. */
export const groupAddedMemberSample = {
  ...memberSample,
  alreadyInGroup: false,
  memberCreated: false,
};

export const groupAddedMemberOutputFields = [
  ...memberOutputFields,
  { key: 'alreadyInGroup', label: 'Already in Group', type: 'boolean', required: true },
  { key: 'memberCreated', label: 'Member Created', type: 'boolean', required: true },
] satisfies PlainOutputField[];

export default defineCreate({
  key: 'add_member_to_access_group',
  noun: 'Member',
  display: {
    label: 'Add Member to Access Group',
    description: 'Adds a member to a custom access group.',
  },
  operation: {
    inputFields,
    perform,
    sample: groupAddedMemberSample,
    outputFields: groupAddedMemberOutputFields,
  },
});

export const requests =
  'by ID 1 (2 when already in the group); by email 2 (also when already in the group); with ' +
  '"Create the member in the group" for a new email 2';
