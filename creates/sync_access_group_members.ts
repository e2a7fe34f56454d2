import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { bulkInputFields, readBulkInput, type BulkInputSpec } from '../src/bulk/input';
import { StepMemory } from '../src/bulk/memory';
import {
  syncOutputFields,
  syncSample,
  runSyncStep,
  type SyncOutput,
} from '../src/bulk/sync-output';
import { syncGroupMembers } from '../src/bulk/sync';
import { SotionClient } from '../src/http/client';
import { inputError } from '../src/http/errors';
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
          `"${text.slice(0, 80)}". Leave it empty for 10% of the group (at least 10).`,
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
      'The group whose members become the list. Pick it, or map its ID (such as ' +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`).',
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
};

const inputFields = defineInputFields([
  ...fieldsOf(fields.groupId),
  ...bulkInputFields(LIST),
  ...fieldsOf(fields.createMissing, fields.removeOthers, fields.maxRemovals, fields.dryRun),
]);

export const perform = (async (z, bundle) => {
  // First: the client refuses an input that carries the API key before anything reads it.
  const client = new SotionClient(z, bundle);
  const options = readInputs(z, bundle.inputData, fields);
  const list = await readBulkInput(client, bundle.inputData, LIST);
  // What an earlier run of this very step (same list, group and options) did.
  const memory = new StepMemory(z, 'sync_access_group_members', {
    members: list.memoryKey,
    ...options,
  });
  return runSyncStep(z, () => syncGroupMembers(client, list.entries, { ...options, memory }));
}) satisfies CreatePerform<typeof inputFields, SyncOutput>;

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
    sample: syncSample,
    outputFields: syncOutputFields,
  },
});
