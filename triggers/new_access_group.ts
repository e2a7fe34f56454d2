import { defineInputFields, defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { newestAccessGroups } from '../src/access-groups';
import { SotionClient } from '../src/client';
import { inputError } from '../src/errors';
import { toText } from '../src/input';
import { accessGroupOutputFields, accessGroupSample } from '../src/samples';
import type { AccessGroup } from '../src/schemas';

/** Zapier's default cap on new items per poll. */
export const MAX_PER_POLL = 100;
export const SAMPLE_SIZE = 3;

const inputFields = defineInputFields([
  {
    key: 'type',
    label: 'Group Type',
    type: 'string',
    required: false,
    choices: [
      { value: 'custom', sample: 'custom', label: 'Custom groups (made in the dashboard or API)' },
      { value: 'scope', sample: 'scope', label: 'Scope groups (made from a Notion collection)' },
    ],
    helpText:
      'Only trigger for groups of this type, for example `custom`. Leave empty for both types.',
  },
]);

export const perform = (async (z, bundle) => {
  const type = toText(z, bundle.inputData.type, 'Group Type');
  if (type !== undefined && type !== 'custom' && type !== 'scope') {
    throw inputError(z, `Group Type must be "custom" or "scope"; it was "${type}".`);
  }
  const meta = bundle.meta ?? {};
  const limit = typeof meta.limit === 'number' && meta.limit > 0 ? meta.limit : undefined;
  const client = new SotionClient(z, bundle);
  const { groups } = await newestAccessGroups(client, {
    type,
    max: meta.isPopulatingDedupe
      ? Number.POSITIVE_INFINITY
      : meta.isLoadingSample
        ? Math.min(limit ?? SAMPLE_SIZE, SAMPLE_SIZE)
        : Math.min(limit ?? MAX_PER_POLL, MAX_PER_POLL),
    firstPageOnly: Boolean(meta.isLoadingSample),
    walkAll: Boolean(meta.isPopulatingDedupe),
  });
  return groups;
}) satisfies PollingTriggerPerform<typeof inputFields, AccessGroup>;

export default defineTrigger({
  key: 'new_access_group',
  noun: 'Access Group',
  display: {
    label: 'New Access Group',
    description: 'Triggers when a new access group is created on your Sotion site.',
  },
  operation: {
    type: 'polling',
    inputFields,
    perform,
    sample: accessGroupSample,
    outputFields: accessGroupOutputFields,
  },
});
