import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { accessGroups } from '../src/api/access-groups';
import { SotionClient } from '../src/http/client';
import { requestIdSuffix, userError } from '../src/http/errors';
import { accessGroup, fieldsOf, readInputs, IF_NOT_FOUND, ifNotFound } from '../src/zap/fields';
import { accessGroupSample } from '../src/zap/samples';

const fields = {
  group: accessGroup({
    key: 'access_group_id',
    label: 'Access Group',
    helpText:
      'The group to delete, permanently; its members stay on the site. Example: ' +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  ifNotFound: ifNotFound('access group'),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

export const deletedAccessGroupSample = { id: accessGroupSample.id, deleted: true };

export const deletedAccessGroupOutputFields = [
  { key: 'id', label: 'Access Group ID', type: 'string' as const, required: true },
  { key: 'deleted', label: 'Deleted', type: 'boolean' as const, required: true },
];

export const perform = (async (z, bundle) => {
  const { group, ifNotFound } = readInputs(z, bundle.inputData, fields);
  const client = new SotionClient(z, bundle);
  const result = await client.call(accessGroups.delete, { params: { groupId: group } });
  if (result.ok) return { id: group, deleted: true };
  if (ifNotFound === IF_NOT_FOUND.succeed) return { id: group, deleted: false };
  // A DELETE whose answer was lost is sent again; its 404 may then mean "deleted by us".
  const retried =
    client.requestsSent > 1
      ? ' An earlier attempt got no answer, so this step may have deleted it itself.'
      : '';
  throw userError(
    z,
    `Sotion has no access group ${group} (404 Not Found): it was deleted already, or the ID ` +
      `belongs to another site.${retried} Set "If Not Found" to ` +
      `"${fields.ifNotFound.labelOf(IF_NOT_FOUND.succeed)}" when that is ` +
      `expected, for example when replaying the step.${requestIdSuffix(result.requestId)}`,
    'not_found',
    { status: 404, requestId: result.requestId },
  );
}) satisfies CreatePerform<typeof inputFields>;

export default defineCreate({
  key: 'delete_access_group',
  noun: 'Access Group',
  display: {
    label: 'Delete Access Group',
    description: 'Deletes a custom access group; its members are kept.',
  },
  operation: {
    inputFields,
    perform,
    sample: deletedAccessGroupSample,
    outputFields: deletedAccessGroupOutputFields,
  },
});

export const requests = '1';
