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
import { StepProgress } from '../src/zap/progress';
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
 * What earlier tries of this run confirmed (src/zap/progress.ts): a try that went back to Zapier
 * (its turn on the site's rate limit came later) goes on from there instead of starting again.
 */
interface Progress {
  /** The member this step created. */
  created: Member;
  /** Sotion answered the create with 409 (the email exists): the look-up comes next. */
  conflict: { requestId?: string };
  /** The member that already had the email, as the look-up read it. */
  existing: MemberListItem;
  /** The member as the latest confirmed write answered. */
  member: Member;
  /** Whether the PATCH was sent (true) or not needed (false); absent while not decided. */
  patched: boolean;
  /** Groups the member is now in (added, or already there), and those this step added. */
  groupsDone: string[];
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
  progress: Partial<Progress>,
): Promise<Saved> => {
  const patch: { displayName?: string; paid?: boolean; status?: 'active' } = {};
  if (values.displayName !== undefined && values.displayName !== existing.displayName)
    patch.displayName = values.displayName;
  if (values.paid !== undefined && values.paid !== existing.paid) patch.paid = values.paid;
  if (values.unblock && existing.status === 'blocked') patch.status = 'active';
  const groupsDone = (progress.groupsDone ??= []);
  const groupsAdded = (progress.groupsAdded ??= []);
  if (progress.patched === undefined) {
    client.plan(Number(Object.keys(patch).length > 0) + values.groups.length);
    if (Object.keys(patch).length) {
      const outcome = await client.call(members.update, {
        params: { memberId: existing.id },
        body: patch,
      });
      if (!outcome.ok) throw unexpected(client.z, outcome.status, outcome.requestId);
      progress.member = outcome.data.data;
      groupsDone.push(...progress.member.accessGroups.map((g) => g.id.toLowerCase()));
    }
    progress.patched = Object.keys(patch).length > 0;
  } else {
    client.plan(values.groups.filter((g) => !groupsDone.includes(g)).length);
  }
  for (const groupId of values.groups) {
    if (groupsDone.includes(groupId)) continue;
    const after = await addMemberToGroup(client, groupId, existing.id);
    groupsDone.push(groupId);
    if (after) {
      progress.member = after;
      groupsAdded.push(groupId);
      // The answer lists every group of the member: the chosen ones it shows need no request.
      groupsDone.push(...after.accessGroups.map((g) => g.id.toLowerCase()));
    }
  }
  const member = progress.member ?? (await getMember(client, existing.id));
  return {
    member,
    alreadyExisted: true,
    updated: progress.patched,
    groupsAdded: values.groups.filter((g) => groupsAdded.includes(g)),
  };
};

/** Creates the member, or finds the one that has the email (recorded in `progress`). */
const createOrFind = async (
  client: SotionClient,
  values: Values,
  progress: Partial<Progress>,
): Promise<Saved> => {
  const { z } = client;
  const { email, displayName, paid, groups, ifExists } = values;
  if (progress.created) {
    return { member: progress.created, alreadyExisted: false, updated: false, groupsAdded: groups };
  }
  if (!progress.existing) {
    if (!progress.conflict) {
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
      if (outcome.ok) {
        progress.created = outcome.data.data;
        return {
          member: progress.created,
          alreadyExisted: false,
          updated: false,
          groupsAdded: groups,
        };
      }
      if (ifExists === IF_EXISTS.error) {
        throw userError(
          z,
          `A member with the email ${email} already exists on this site (Sotion answered 409 ` +
            `Conflict). Set "If the Email Exists" to ${USE_EXISTING} to use that member ` +
            `instead.${requestIdSuffix(outcome.requestId)}`,
          'member_exists',
          { status: 409, requestId: outcome.requestId, transient: false },
        );
      }
      // The email exists: a try that goes back to Zapier from here goes on with the look-up.
      progress.conflict = { requestId: outcome.requestId };
    }
    const { requestId } = progress.conflict;
    // The look-up, then (at most) a PATCH and a group add each, one after another.
    client.plan(ifExists === IF_EXISTS.update ? 2 + groups.length : 2);
    const existing = await findMemberByEmail(client, email);
    if (!existing) {
      throw userError(
        z,
        `Sotion says a member with the email ${email} exists (409 Conflict), but no member ` +
          'with that email was found. It may have just been deleted or changed; replay the ' +
          `step.${requestIdSuffix(requestId)}`,
        'member_exists',
        { status: 409, requestId, transient: true },
      );
    }
    progress.existing = existing;
  }
  return ifExists === IF_EXISTS.update
    ? updateExisting(client, progress.existing, values, progress)
    : {
        member: await getMember(client, progress.existing.id),
        alreadyExisted: true,
        updated: false,
        groupsAdded: [],
      };
};

export const perform = (async (z, bundle) => {
  const values = readInputs(z, bundle.inputData, fields);
  const { ifExists, unblock } = values;
  if (unblock && ifExists !== IF_EXISTS.update) {
    throw inputError(
      z,
      `Unblock If Blocked applies only when "If the Email Exists" is ` +
        `"${fields.ifExists.labelOf(IF_EXISTS.update)}": choose it, or turn Unblock If Blocked off.`,
    );
  }
  const client = new SotionClient(z, bundle);
  return new StepProgress<Progress>(client, 'create_member').run(async (progress) => {
    const saved = await createOrFind(client, values, progress);
    return finish(client, values, saved);
  });
}) satisfies CreatePerform<typeof inputFields>;

const finish = async (client: SotionClient, values: Values, saved: Saved) => {
  const { z } = client;
  const { email, sendLink } = values;
  if (sendLink) {
    try {
      await requestLoginLink(client, saved.member.id, {
        sendEmail: true,
        ref: { id: saved.member.id },
        label: 'Email',
        lostAnswerHint: 'Sotion may have emailed the link already.',
      });
    } catch (error) {
      // Its turn comes later: Zapier runs the step again, which goes on from the saved member.
      if (error instanceof z.errors.ThrottledError) throw error;
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
};

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
