import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { bulkInputFields, readBulkInput, type BulkInputSpec } from '../src/bulk/input';
import { BulkMemory } from '../src/bulk/memory';
import { stepOutputFields, type StepOutput } from '../src/bulk/output';
import { BULK_LOCK, failWhenField, runBulkStep } from '../src/bulk/policy';
import {
  NOT_IN_LIST,
  SYNC_STEP,
  syncGroupMembers,
  type SyncReport,
  type SyncStatus,
} from '../src/bulk/sync';
import { resultsFileOutputFields, resultsFileSample, type ResultsFile } from '../src/files/csv-out';
import { SotionClient } from '../src/http/client';
import { inputError, shorten } from '../src/http/errors';
import { accessGroup, bool, fieldsOf, readInputs, type FieldSpec } from '../src/zap/fields';
import { toText } from '../src/zap/input';

/** The list: addresses only (a sync names and pays nobody). */
const LIST: BulkInputSpec = { verb: 'sync', details: false };

/** Max Removals: a whole number of members, 0 or more; empty is the default. */
const maxRemovals: FieldSpec<number | undefined> = {
  field: {
    key: 'max_removals',
    label: 'Max Removals',
    type: 'integer',
    required: false,
    helpText:
      'The most members one sync may remove when Remove Others is on; a sync that would remove ' +
      'more stops before any change. Empty: 10% of the group, at least 10. `0` forbids ' +
      'removals. Example: `50`.',
  },
  read(z, value) {
    const text = toText(z, value, 'Max Removals');
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) {
      throw inputError(
        z,
        `Max Removals must be a whole number of members, 0 or more, such as 50; it was ` +
          `"${shorten(text)}". Leave it empty for 10% of the group (at least 10).`,
      );
    }
    return Number.parseInt(text, 10);
  },
};

const fields = {
  groupId: accessGroup({
    key: 'access_group_id',
    label: 'Access Group',
    helpText:
      'The group whose members become the list. Pick it, or map its ID. Example: ' +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  createMissing: bool({
    key: 'create_missing_members',
    label: 'Create Missing Members',
    default: true,
    helpText:
      'Emails of the list that are not members yet are created, straight into the group. ' +
      '`false` leaves them out and lists them as not members. Example: `true`.',
  }),
  removeOthers: bool({
    key: 'remove_others',
    label: 'Remove Others',
    default: true,
    helpText:
      "Removes the group's members who are not in the list (up to Max Removals); they stay " +
      'members of the site. `false` only adds. Example: `true`.',
  }),
  maxRemovals,
  dryRun: bool({
    key: 'dry_run',
    label: 'Dry Run',
    default: false,
    helpText:
      '`true` reads the group and the list and reports what a sync would do, email by email, ' +
      'without changing anything. Example: `true` the first time.',
  }),
  failWhen: failWhenField('synced'),
};

const inputFields = defineInputFields([
  ...fieldsOf(fields.groupId),
  ...bulkInputFields(LIST),
  ...fieldsOf(
    fields.createMissing,
    fields.removeOthers,
    fields.maxRemovals,
    fields.dryRun,
    fields.failWhen,
  ),
]);

export type SyncOutput = StepOutput<SyncStatus> &
  ResultsFile & {
    /** Nothing was changed: the outcomes are what a real run would do. */
    dryRun: boolean;
    /** The removal guard this run applied (Max Removals, or its default). */
    maxRemovals: number;
  };

export const perform = (async (z, bundle) => {
  // First: the client refuses an input that carries the API key before anything reads it.
  const client = new SotionClient(z, bundle);
  const { failWhen, ...options } = readInputs(z, bundle.inputData, fields);
  const list = await readBulkInput(client, bundle.inputData, LIST);
  // What an earlier run of this very step (same list, group and options) did.
  const memory = new BulkMemory(z, SYNC_STEP.key, { members: list.memoryKey, ...options });
  let maxRemovals = 0;
  const out = await runBulkStep(
    z,
    async (): Promise<SyncReport> => {
      const report = await syncGroupMembers(client, list.entries, { ...options, memory });
      maxRemovals = report.maxRemovals;
      return report;
    },
    [options.groupId],
    failWhen,
    client,
    SYNC_STEP,
  );
  return { ...out, dryRun: options.dryRun, maxRemovals };
}) satisfies CreatePerform<typeof inputFields, SyncOutput>;

const GROUP = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';

export const syncSample: SyncOutput = {
  total: 3,
  unchangedCount: 1,
  addedCount: 1,
  createdCount: 1,
  removedCount: 1,
  notAMemberCount: 0,
  notInGroupCount: 0,
  invalidCount: 0,
  duplicateCount: 0,
  failedCount: 0,
  unchangedEmails: ['alan@example.com'],
  addedEmails: ['grace@example.com'],
  createdEmails: ['ada@example.com'],
  removedEmails: ['old@example.com'],
  notAMemberEmails: [],
  notInGroupEmails: [],
  invalidEmails: [],
  duplicateEmails: [],
  failedEmails: [],
  accessGroupIds: [GROUP],
  apiRequests: 6,
  resultsOmitted: 0,
  results: [
    {
      email: 'alan@example.com',
      source: 'email list entry 1',
      status: 'unchanged',
      memberId: '5c4b3a29-1807-4f6e-9d5c-4b3a29180f6e',
      reason: 'Already in the group.',
    },
    {
      email: 'grace@example.com',
      source: 'email list entry 2',
      status: 'added',
      memberId: '8e1d7c6b-2a3f-4e5d-8c9b-0a1b2c3d4e5f',
      reason: 'Already a member of the site; added to the group.',
    },
    {
      email: 'ada@example.com',
      source: 'email list entry 3',
      status: 'created',
      memberId: '0b7c2e1d-5a4f-4c3b-9e8d-1f2a3b4c5d6e',
      reason: 'Created, in the group.',
    },
    {
      email: 'old@example.com',
      source: NOT_IN_LIST,
      status: 'removed',
      memberId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      reason: 'Not in the list; removed from the group.',
    },
  ],
  ...resultsFileSample,
  results_file: resultsFileSample.results_file?.replace('bulk_add_members', SYNC_STEP.key) ?? null,
  dryRun: false,
  maxRemovals: 10,
};

export const requests =
  "1 (the group's check; not again within the hour) + the group's member pages (a page per 100) " +
  '+ 1 per 500 list emails not in the group (bulk create) + for existing members not in the ' +
  "group a look-up each (or the site's member list, a page per 100, when fewer) + 1 per add + 1 " +
  "per removal; repeated with the same list: the group's pages only. Dry Run: the same reads, no " +
  'write';

export default defineCreate({
  key: 'sync_access_group_members',
  noun: 'Member',
  display: {
    label: 'Sync Access Group Members',
    description: "Makes an access group's members match a list: adds, creates, removes.",
  },
  operation: {
    inputFields,
    perform,
    // Two bulk steps on one site never run at once (src/bulk/policy.ts).
    lock: BULK_LOCK,
    sample: { ...syncSample },
    outputFields: [
      ...stepOutputFields(SYNC_STEP),
      ...resultsFileOutputFields,
      { key: 'dryRun', label: 'Dry Run', type: 'boolean', required: true },
      { key: 'maxRemovals', label: 'Max Removals Applied', type: 'integer', required: true },
    ],
  },
});

export const cannot =
  'One access group per step. Names and Paid in the list are not applied to existing members. An invalid email in the list protects nobody from removal.';
