import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import { MAX_DISPLAY_NAME, members } from '../src/api/members';
import { SotionClient } from '../src/http/client';
import { inputError, requestIdSuffix, shorten, userError } from '../src/http/errors';
import { bool, choice, emailField, fieldsOf, member, readInputs, text } from '../src/zap/fields';
import { requireMember } from '../src/zap/resolve';
import { memberOutput, memberOutputFields, memberSample } from '../src/zap/samples';

const fields = {
  member: member({
    key: 'member',
    label: 'Member',
    helpText: "The member's email or Sotion member ID. Example: `ada@example.com`.",
  }),
  email: emailField({
    key: 'new_email',
    label: 'New Email',
    helpText:
      "Changes the member's email; another member must not have it. Example: `ada@lovelace.dev`.",
  }),
  displayName: text({
    key: 'display_name',
    label: 'Display Name',
    max: MAX_DISPLAY_NAME,
    helpText: 'A new display name; left empty, the name is not changed. Example: `Ada Lovelace`.',
  }),
  clearDisplayName: bool({
    key: 'clear_display_name',
    label: 'Clear Display Name',
    default: false,
    helpText: "Removes the member's display name (leave Display Name empty). Example: `true`.",
  }),
  paid: bool({
    key: 'paid',
    label: 'Paid',
    helpText: 'Sets the paying-customer flag; left empty, it is not changed. Example: `false`.',
  }),
  status: choice({
    key: 'status',
    label: 'Status',
    choices: [
      { value: 'active', label: 'Active' },
      { value: 'blocked', label: 'Blocked' },
    ],
    helpText:
      'Blocked denies the member access to the site; left empty, the status is not changed. ' +
      'Example: **Blocked**.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

export const perform = (async (z, bundle) => {
  const values = readInputs(z, bundle.inputData, fields);
  if (values.clearDisplayName && values.displayName !== undefined) {
    throw inputError(
      z,
      `Display Name ("${shorten(values.displayName)}") and Clear Display Name are both set; ` +
        'choose one.',
    );
  }
  const body = {
    ...(values.email !== undefined ? { email: values.email } : {}),
    ...(values.displayName !== undefined ? { displayName: values.displayName } : {}),
    ...(values.clearDisplayName ? { displayName: null } : {}),
    ...(values.paid !== undefined ? { paid: values.paid } : {}),
    ...(values.status !== undefined ? { status: values.status } : {}),
  };
  if (Object.keys(body).length === 0) {
    throw inputError(
      z,
      'Nothing to update: fill in at least one of New Email, Display Name, Clear Display Name, ' +
        'Paid or Status. Empty fields are left unchanged.',
    );
  }
  const client = new SotionClient(z, bundle);
  const { id } = await requireMember(client, values.member, 'Member');
  const outcome = await client.call(members.update, { params: { memberId: id }, body });
  if (outcome.ok) return memberOutput(outcome.data.data);
  throw userError(
    z,
    `Another member already has the email ${String(values.email)} (Sotion answered 409 Conflict), ` +
      `so member ${id} was not changed. Choose another email, or delete or change that member ` +
      `first.${requestIdSuffix(outcome.requestId)}`,
    'email_taken',
    { status: 409, requestId: outcome.requestId },
  );
}) satisfies CreatePerform<typeof inputFields>;

export default defineCreate({
  key: 'update_member',
  noun: 'Member',
  display: {
    label: 'Update Member',
    description: "Updates a member's email, name, paid flag or status.",
  },
  operation: { inputFields, perform, sample: memberSample, outputFields: memberOutputFields },
});

export const requests = 'by ID 1; by email 2';
