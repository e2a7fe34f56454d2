import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import {
  ACCESS_GROUPS_PATH,
  findAccessGroupByName,
  MAX_GROUP_DESCRIPTION,
  MAX_GROUP_NAME,
} from '../src/access-groups';
import { SotionClient } from '../src/client';
import { inputError, requestIdSuffix, userError } from '../src/errors';
import { toText } from '../src/input';
import { createdAccessGroupOutputFields, createdAccessGroupSample } from '../src/samples';
import { AccessGroup, single } from '../src/schemas';

export const IF_TAKEN = { error: 'error', returnExisting: 'return_existing' } as const;

const inputFields = defineInputFields([
  {
    key: 'name',
    label: 'Name',
    type: 'string',
    required: true,
    helpText:
      'The name of the new custom access group, 1 to 100 characters, unique on the site. ' +
      'Example: `Premium Members`.',
  },
  {
    key: 'description',
    label: 'Description',
    type: 'text',
    required: false,
    helpText:
      'What the group is for, at most 500 characters. Example: `Paying members who can read the premium guides.`',
  },
  {
    key: 'if_name_taken',
    label: 'If the Name Is Taken',
    type: 'string',
    required: false,
    default: IF_TAKEN.error,
    choices: [
      { value: IF_TAKEN.error, sample: IF_TAKEN.error, label: 'Stop with an error' },
      {
        value: IF_TAKEN.returnExisting,
        sample: IF_TAKEN.returnExisting,
        label: 'Return the existing group (safe to replay)',
      },
    ],
    helpText:
      'What to do when the site already has a group with this name. Choose **Return the existing ' +
      'group** when the same Zap may run twice for one name, for example when replaying a run.',
  },
]);

const checkedLength = (
  z: Parameters<CreatePerform>[0],
  value: string | undefined,
  label: string,
  max: number,
): string | undefined => {
  if (value !== undefined && [...value].length > max) {
    throw inputError(
      z,
      `${label} must be at most ${max} characters; it has ${[...value].length}. Shorten it and try again.`,
    );
  }
  return value;
};

export const perform = (async (z, bundle) => {
  const name = checkedLength(z, toText(z, bundle.inputData.name, 'Name'), 'Name', MAX_GROUP_NAME);
  if (name === undefined) {
    throw inputError(z, 'Name is required: enter 1 to 100 characters, such as "Premium Members".');
  }
  const description = checkedLength(
    z,
    toText(z, bundle.inputData.description, 'Description'),
    'Description',
    MAX_GROUP_DESCRIPTION,
  );
  const ifTaken =
    toText(z, bundle.inputData.if_name_taken, 'If the Name Is Taken') ?? IF_TAKEN.error;
  if (ifTaken !== IF_TAKEN.error && ifTaken !== IF_TAKEN.returnExisting) {
    throw inputError(
      z,
      `If the Name Is Taken must be "${IF_TAKEN.error}" or "${IF_TAKEN.returnExisting}"; it was "${ifTaken}".`,
    );
  }

  const client = new SotionClient(z, bundle);
  const returnExisting = ifTaken === IF_TAKEN.returnExisting;
  const result = await client.callAllowingConflict({
    method: 'POST',
    path: ACCESS_GROUPS_PATH,
    body: description === undefined ? { name } : { name, description },
    schema: single(AccessGroup),
    // With "return the existing group", sending again is harmless: a second try gets a 409.
    idempotent: returnExisting,
  });
  if (result.ok) return { ...result.data.data, alreadyExisted: false };

  if (!returnExisting) {
    throw userError(
      z,
      `An access group named "${name}" already exists on this site (Sotion answered 409 Conflict). ` +
        'Choose another name, or set "If the Name Is Taken" to "Return the existing group".' +
        requestIdSuffix(result.requestId),
      'group_name_taken',
      { status: 409, requestId: result.requestId, transient: false },
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
      { status: 409, requestId: result.requestId, transient: false },
    );
  }
  return { ...existing, alreadyExisted: true };
}) satisfies CreatePerform<typeof inputFields>;

export default defineCreate({
  key: 'create_access_group',
  noun: 'Access Group',
  display: {
    label: 'Create Access Group',
    description:
      'Creates a custom access group on your Sotion site, or returns the existing one with the same name.',
  },
  operation: {
    inputFields,
    perform,
    sample: createdAccessGroupSample,
    outputFields: createdAccessGroupOutputFields,
  },
});
