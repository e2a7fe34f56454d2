import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainOutputField,
} from 'zapier-platform-core';
import {
  accessGroups,
  findAccessGroupByName,
  MAX_GROUP_DESCRIPTION,
  MAX_GROUP_NAME,
} from '../src/api/access-groups';
import { SotionClient } from '../src/http/client';
import { requestIdSuffix, userError } from '../src/http/errors';
import { choice, fieldsOf, readInputs, text } from '../src/zap/fields';
import { accessGroupOutputFields, accessGroupSample } from '../src/zap/samples';

export const IF_TAKEN = { error: 'error', returnExisting: 'return_existing' } as const;

const fields = {
  name: text({
    key: 'name',
    label: 'Name',
    required: true,
    max: MAX_GROUP_NAME,
    example: 'Premium Members',
    helpText:
      'The name of the new custom access group, 1 to 100 characters, unique on the site. ' +
      'Example: `Premium Members`.',
  }),
  description: text({
    key: 'description',
    label: 'Description',
    long: true,
    max: MAX_GROUP_DESCRIPTION,
    helpText:
      'What the group is for, at most 500 characters. Example: `Paying members who can read the premium guides.`',
  }),
  ifTaken: choice({
    key: 'if_name_taken',
    label: 'If the Name Is Taken',
    default: IF_TAKEN.error,
    choices: [
      { value: IF_TAKEN.error, label: 'Stop with an error' },
      { value: IF_TAKEN.returnExisting, label: 'Return the existing group' },
    ],
    helpText:
      'What to do when a group already has this name; choose the existing group when the Zap may ' +
      'run twice for one name. Example: **Return the existing group**.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

export const perform = (async (z, bundle) => {
  const client = new SotionClient(z, bundle);
  const { name, description, ifTaken } = readInputs(z, bundle.inputData, fields);
  const returnExisting = ifTaken === IF_TAKEN.returnExisting;
  const result = await client.call(accessGroups.create, {
    body: description === undefined ? { name } : { name, description },
    // With "return the existing group", a resend is harmless: a second try gets a 409.
    acceptsConflict: returnExisting,
    lostAnswerHint:
      'A replay stops on "name taken" if the group was created; set "If the Name Is Taken" to ' +
      `"${fields.ifTaken.labelOf(IF_TAKEN.returnExisting)}" and replay the step.`,
  });
  if (result.ok) return { ...result.data.data, alreadyExisted: false };

  if (!returnExisting) {
    throw userError(
      z,
      `An access group named "${name}" already exists on this site (Sotion answered 409 Conflict). ` +
        'Choose another name, or set "If the Name Is Taken" to ' +
        `"${fields.ifTaken.labelOf(IF_TAKEN.returnExisting)}".` +
        requestIdSuffix(result.requestId),
      'group_name_taken',
      { status: 409, requestId: result.requestId },
    );
  }
  const existing = await findAccessGroupByName(client, name);
  if (!existing) {
    throw userError(
      z,
      `Sotion says an access group named "${name}" already exists (409 Conflict), but no group ` +
        'with that name is in its list of access groups. It may have just been renamed or ' +
        'deleted; replay the step.' +
        requestIdSuffix(result.requestId),
      'group_name_taken',
      { status: 409, requestId: result.requestId },
    );
  }
  return { ...existing, alreadyExisted: true };
}) satisfies CreatePerform<typeof inputFields>;

export const createdAccessGroupSample = { ...accessGroupSample, alreadyExisted: false };

export const createdAccessGroupOutputFields = [
  ...accessGroupOutputFields,
  { key: 'alreadyExisted', label: 'Already Existed', type: 'boolean', required: true },
] satisfies PlainOutputField[];

export default defineCreate({
  key: 'create_access_group',
  noun: 'Access Group',
  display: {
    label: 'Create Access Group',
    description: 'Creates a custom access group.',
  },
  operation: {
    inputFields,
    perform,
    sample: createdAccessGroupSample,
    outputFields: createdAccessGroupOutputFields,
  },
});

export const requests =
  '1; a taken name with "Return the existing group": + the group list, a page per 100, until ' +
  'found';
