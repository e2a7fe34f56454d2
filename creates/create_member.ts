import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainOutputField,
} from 'zapier-platform-core';
import {
  addMemberToGroup,
  CREATE_REFUSED_BY_PLAN,
  findMemberByEmail,
  getMember,
  MAX_DISPLAY_NAME,
  members,
} from '../src/api/members';
import type { Member, MemberListItem } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';
import { inputError, requestIdSuffix, userError } from '../src/http/errors';
import {
  accessGroups,
  bool,
  choice,
  emailField,
  fieldsOf,
  readInputs,
  text,
} from '../src/zap/fields';
import { requestLoginLink } from '../src/zap/login-link';
import {
  accessGroupSample,
  memberOutput,
  memberOutputFields,
  memberSample,
} from '../src/zap/samples';
import { afterDone, unexpected } from '../src/zap/step-errors';

export const IF_EXISTS = {
  error: 'error',
  returnExisting: 'return_existing',
  update: 'update',
} as const;

const fields = {
  email: emailField({
    key: 'email',
    label: 'Email',
    required: true,
    helpText: "The new member's email; Sotion stores it lowercased. Example: `ada@example.com`.",
  }),
  displayName: text({
    key: 'display_name',
    label: 'Display Name',
    max: MAX_DISPLAY_NAME,
    helpText: 'The name shown for the member. Example: `Ada Lovelace`.',
  }),
  paid: bool({
    key: 'paid',
    label: 'Paid',
    helpText:
      'Marks the member as a paying customer. Left empty, a new member is not paid and an existing one keeps its flag. Example: `true`.',
  }),
  groups: accessGroups({
    key: 'access_group_ids',
    label: 'Access Groups',
    helpText:
      'Custom access groups to put the member in. Example: `3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  sendLink: bool({
    key: 'send_login_link',
    label: 'Send Login Link Email',
    default: false,
    helpText:
      'Emails the member a login link once the step has saved the member. Each run sends another ' +
      'email, replays included. Example: `false`.',
  }),
  ifExists: choice({
    key: 'if_email_exists',
    label: 'If the Email Exists',
    default: IF_EXISTS.error,
    choices: [
      { value: IF_EXISTS.error, label: 'Stop with an error' },
      { value: IF_EXISTS.returnExisting, label: 'Return the existing member' },
      { value: IF_EXISTS.update, label: 'Update the existing member' },
    ],
    helpText:
      'When a member has this email. For a sale, **Update the existing member** sets Paid and ' +
      'Display Name and adds the groups. Example: **Update the existing member**.',
  }),
  unblock: bool({
    key: 'unblock',
    label: 'Unblock If Blocked',
    default: false,
    helpText:
      'With **Update the existing member** in If the Email Exists: a blocked member is made ' +
      'active again. Example: `true`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

/** "Return the existing member" or "Update the existing member", as the editor shows them. */
const USE_EXISTING =
  `"${fields.ifExists.labelOf(IF_EXISTS.returnExisting)}" or ` +
  `"${fields.ifExists.labelOf(IF_EXISTS.update)}"`;

type Values = ReturnType<typeof readInputs<typeof fields>>;

interface Saved {
  member: Member;
  alreadyExisted: boolean;
  updated: boolean;
  groupsAdded: string[];
}

/**
 * "Update": PATCH only what differs from the member's record (the look-up already read it),
 * then add the groups it is not in. A PATCH or group-add answer lists the groups, so only the
 * ones it does not show are posted; without one, each chosen group is posted (409: already in)
 * and the last answer is the member.
 */
const updateExisting = async (
  client: SotionClient,
  existing: MemberListItem,
  values: Values,
): Promise<Saved> => {
  const patch: { displayName?: string; paid?: boolean; status?: 'active' } = {};
  if (values.displayName !== undefined && values.displayName !== existing.displayName)
    patch.displayName = values.displayName;
  if (values.paid !== undefined && values.paid !== existing.paid) patch.paid = values.paid;
  if (values.unblock && existing.status === 'blocked') patch.status = 'active';
  let member: Member | undefined;
  if (Object.keys(patch).length) {
    const outcome = await client.call(members.update, {
      params: { memberId: existing.id },
      body: patch,
    });
    if (!outcome.ok) throw unexpected(client.z, outcome.status, outcome.requestId);
    member = outcome.data.data;
  }
  const inGroups = new Set(member?.accessGroups.map((g) => g.id.toLowerCase()) ?? []);
  const groupsAdded: string[] = [];
  for (const groupId of values.groups) {
    if (inGroups.has(groupId)) continue;
    const after = await addMemberToGroup(client, groupId, existing.id);
    if (after) {
      member = after;
      groupsAdded.push(groupId);
      // The answer lists every group of the member: the chosen ones it shows need no request.
      for (const g of after.accessGroups) inGroups.add(g.id.toLowerCase());
    }
  }
  member ??= await getMember(client, existing.id);
  return { member, alreadyExisted: true, updated: Object.keys(patch).length > 0, groupsAdded };
};

export const perform = (async (z, bundle) => {
  const values = readInputs(z, bundle.inputData, fields);
  const { email, displayName, paid, groups, sendLink, ifExists, unblock } = values;
  if (unblock && ifExists !== IF_EXISTS.update) {
    throw inputError(
      z,
      `Unblock If Blocked applies only when "If the Email Exists" is ` +
        `"${fields.ifExists.labelOf(IF_EXISTS.update)}": choose it, or turn Unblock If Blocked off.`,
    );
  }
  const client = new SotionClient(z, bundle);
  const outcome = await client.call(members.create, {
    body: {
      email: email,
      ...(displayName !== undefined ? { displayName } : {}),
      ...(paid !== undefined ? { paid } : {}),
      ...(groups.length ? { accessGroupIds: groups } : {}),
    },
    acceptsConflict: ifExists !== IF_EXISTS.error,
    lostAnswerHint:
      'If the member was created, a replay stops on "email exists"; set "If the Email Exists" ' +
      `to ${USE_EXISTING} and replay the step.`,
    forbidden: groups.length ? undefined : CREATE_REFUSED_BY_PLAN,
  });
  let saved: Saved;
  if (outcome.ok) {
    saved = {
      member: outcome.data.data,
      alreadyExisted: false,
      updated: false,
      groupsAdded: groups,
    };
  } else if (ifExists === IF_EXISTS.error) {
    throw userError(
      z,
      `A member with the email ${email} already exists on this site (Sotion answered 409 ` +
        `Conflict). Set "If the Email Exists" to ${USE_EXISTING} to use that member ` +
        `instead.${requestIdSuffix(outcome.requestId)}`,
      'member_exists',
      { status: 409, requestId: outcome.requestId, transient: false },
    );
  } else {
    const existing = await findMemberByEmail(client, email);
    if (!existing) {
      throw userError(
        z,
        `Sotion says a member with the email ${email} exists (409 Conflict), but no member ` +
          'with that email was found. It may have just been deleted or changed; replay the ' +
          `step.${requestIdSuffix(outcome.requestId)}`,
        'member_exists',
        { status: 409, requestId: outcome.requestId, transient: true },
      );
    }
    saved =
      ifExists === IF_EXISTS.update
        ? await updateExisting(client, existing, values)
        : {
            member: await getMember(client, existing.id),
            alreadyExisted: true,
            updated: false,
            groupsAdded: [],
          };
  }
  if (sendLink) {
    try {
      await requestLoginLink(client, saved.member.id, {
        sendEmail: true,
        ref: { id: saved.member.id },
        label: 'Email',
        lostAnswerHint: 'Sotion may have emailed the link already.',
      });
    } catch (error) {
      throw afterDone(
        z,
        `The member ${email} was ${saved.alreadyExisted ? 'saved' : 'created'}, but the login ` +
          'link email was not sent. Send it with a Send Login Link step, or replay this step ' +
          `(with "If the Email Exists" set to ${USE_EXISTING}).`,
        error,
      );
    }
  }
  const output = memberOutput(saved.member);
  const names = new Map(output.accessGroups.map((g) => [g.id, g.name ?? g.id]));
  return {
    ...output,
    alreadyExisted: saved.alreadyExisted,
    updated: saved.updated,
    groupsAdded: saved.groupsAdded,
    groupsAddedNames: saved.groupsAdded.map((id) => names.get(id) ?? id),
    loginLinkSent: sendLink,
  };
}) satisfies CreatePerform<typeof inputFields>;

/** Create Member: the member, and what the step did with an existing one. */
export const createdMemberSample = {
  ...memberSample,
  alreadyExisted: false,
  updated: false,
  groupsAdded: [accessGroupSample.id],
  groupsAddedNames: [accessGroupSample.name],
  loginLinkSent: false,
};

export const createdMemberOutputFields = [
  ...memberOutputFields,
  { key: 'alreadyExisted', label: 'Already Existed', type: 'boolean', required: true },
  { key: 'updated', label: 'Updated', type: 'boolean', required: true },
  { key: 'groupsAdded', label: 'Access Groups Added (IDs)', type: 'string', list: true },
  { key: 'groupsAddedNames', label: 'Access Groups Added (Names)', type: 'string', list: true },
  { key: 'loginLinkSent', label: 'Login Link Sent', type: 'boolean', required: true },
] satisfies PlainOutputField[];

export default defineCreate({
  key: 'create_member',
  noun: 'Member',
  display: {
    label: 'Create Member',
    description: 'Creates a member, optionally returning or updating one with that email.',
  },
  operation: {
    inputFields,
    perform,
    sample: createdMemberSample,
    outputFields: createdMemberOutputFields,
  },
});

export const requests =
  'new: 1 (2 with "Send Login Link Email"); email taken: 1 with "Stop with an error", 3 with ' +
  '"Return the existing member", with "Update the existing member" 2 + 1 PATCH when a value ' +
  'differs + 1 per access group posted (+1 read when neither answered; 4 measured with ' +
  'changes and one new group)';
