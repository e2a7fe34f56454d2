import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainInputField,
} from 'zapier-platform-core';
import { collectEntries } from '../src/bulk/entries';
import { bulkOutputFields, bulkSample, type BulkOutput } from '../src/bulk/output';
import { FAIL_WHEN, runBulkStep } from '../src/bulk/policy';
import { StepMemory } from '../src/bulk/memory';
import { bulkAddMembers, MAX_MEMBERS_PER_STEP, UPDATE_EXISTING } from '../src/bulk/run';
import { SotionClient } from '../src/http/client';
import { inputError } from '../src/http/errors';
import { accessGroups, bool, choice, fieldsOf, readInputs } from '../src/zap/fields';

const membersField = {
  key: 'members',
  label: 'Members',
  children: [
    {
      key: 'email',
      label: 'Email',
      type: 'string',
      helpText:
        "The member's email, for example `ada@example.com` or `Ada Lovelace <ada@example.com>` " +
        '(the name is used when Display Name is empty). One line item per member; fill in Members, ' +
        'Emails, or both: at least one is required.',
    },
    {
      key: 'display_name',
      label: 'Display Name',
      type: 'string',
      helpText:
        'Optional name shown for the member, at most 255 characters, for example `Ada Lovelace`.',
    },
    {
      key: 'paid',
      label: 'Paid',
      type: 'boolean',
      helpText: 'Optional: `true` marks a paying member. Empty uses "Paid by Default".',
    },
  ],
} satisfies PlainInputField;

const emailsField = {
  key: 'emails',
  label: 'Emails',
  type: 'text',
  list: true,
  required: false,
  helpText:
    'Emails to add, one per entry, or several in one entry separated by commas, semicolons, ' +
    'spaces or new lines; `Name <address>` gives the member that display name. Example: ' +
    '`ada@example.com, Grace Hopper <grace@example.com>`. Fill in Members, ' +
    'Emails, or both: at least one is required.',
} satisfies PlainInputField;

const fields = {
  defaultPaid: bool({
    key: 'default_paid',
    label: 'Paid by Default',
    helpText:
      'Marks new members as paying unless their line item says otherwise. Example: `true` for a ' +
      'Gumroad sale. Empty leaves them unpaid.',
  }),
  groupIds: accessGroups({
    key: 'access_group_ids',
    label: 'Access Groups',
    helpText:
      'Custom access groups to give every member: pick them from the dropdown, or map their IDs ' +
      '(such as `3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`).',
  }),
  addExisting: bool({
    key: 'add_existing_to_groups',
    label: 'Add Existing Members to the Groups',
    default: true,
    helpText:
      'Sotion gives groups only to the members it creates. When this is `true` (the default), ' +
      'members who already exist are looked up by email and put into the chosen groups too.',
  }),
  updateExisting: choice({
    key: 'update_existing',
    label: 'Update Existing Members',
    default: UPDATE_EXISTING.leave,
    choices: [
      { value: UPDATE_EXISTING.leave, label: 'Leave them as they are' },
      { value: UPDATE_EXISTING.paid, label: 'Set Paid as given' },
      { value: UPDATE_EXISTING.paidAndUnblock, label: 'Set Paid as given and unblock them' },
    ],
    helpText:
      'What happens to members who already exist, for example a returning customer: ' +
      '`set_paid` sets their Paid flag to the line item\'s Paid (or "Paid by Default"), ' +
      '`set_paid_and_unblock` also unblocks blocked members. Only members whose values differ ' +
      'are changed. Example: `set_paid`.',
  }),
  failWhen: choice({
    key: 'fail_when',
    label: 'Fail the Step When',
    default: FAIL_WHEN.anyFailed,
    choices: [
      {
        value: FAIL_WHEN.anyFailed,
        label: 'A member could not be added (invalid emails are only reported)',
      },
      {
        value: FAIL_WHEN.anyProblem,
        label: 'A member could not be added or an email is invalid',
      },
      { value: FAIL_WHEN.never, label: 'Never: report every problem in the output' },
    ],
    helpText:
      'When the step should fail rather than succeed with problems listed in its output. Work ' +
      'that could not be done in time, or a stop such as a revoked key, always fails the step. ' +
      'Example: `any_failed`.',
  }),
};

const inputFields = defineInputFields([
  membersField,
  emailsField,
  ...fieldsOf(
    fields.defaultPaid,
    fields.groupIds,
    fields.addExisting,
    fields.updateExisting,
    fields.failWhen,
  ),
]);

export const perform = (async (z, bundle) => {
  // First: the client refuses an input that carries the API key before anything reads it.
  const client = new SotionClient(z, bundle);
  const input: Record<string, unknown> = bundle.inputData;
  const { defaultPaid, groupIds, addExisting, updateExisting, failWhen } = readInputs(
    z,
    input,
    fields,
  );
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
  // What an earlier run of this very step (same members, groups and options) confirmed.
  const memory = new StepMemory(z, {
    members: entries.map((e) => [
      e.raw.trim().toLowerCase(),
      e.displayName ?? null,
      e.paid ?? null,
    ]),
    groupIds: [...groupIds].sort(),
    addExisting,
    updateExisting,
  });
  return runBulkStep(
    z,
    () =>
      bulkAddMembers(client, entries, {
        groupIds,
        addExistingToGroups: addExisting,
        updateExisting,
        memory,
      }),
    groupIds,
    failWhen,
    client,
  );
}) satisfies CreatePerform<typeof inputFields, BulkOutput>;

export default defineCreate({
  key: 'bulk_add_members',
  noun: 'Member',
  display: {
    label: 'Bulk Add Members',
    description: 'Adds up to 25,000 members at once, optionally into access groups.',
  },
  operation: {
    inputFields,
    perform,
    // Two imports on one site never run at once: Zapier holds the second until the first ends
    // (or 180 s pass). Per connection; it cannot be exercised locally.
    lock: { key: 'bulk_add_members', scope: ['auth'], timeout: 180 },
    sample: bulkSample,
    outputFields: bulkOutputFields,
  },
});
