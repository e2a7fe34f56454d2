import { defineInputFields, defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { newestAccessGroups } from '../src/api/access-groups';
import type { AccessGroup } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';
import { choice, fieldsOf, readInputs } from '../src/zap/fields';
import { pollWindow } from '../src/zap/polling';
import { accessGroupOutputFields, accessGroupSample } from '../src/zap/samples';

const fields = {
  type: choice({
    key: 'type',
    label: 'Group Type',
    choices: [
      { value: 'custom', label: 'Custom groups (made in the dashboard or API)' },
      { value: 'scope', label: 'Scope groups (made from a Notion collection)' },
    ],
    helpText:
      'Only trigger for groups of this type; leave empty for both. Example: **Custom groups ' +
      '(made in the dashboard or API)**.',
  }),
};
const inputFields = defineInputFields(fieldsOf(fields.type));

export const perform = (async (z, bundle) => {
  const client = new SotionClient(z, bundle);
  const { type } = readInputs(z, bundle.inputData, fields);
  const window = pollWindow(bundle.meta);
  const { groups } = await newestAccessGroups(client, { type, ...window });
  return groups;
}) satisfies PollingTriggerPerform<typeof inputFields, AccessGroup>;

export default defineTrigger({
  key: 'new_access_group',
  noun: 'Access Group',
  display: {
    label: 'New Access Group',
    description: 'Triggers when an access group is created; works past the 10-webhook limit.',
  },
  operation: {
    type: 'polling',
    inputFields,
    perform,
    sample: accessGroupSample,
    outputFields: accessGroupOutputFields,
  },
});

export const requests =
  '1 when Sotion lists groups newest first; otherwise every page (100 groups each) within the ' +
  'run';
