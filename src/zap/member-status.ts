import { defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { SotionClient } from '../http/client';
import { fieldsOf, member, readInputs } from './fields';
import { setMemberStatus } from './members';
import {
  memberOutput,
  statusChangedMemberOutputFields,
  statusChangedMemberSample,
} from './samples';

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
