import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainInputField,
} from 'zapier-platform-core';
import { normalizeEmail } from '../src/api/emails';
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
        "The member's email; `Name <address>` gives a name when Display Name is empty. One line " +
        'item per member. Example: `Ada Lovelace <ada@example.com>`.',
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
      helpText: 'True marks a paying member; empty uses Paid by Default. Example: `true`.',
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
    'Emails to add, separated by commas, semicolons, spaces or new lines; `Name <address>` ' +
    'gives a display name. Example: `ada@example.com, Grace Hopper <grace@example.com>`.',
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
      'Custom access groups to give every member: pick them, or map their IDs. Example: ' +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  addExisting: bool({
    key: 'add_existing_to_groups',
    label: 'Add Existing Members to the Groups',
    default: true,
    helpText:
      'Sotion gives groups only to members it creates; when true (the default), existing members ' +
      'are looked up and put into the chosen groups too. Example: `true`.',
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
      'What happens to members who already exist, such as a returning customer; only differing ' +
      'values are changed. Example: **Set Paid as given**.',
  }),
  failWhen: choice({
    key: 'fail_when',
    label: 'Fail the Step When',
    default: FAIL_WHEN.anyFailed,
    choices: [
      {
        value: FAIL_WHEN.anyFailed,
        label: 'A member could not be added',
      },
      {
        value: FAIL_WHEN.anyProblem,
        label: 'A member could not be added or an email is invalid',
      },
      { value: FAIL_WHEN.never, label: 'Never (report every problem in the output)' },
    ],
    helpText:
      'When the step fails rather than listing problems in its output (running out of time or ' +
      'a revoked key always fails it). Example: **A member could not be added**.',
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
  const memory = new StepMemory(z, 'bulk_add_members', {
    members: entries.map((e) => [normalizeEmail(e.raw), e.displayName ?? null, e.paid ?? null]),
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
    sample: bulkSample,
    outputFields: bulkOutputFields,
  },
});

export const requests =
  '1 per 500 members + 1 per group (check) + for each existing member a look-up and 1 per ' +
  'group (or the group lists, a page per 100); measured in [performance.md](performance.md)';
