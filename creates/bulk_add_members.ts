import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { bulkInputFields, readBulkInput, type BulkInputSpec } from '../src/bulk/input';
import { ADD_STEP, bulkOutputFields, bulkSample, type BulkOutput } from '../src/bulk/output';
import { BULK_LOCK, failWhenField, runBulkStep } from '../src/bulk/policy';
import { BulkMemory } from '../src/bulk/memory';
import { bulkAddMembers, UPDATE_EXISTING } from '../src/bulk/run';
import { resultsFileOutputFields, resultsFileSample, type ResultsFile } from '../src/files/csv-out';
import { SotionClient } from '../src/http/client';
import { accessGroups, bool, choice, fieldsOf, readInputs } from '../src/zap/fields';

const LIST: BulkInputSpec = { verb: 'add', details: true };

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
  failWhen: failWhenField('added'),
};

const inputFields = defineInputFields([
  ...bulkInputFields(LIST),
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
  const { entries, memoryKey } = await readBulkInput(client, input, LIST, defaultPaid);
  // What an earlier run of this very step (same members, groups and options) confirmed.
  const memory = new BulkMemory(z, 'bulk_add_members', {
    members: memoryKey,
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
    ADD_STEP,
  );
}) satisfies CreatePerform<typeof inputFields, BulkOutput & ResultsFile>;

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
    // Two bulk steps on one site never run at once (src/bulk/policy.ts).
    lock: BULK_LOCK,
    sample: { ...bulkSample, ...resultsFileSample },
    outputFields: [...bulkOutputFields, ...resultsFileOutputFields],
  },
});

export const requests =
  '1 per 500 members + 1 per group (check) + for each existing member a look-up and 1 per ' +
  'group (or the group lists, a page per 100); measured in [performance.md](performance.md)';

export const cannot =
  "Existing members' display names are not changed. More than 25,000 emails need several steps.";
