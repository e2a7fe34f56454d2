import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { bulkAddMembers, collectEntries, MAX_MEMBERS_PER_STEP } from '../src/bulk';
import {
  bulkOutputFields,
  bulkSample,
  FAIL_WHEN,
  runBulkStep,
  type BulkOutput,
  type FailWhen,
} from '../src/bulk-output';
import { SotionClient } from '../src/client';
import { inputError } from '../src/errors';
import { toBool, toIds, toText } from '../src/input';

const inputFields = defineInputFields([
  {
    key: 'members',
    label: 'Members',
    children: [
      {
        key: 'email',
        label: 'Email',
        type: 'string',
        helpText: "The member's email, for example `ada@example.com`.",
      },
      {
        key: 'display_name',
        label: 'Display Name',
        type: 'string',
        helpText: 'Optional name shown for the member, for example `Ada Lovelace`.',
      },
      {
        key: 'paid',
        label: 'Paid',
        type: 'boolean',
        helpText: 'Optional: `true` marks a paying member. Empty uses "Paid by Default".',
      },
    ],
  },
  {
    key: 'emails',
    label: 'Emails',
    type: 'text',
    list: true,
    required: false,
    helpText:
      'Emails to add, one per entry, or several in one entry separated by commas, semicolons, ' +
      'spaces or new lines. Example: `ada@example.com, grace@example.com`. Usable together ' +
      'with Members line items.',
  },
  {
    key: 'default_paid',
    label: 'Paid by Default',
    type: 'boolean',
    required: false,
    helpText:
      'Marks new members as paying unless their line item says otherwise. Example: `true` for a ' +
      'Gumroad sale. Empty leaves them unpaid.',
  },
  {
    key: 'access_group_ids',
    label: 'Access Groups',
    type: 'string',
    list: true,
    required: false,
    dynamic: 'custom_access_group_choices.id.name',
    helpText:
      'Custom access groups to give every member, for example `Premium Members`. Scope groups ' +
      '(from Notion collections) cannot be given through the API and are not listed.',
  },
  {
    key: 'add_existing_to_groups',
    label: 'Add Existing Members to the Groups',
    type: 'boolean',
    required: false,
    default: 'true',
    helpText:
      'Sotion gives groups only to the members it creates. When this is `true` (the default), ' +
      'members who already exist are looked up by email and put into the chosen groups too.',
  },
  {
    key: 'fail_when',
    label: 'Fail the Step When',
    type: 'string',
    required: false,
    default: FAIL_WHEN.anyFailed,
    choices: [
      {
        value: FAIL_WHEN.anyFailed,
        sample: FAIL_WHEN.anyFailed,
        label: 'A member could not be added (invalid emails are only reported)',
      },
      {
        value: FAIL_WHEN.anyProblem,
        sample: FAIL_WHEN.anyProblem,
        label: 'A member could not be added or an email is invalid',
      },
      {
        value: FAIL_WHEN.never,
        sample: FAIL_WHEN.never,
        label: 'Never: report every problem in the output',
      },
    ],
    helpText:
      'When the step should fail rather than succeed with problems listed in its output. Work ' +
      'that could not be done in time, or a stop such as a revoked key, always fails the step. ' +
      'Example: `any_failed`.',
  },
]);

export const perform = (async (z, bundle) => {
  const input = bundle.inputData;
  const defaultPaid = toBool(z, input.default_paid, 'Paid by Default');
  const addExisting = toBool(z, input.add_existing_to_groups, 'Add Existing Members to the Groups');
  const failWhen = (toText(z, input.fail_when, 'Fail the Step When') ??
    FAIL_WHEN.anyFailed) as FailWhen;
  if (!Object.values(FAIL_WHEN).includes(failWhen)) {
    throw inputError(
      z,
      `Fail the Step When must be one of ${Object.values(FAIL_WHEN).join(', ')}; it was "${failWhen}".`,
    );
  }
  const groupIds = toIds(z, input.access_group_ids, 'Access Groups');
  const entries = collectEntries(z, input.members, input.emails, defaultPaid);
  if (entries.length === 0) {
    throw inputError(
      z,
      'No members to add: fill in Members line items or Emails, for example `ada@example.com`.',
    );
  }
  if (entries.length > MAX_MEMBERS_PER_STEP) {
    throw inputError(
      z,
      `This step got ${entries.length.toLocaleString('en-US')} emails; one step takes at most ` +
        `${MAX_MEMBERS_PER_STEP.toLocaleString('en-US')} so that it finishes within Zapier's 30 ` +
        'seconds. Split the list across several runs (for example with Looping by Zapier).',
    );
  }
  const client = new SotionClient(z, bundle);
  return runBulkStep(
    z,
    () => bulkAddMembers(client, entries, { groupIds, addExistingToGroups: addExisting ?? true }),
    groupIds,
    failWhen,
  );
}) satisfies CreatePerform<typeof inputFields, BulkOutput>;

export default defineCreate({
  key: 'bulk_add_members',
  noun: 'Members',
  display: {
    label: 'Bulk Add Members',
    description:
      'Adds many members at once (any number up to 25,000), optionally into access groups, and reports what happened to each email.',
  },
  operation: {
    inputFields,
    perform,
    sample: bulkSample,
    outputFields: bulkOutputFields,
  },
});
