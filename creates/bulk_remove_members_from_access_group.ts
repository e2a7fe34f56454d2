import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { bulkInputFields, readBulkInput, type BulkInputSpec } from '../src/bulk/input';
import { BulkMemory } from '../src/bulk/memory';
import { stepOutputFields, type StepOutput } from '../src/bulk/output';
import { BULK_LOCK, failWhenField, runBulkStep } from '../src/bulk/policy';
import {
  bulkRemoveMembers,
  REMOVE_REASONS,
  REMOVE_STEP,
  type RemoveStatus,
} from '../src/bulk/remove';
import { resultsFileOutputFields, resultsFileSample, type ResultsFile } from '../src/files/csv-out';
import { SotionClient } from '../src/http/client';
import { accessGroup, fieldsOf, readInputs } from '../src/zap/fields';

const LIST: BulkInputSpec = { verb: 'remove', details: false };
const GROUP = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';

const fields = {
  group: accessGroup({
    key: 'access_group_id',
    label: 'Access Group',
    helpText:
      'The group to remove them from; they stay members of the site. Example: ' +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  failWhen: failWhenField('removed'),
};

const inputFields = defineInputFields([
  ...fieldsOf(fields.group),
  ...bulkInputFields(LIST),
  ...fieldsOf(fields.failWhen),
]);

export type BulkRemoveOutput = StepOutput<RemoveStatus> & ResultsFile;

export const bulkRemoveSample: BulkRemoveOutput = {
  total: 4,
  removedCount: 1,
  notInGroupCount: 1,
  notAMemberCount: 1,
  invalidCount: 1,
  duplicateCount: 0,
  failedCount: 0,
  removedEmails: ['ada@example.com'],
  notInGroupEmails: ['grace@example.com'],
  notAMemberEmails: ['alan@example.com'],
  invalidEmails: ['not-an-email'],
  duplicateEmails: [],
  failedEmails: [],
  accessGroupIds: [GROUP],
  apiRequests: 5,
  resultsOmitted: 0,
  results: [
    {
      email: 'ada@example.com',
      source: 'CSV line 2',
      status: 'removed',
      memberId: '0b7c2e1d-5a4f-4c3b-9e8d-1f2a3b4c5d6e',
      reason: null,
    },
    {
      email: 'grace@example.com',
      source: 'CSV line 3',
      status: 'not_in_group',
      memberId: '8e1d7c6b-2a3f-4e5d-8c9b-0a1b2c3d4e5f',
      reason: REMOVE_REASONS.notInGroup,
    },
    {
      email: 'alan@example.com',
      source: 'CSV line 4',
      status: 'not_a_member',
      memberId: null,
      reason: REMOVE_REASONS.notAMember,
    },
    {
      email: 'not-an-email',
      source: 'CSV line 5',
      status: 'invalid',
      memberId: null,
      reason: 'Not sent: the email has no @.',
    },
  ],
  ...resultsFileSample,
  results_file:
    resultsFileSample.results_file?.replace('bulk_add_members', REMOVE_STEP.key) ?? null,
};

export const perform = (async (z, bundle) => {
  // First: the client refuses an input that carries the API key before anything reads it.
  const client = new SotionClient(z, bundle);
  const input: Record<string, unknown> = bundle.inputData;
  const { group, failWhen } = readInputs(z, input, fields);
  const { entries, memoryKey } = await readBulkInput(client, input, LIST);
  // What an earlier run of this very step (same emails, same group) did.
  const memory = new BulkMemory(z, REMOVE_STEP.key, { emails: memoryKey, groupId: group });
  return runBulkStep(
    z,
    () => bulkRemoveMembers(client, entries, { groupId: group, memory }),
    [group],
    failWhen,
    client,
    REMOVE_STEP,
  );
}) satisfies CreatePerform<typeof inputFields, BulkRemoveOutput>;

export const requests =
  "1 (the group, once per step) + 1 `DELETE` per member in the group. Finding them: the group's " +
  'member list, a page per 100 until every email is found, when it has no more pages than ' +
  "emails; then the site's list (a page per 100) or 1 look-up for each email not in the group. " +
  "Otherwise 1 look-up (or the site's list) + 1 member read per email. 5 members of a " +
  '40-member group + 3 other emails: 8';

export default defineCreate({
  key: 'bulk_remove_members_from_access_group',
  noun: 'Member',
  display: {
    label: 'Bulk Remove Members From Access Group',
    description: 'Removes up to 25,000 members from a custom access group at once.',
  },
  operation: {
    inputFields,
    perform,
    // Two bulk steps on one site never run at once (src/bulk/policy.ts).
    lock: BULK_LOCK,
    sample: { ...bulkRemoveSample },
    outputFields: [...stepOutputFields(REMOVE_STEP), ...resultsFileOutputFields],
  },
});

export const cannot =
  'One access group per step; it never deletes members from the site (Delete Member does).';
