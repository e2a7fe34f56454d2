import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type ZObject,
} from 'zapier-platform-core';
import {
  accessGroups,
  findAccessGroupByName,
  MAX_GROUP_DESCRIPTION,
  MAX_GROUP_NAME,
} from '../src/api/access-groups';
import { SotionClient } from '../src/http/client';
import { inputError, requestIdSuffix, userError } from '../src/http/errors';
import { accessGroup, bool, fieldsOf, readInputs, text } from '../src/zap/fields';
import { accessGroupOutputFields, accessGroupSample } from '../src/zap/samples';

const fields = {
  group: accessGroup({
    key: 'access_group_id',
    label: 'Access Group',
    helpText: 'The custom group to change. Example: `3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  name: text({
    key: 'name',
    label: 'New Name',
    max: MAX_GROUP_NAME,
    helpText:
      'Leave empty to keep the current name. 1 to 100 characters, unique on the site. ' +
      'Example: `Premium Members`.',
  }),
  description: text({
    key: 'description',
    label: 'New Description',
    long: true,
    max: MAX_GROUP_DESCRIPTION,
    helpText:
      'Leave empty to keep the current description; at most 500 characters. Example: ' +
      '`Paying members who can read the premium guides.`',
  }),
  clearDescription: bool({
    key: 'clear_description',
    label: 'Clear the Description',
    default: false,
    helpText:
      'True removes the description (leave New Description empty then); an empty New ' +
      'Description alone keeps it. Example: `true`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

/** What PATCH sends: only what the user asked to change (`null` clears the description). */
const changesOf = (
  z: ZObject,
  input: { name?: string; description?: string; clearDescription: boolean },
): { name?: string; description?: string | null } => {
  if (input.clearDescription && input.description !== undefined) {
    throw inputError(
      z,
      'New Description and Clear the Description contradict each other: empty New Description ' +
        'to clear it, or set Clear the Description to false to replace it.',
    );
  }
  const body: { name?: string; description?: string | null } = {};
  if (input.name !== undefined) body.name = input.name;
  if (input.description !== undefined) body.description = input.description;
  if (input.clearDescription) body.description = null;
  if (Object.keys(body).length === 0) {
    throw inputError(
      z,
      'Nothing to change: enter a New Name or a New Description, or set Clear the Description ' +
        'to true.',
    );
  }
  return body;
};

export const perform = (async (z, bundle) => {
  const { group, ...input } = readInputs(z, bundle.inputData, fields);
  const body = changesOf(z, input);
  const client = new SotionClient(z, bundle);
  const result = await client.call(accessGroups.update, { params: { groupId: group }, body });
  if (result.ok) return result.data.data;

  // 409: another group has the name. Say which, so the user can rename or delete that one.
  const name = body.name ?? '';
  const holder = await findAccessGroupByName(client, name);
  const who = holder
    ? `access group "${holder.name}" (ID ${holder.id}) already has it`
    : 'Sotion says another access group already has it (409 Conflict), though none with that ' +
      'name is in its list now; it may have just been renamed or deleted, so replaying may work';
  throw userError(
    z,
    `Access group ${group} was not renamed to "${name}": ${who}. Choose another name, or ` +
      `rename or delete the other group first.${requestIdSuffix(result.requestId)}`,
    'group_name_taken',
    { status: 409, requestId: result.requestId },
  );
}) satisfies CreatePerform<typeof inputFields>;

export default defineCreate({
  key: 'update_access_group',
  noun: 'Access Group',
  display: {
    label: 'Update Access Group',
    description: "Updates a custom access group's name or description.",
  },
  operation: {
    inputFields,
    perform,
    sample: accessGroupSample,
    outputFields: accessGroupOutputFields,
  },
});

export const requests = '1; a taken name: + the group list, a page per 100, until the holder';
