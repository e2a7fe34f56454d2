import { defineInputFields, defineSearch, type SearchPerform } from 'zapier-platform-core';
import { MAX_GROUP_NAME, matchAccessGroupsByName } from '../src/api/access-groups';
import { SotionClient } from '../src/http/client';
import { userError } from '../src/http/errors';
import { choice, fieldsOf, readInputs, text } from '../src/zap/fields';
import { accessGroupOutputFields, accessGroupSample } from '../src/zap/samples';

const fields = {
  name: text({
    key: 'name',
    label: 'Name',
    required: true,
    max: MAX_GROUP_NAME,
    example: 'Premium Members',
    helpText:
      "The group's name. An exact match wins; otherwise a single group whose name differs only " +
      'in case. Example: `Premium Members`.',
  }),
  type: choice({
    key: 'type',
    label: 'Group Type',
    choices: [
      { value: 'custom', label: 'Custom groups (made in the dashboard or API)' },
      { value: 'scope', label: 'Scope groups (made from a Notion collection)' },
    ],
    helpText:
      'Only find a group of this type; leave empty for both. Example: **Custom groups (made in ' +
      'the dashboard or API)**.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

export const perform = (async (z, bundle) => {
  const { name, type } = readInputs(z, bundle.inputData, fields);
  const client = new SotionClient(z, bundle);
  const { exact, folded } = await matchAccessGroupsByName(client, name, type);
  if (exact) return [exact];
  if (folded.length <= 1) return folded;
  // Several groups differ from the name only in case: guessing could grant the wrong access.
  throw userError(
    z,
    `${folded.length} access groups match "${name}" when case is ignored (` +
      `${folded.map((g) => `"${g.name}"`).join(', ')}), and none matches it exactly. Enter the ` +
      'name exactly as it is in Sotion.',
    'ambiguous_name',
    {},
  );
}) satisfies SearchPerform<typeof inputFields>;

export default defineSearch({
  key: 'find_access_group',
  noun: 'Access Group',
  display: {
    label: 'Find Access Group',
    description: 'Finds an access group by name.',
  },
  operation: {
    inputFields,
    perform,
    sample: accessGroupSample,
    outputFields: accessGroupOutputFields,
  },
});

export const requests =
  'a page per 100 groups until the exact name (every page when there is none)';
