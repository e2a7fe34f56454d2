import { defineCreate, defineInputFields, type CreatePerform } from 'zapier-platform-core';
import {
  addMemberToGroup,
  CREATE_REFUSED_BY_PLAN,
  findMemberByEmail,
  getMember,
  members,
} from '../src/api/members';
import type { Member, MemberListItem } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';
import { inputError, requestIdSuffix, userError } from '../src/http/errors';
import { accessGroups, bool, choice, fieldsOf, readInputs, text } from '../src/zap/fields';
import {
  afterDone,
  emailField,
  MAX_DISPLAY_NAME,
  requestLoginLink,
  unexpected,
} from '../src/zap/members';
import { StepProgress } from '../src/zap/progress';
import { createdMemberOutputFields, createdMemberSample, memberOutput } from '../src/zap/samples';

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
      { value: IF_EXISTS.returnExisting, label: 'Return the existing member (safe to replay)' },
      { value: IF_EXISTS.update, label: 'Update the existing member (safe to replay)' },
    ],
    helpText:
      'What to do when a member already has this email. **Update** sets the Paid and Display ' +
      'Name given here, unblocks the member when **Unblock If Blocked** is on, and adds the ' +
      'member to the Access Groups (for a sale: grant access whether or not the buyer is new). ' +
      'Example: `update`.',
  }),
  unblock: bool({
    key: 'unblock',
    label: 'Unblock If Blocked',
    default: false,
    helpText:
      'With "If the Email Exists" set to **Update**: a blocked member is made active again. ' +
      'Example: `true`.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

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
 * then add the groups it is not in. A PATCH answer lists the groups, so only missing ones are
 * posted; without one, every chosen group is posted (409: already in) and the last answer is
 * the member.
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
      groupsDone.push(...progress.member.accessGroups.map((g) => g.id));
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
          'to "Return the existing member" or "Update" and replay the step.',
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
            'Conflict). Set "If the Email Exists" to "Return the existing member" or "Update" to ' +
            `use that member instead.${requestIdSuffix(outcome.requestId)}`,
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
      'Unblock If Blocked applies only when "If the Email Exists" is "update"; set it to ' +
        '"update", or turn Unblock If Blocked off.',
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
          '(with "If the Email Exists" set to "Return the existing member" or "Update").',
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

export default defineCreate({
  key: 'create_member',
  noun: 'Member',
  display: {
    label: 'Create Member',
    description: 'Creates a member, or updates one with the same email.',
  },
  operation: {
    inputFields,
    perform,
    sample: createdMemberSample,
    outputFields: createdMemberOutputFields,
  },
});
