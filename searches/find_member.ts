import { defineInputFields, defineSearch, type SearchPerform } from 'zapier-platform-core';
import { findMembers, withAccessGroups } from '../src/api/member-reads';
import { SotionClient } from '../src/http/client';
import { inputError } from '../src/http/errors';
import {
  bool,
  choice,
  emailField,
  fieldsOf,
  optionalId,
  readInputs,
  text,
} from '../src/zap/fields';
import { memberOutput, memberOutputFields, memberSample } from '../src/zap/samples';

const ONE_OF = 'One of Email, Member ID or Search Text is required.';

const fields = {
  email: emailField({
    key: 'email',
    label: 'Email',
    helpText:
      "The member's email, any case. Find or Create leaves a found member unchanged: for a sale, " +
      'use Create Member with **Update the existing member**. Example: `ada@example.com`.',
  }),
  id: optionalId({
    key: 'member_id',
    label: 'Member ID',
    helpText: `The member's Sotion ID. ${ONE_OF} Example: \`0b7c2e1d-5a4f-4c3b-9e8d-1f2a3b4c5d6e\`.`,
  }),
  q: text({
    key: 'q',
    label: 'Search Text',
    max: 255,
    helpText: `Part of the email or display name, any case; the closest match comes first. ${ONE_OF} Example: \`lovelace\`.`,
  }),
  status: choice({
    key: 'status',
    label: 'Status',
    choices: [
      { value: 'active', label: 'Active' },
      { value: 'blocked', label: 'Blocked' },
    ],
    helpText: 'Only a member with this status; leave empty for any. Example: **Active**.',
  }),
  paid: bool({
    key: 'paid',
    label: 'Paid',
    helpText: 'Only a member with this paid flag; leave empty for any. Example: `true`.',
  }),
  verified: bool({
    key: 'verified',
    label: 'Verified',
    helpText:
      'Only a member who has (true) or has not (false) used a login link; leave empty for any. ' +
      'Example: `true`.',
  }),
  includeGroups: bool({
    key: 'include_access_groups',
    label: 'Include Access Groups',
    default: true,
    helpText:
      "Adds the member's access groups (one more request when found by email or search text); " +
      'false saves it, leaving those fields empty. Example: `true`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

export const perform = (async (z, bundle) => {
  const { includeGroups, ...criteria } = readInputs(z, bundle.inputData, fields);
  if (criteria.id === undefined && criteria.email === undefined && criteria.q === undefined) {
    throw inputError(
      z,
      `Find Member needs something to look for: ${ONE_OF} For example, map the email from the ` +
        'trigger into Email.',
    );
  }
  const client = new SotionClient(z, bundle);
  const [best] = await findMembers(client, criteria);
  if (!best) return [];
  if (!includeGroups) return [memberOutput(best.member)];
  const member = await withAccessGroups(client, best);
  return member ? [memberOutput(member)] : [];
}) satisfies SearchPerform<typeof inputFields>;

export default defineSearch({
  key: 'find_member',
  noun: 'Member',
  display: {
    label: 'Find Member',
    description: 'Finds a member by email, ID or search text.',
  },
  operation: {
    inputFields,
    perform,
    sample: memberSample,
    outputFields: memberOutputFields,
  },
});

export const requests =
  'by ID 1; by email or search text 2 (1 with Include Access Groups off, 1 when nothing is ' +
  'found)';
