import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainOutputField,
} from 'zapier-platform-core';
import { members } from '../src/api/members';
import { SotionClient } from '../src/http/client';
import { fieldsOf, member, readInputs, IF_NOT_FOUND, ifNotFound } from '../src/zap/fields';
import { locateMember, memberNotFound } from '../src/zap/resolve';
import { memberSample } from '../src/zap/samples';

const fields = {
  member: member({
    key: 'member',
    label: 'Member',
    helpText:
      'The member to delete **permanently**, with its group memberships (to take access away ' +
      'and keep the member, use Block Member). Email or member ID. Example: `ada@example.com`.',
  }),
  ifNotFound: ifNotFound('member'),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

export const perform = (async (z, bundle) => {
  const { member: ref, ifNotFound } = readInputs(z, bundle.inputData, fields);
  const client = new SotionClient(z, bundle);
  const email = 'email' in ref ? ref.email : null;
  const notFound = (requestId?: string) => {
    if (ifNotFound === IF_NOT_FOUND.succeed) {
      return { id: 'id' in ref ? ref.id : null, email, deleted: false };
    }
    throw memberNotFound(
      z,
      ref,
      'Member',
      'If an earlier run (or a replay) deleted it, set "If Not Found" to ' +
        `"${fields.ifNotFound.labelOf(IF_NOT_FOUND.succeed)}".`,
      requestId,
    );
  };
  const located = await locateMember(client, ref);
  if (!located) return notFound();
  const outcome = await client.call(members.delete, { params: { memberId: located.id } });
  if (!outcome.ok) return notFound(outcome.requestId);
  return { id: located.id, email: located.email, deleted: true };
}) satisfies CreatePerform<typeof inputFields>;

/** Delete Member: the member is gone, so only what the step knew of it. */
export const deletedMemberSample = {
  id: memberSample.id,
  email: memberSample.email as string | null,
  deleted: true,
};

export const deletedMemberOutputFields = [
  { key: 'id', label: 'Member ID', type: 'string' },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'deleted', label: 'Deleted', type: 'boolean', required: true },
] satisfies PlainOutputField[];

export default defineCreate({
  key: 'delete_member',
  noun: 'Member',
  display: {
    label: 'Delete Member',
    description: 'Permanently deletes a member and its group memberships.',
  },
  operation: {
    inputFields,
    perform,
    sample: deletedMemberSample,
    outputFields: deletedMemberOutputFields,
  },
});

export const requests = 'by ID 1; by email 2';
