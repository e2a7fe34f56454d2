import {
  defineCreate,
  defineInputFields,
  type CreatePerform,
  type PlainOutputField,
  type ZObject,
} from 'zapier-platform-core';
import { accessGroupsByIds } from '../src/api/access-groups';
import { groupMembers } from '../src/api/group-members';
import {
  addMemberToGroup,
  CREATE_REFUSED_BY_PLAN,
  findMemberByEmail,
  getMember,
  members,
} from '../src/api/members';
import type { AccessGroup, Member } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';
import { errorInfo, inputError, requestIdSuffix, userError } from '../src/http/errors';
import {
  accessGroups,
  bool,
  choice,
  fieldsOf,
  member,
  readInputs,
  type MemberRef,
} from '../src/zap/fields';
import { memberNotFound } from '../src/zap/resolve';
import { afterDone, isNotFound, unexpected } from '../src/zap/step-errors';
import {
  accessGroupSample,
  memberOutput,
  memberOutputFields,
  memberSample,
} from '../src/zap/samples';

/**
 * Set Member's Access Groups: a plan change in one step. Afterwards the member is in exactly the
 * chosen groups among the managed ones (Managed Access Groups plus the chosen groups; every custom
 * group when Managed Access Groups is empty). Groups it does not manage are never touched.
 *
 * Before any write, every group the step writes to must be known to exist and be custom. The
 * member's answer tells which groups it is in (and their type, when Sotion includes one, which its
 * docs do not promise); the group list (a page per 100 groups) is read only when two or more
 * groups are unknown, or to tell which of the member's groups are custom. A single unknown group
 * is written first, so Sotion refusing it (403 scope group, 404 no such group) changes nothing.
 */

export const IF_MISSING = { error: 'error', create: 'create' } as const;

const LABELS = { groups: 'Access Groups', managed: 'Managed Access Groups' } as const;

const fields = {
  member: member({
    key: 'member',
    label: 'Member',
    helpText: "The member's email or Sotion member ID. Example: `ada@example.com`.",
  }),
  groups: accessGroups({
    key: 'access_group_ids',
    label: LABELS.groups,
    helpText:
      "The member's groups after this step. Empty: out of every managed group (a cancellation). " +
      'Example: `3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  managed: accessGroups({
    key: 'managed_access_group_ids',
    label: LABELS.managed,
    helpText:
      'Groups this step may take the member out of. Empty: every custom group. Example: ' +
      '`3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`.',
  }),
  ifMissing: choice({
    key: 'if_member_missing',
    label: "If the Member Doesn't Exist",
    default: IF_MISSING.error,
    choices: [
      { value: IF_MISSING.error, label: 'Stop with an error' },
      { value: IF_MISSING.create, label: 'Create the member (needs an email)' },
    ],
    helpText:
      'When no member has the email: **Create the member (needs an email)** makes one, already ' +
      'in Access Groups and with Paid. Example: **Create the member (needs an email)**.',
  }),
  paid: bool({
    key: 'paid',
    label: 'Paid',
    helpText:
      'Sets the paying-customer flag (only when it differs); empty leaves it. Example: `false` ' +
      'for a cancellation.',
  }),
};
const inputFields = defineInputFields(fieldsOf(...Object.values(fields)));

type Values = ReturnType<typeof readInputs<typeof fields>>;
type GroupType = AccessGroup['type'];

/** What the step knows of access groups (by lowercase id): from member answers and the list. */
class Groups {
  private readonly facts = new Map<string, { name: string | null; type?: GroupType }>();
  listRead = false;

  learnMember(from: Member): void {
    for (const group of from.accessGroups) {
      const id = group.id.toLowerCase();
      const before = this.facts.get(id);
      // Sotion's docs promise only id and name here; a `type` is used when it is there.
      const type = group.type === 'custom' || group.type === 'scope' ? group.type : undefined;
      this.facts.set(id, { name: group.name ?? before?.name ?? null, type: before?.type ?? type });
    }
  }

  learnList(groups: Map<string, AccessGroup>): void {
    this.listRead = true;
    for (const [id, group] of groups) this.facts.set(id, { name: group.name, type: group.type });
  }

  type = (id: string): GroupType | undefined => this.facts.get(id)?.type;
  name = (id: string): string => this.facts.get(id)?.name ?? id;
  quoted = (ids: string[]): string => ids.map((id) => `"${this.name(id)}"`).join(', ');

  /** A chosen group known to be a scope group, or (once the list was read) not on the site. */
  check(z: ZObject, chosen: Map<string, string>): void {
    for (const [id, label] of chosen) {
      const type = this.type(id);
      if (type === 'scope') {
        throw inputError(
          z,
          `${label} includes "${this.name(id)}" (${id}), a scope group: scope groups come from ` +
            `Notion collections and cannot be changed through the API. Remove it from ${label}.`,
        );
      }
      if (this.listRead && type === undefined) {
        throw inputError(
          z,
          `${label} includes ${id}, but this site has no access group with that ID (it may have ` +
            `been deleted). Remove it from ${label}, or pick the group from the dropdown.`,
        );
      }
    }
  }
}

interface Done {
  added: string[];
  removed: string[];
  /** Chosen groups the member was already in (or that another run added meanwhile: 409). */
  kept: string[];
  paidChanged: boolean;
  memberCreated: boolean;
  /** Another run changed the member meanwhile (409 on an add, 404 on a removal). */
  raced: boolean;
}

const lower = (ids: string[]) => [...new Set(ids.map((id) => id.toLowerCase()))];

/** The member with its groups: by ID one read, by email a look-up and the read. */
const readMember = async (
  client: SotionClient,
  ref: MemberRef,
): Promise<{ found?: Member; requestId?: string }> => {
  let id: string;
  if ('id' in ref) id = ref.id;
  else {
    const listed = await findMemberByEmail(client, ref.email);
    if (!listed) return {};
    id = listed.id;
  }
  try {
    return { found: await getMember(client, id) };
  } catch (error) {
    if (!isNotFound(error)) throw error;
    return { requestId: errorInfo(error)?.requestId };
  }
};

/** POST /members with the chosen groups (atomic); a 409 means the member appeared meanwhile. */
const createMember = async (
  client: SotionClient,
  email: string,
  values: Values,
): Promise<{ member: Member; created: boolean }> => {
  const outcome = await client.call(members.create, {
    body: {
      email,
      ...(values.paid !== undefined ? { paid: values.paid } : {}),
      ...(values.groups.length ? { accessGroupIds: values.groups } : {}),
    },
    acceptsConflict: true,
    forbidden: values.groups.length ? undefined : CREATE_REFUSED_BY_PLAN,
  });
  if (outcome.ok) return { member: outcome.data.data, created: true };
  const appeared = await findMemberByEmail(client, email);
  const { found } = appeared ? await readMember(client, { id: appeared.id }) : {};
  if (found) return { member: found, created: false };
  throw userError(
    client.z,
    `Sotion says a member with the email ${email} exists (409 Conflict), but it could not be ` +
      `read. It may have just been deleted or changed; replay the step.` +
      requestIdSuffix(outcome.requestId),
    'member_exists',
    { status: 409, requestId: outcome.requestId, transient: true },
  );
};

/** Adds, then removals, then Paid: a run that stops part-way leaves more access, never less. */
const setGroups = async (
  client: SotionClient,
  start: Member,
  values: Values,
  groups: Groups,
  done: Done,
): Promise<Member> => {
  const z = client.z;
  const wanted = values.groups;
  const managed = new Set(values.managed);
  const chosen = new Map([
    ...values.managed.map((id): [string, string] => [id, LABELS.managed]),
    ...wanted.map((id): [string, string] => [id, LABELS.groups]),
  ]);
  groups.learnMember(start);
  groups.check(z, chosen);
  const current = lower(start.accessGroups.map((g) => g.id));
  const isIn = new Set(current);
  const add = wanted.filter((id) => !isIn.has(id));
  done.kept.push(...wanted.filter((id) => isIn.has(id)));
  // Managed: Managed Access Groups and the chosen groups, or every custom group.
  const candidates = current.filter(
    (id) => !wanted.includes(id) && (managed.size ? managed.has(id) : groups.type(id) !== 'scope'),
  );
  const unknown = candidates.filter((id) => groups.type(id) === undefined);
  if (add.length + (managed.size ? unknown.length : 0) > 1 || (!managed.size && unknown.length)) {
    groups.learnList(await accessGroupsByIds(client, [...chosen.keys(), ...candidates]));
    groups.check(z, chosen);
  }
  // An unknown group left unread is the only one: it goes first (only when nothing is added).
  const remove = candidates
    .filter((id) => managed.size || groups.type(id) === 'custom')
    .sort((a, b) => Number(!!groups.type(a)) - Number(!!groups.type(b)));

  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (!done.added.length && !done.removed.length) throw error;
      const what = [
        done.added.length ? `added ${start.email} to ${groups.quoted(done.added)}` : '',
        done.removed.length ? `removed ${start.email} from ${groups.quoted(done.removed)}` : '',
      ].filter(Boolean);
      throw afterDone(
        z,
        `The step had already ${what.join(' and ')} when it stopped; replaying it finishes the ` +
          'change (it changes only what still differs).',
        error,
      );
    }
  };
  let latest = start;
  for (const id of add) {
    const after = await guarded(() => addMemberToGroup(client, id, start.id));
    if (after) {
      done.added.push(id);
      latest = after;
      groups.learnMember(after);
    } else {
      done.kept.push(id);
      done.raced = true;
    }
  }
  for (const id of remove) {
    const outcome = await guarded(() =>
      client.call(groupMembers.remove, { params: { groupId: id, memberId: start.id } }),
    );
    if (outcome.ok) done.removed.push(id);
    else done.raced = true;
  }
  if (values.paid !== undefined && values.paid !== start.paid) {
    const paid = values.paid;
    latest = await guarded(async () => {
      const outcome = await client.call(members.update, {
        params: { memberId: start.id },
        body: { paid },
      });
      // members.update expects only a 409 (email taken), which a Paid change cannot cause.
      if (!outcome.ok) throw unexpected(z, outcome.status, outcome.requestId);
      return outcome.data.data;
    });
    done.paidChanged = true;
  } else if (done.raced) {
    // Another run changed the member meanwhile: its state now is Sotion's to say.
    latest = await guarded(() => getMember(client, start.id));
  } else {
    const removed = new Set(done.removed);
    latest = {
      ...latest,
      accessGroups: latest.accessGroups.filter((g) => !removed.has(g.id.toLowerCase())),
    };
  }
  groups.learnMember(latest);
  return latest;
};

export const perform = (async (z, bundle) => {
  const values = readInputs(z, bundle.inputData, fields);
  const ref = values.member;
  const client = new SotionClient(z, bundle);
  const groups = new Groups();
  const done: Done = {
    added: [],
    removed: [],
    kept: [],
    paidChanged: false,
    memberCreated: false,
    raced: false,
  };
  const read = await readMember(client, ref);
  let result = read.found;
  if (!result) {
    if (values.ifMissing !== IF_MISSING.create || !('email' in ref)) {
      throw memberNotFound(
        z,
        ref,
        'Member',
        values.ifMissing === IF_MISSING.create
          ? 'A member can be created only from an email: map the email into Member.'
          : 'Check it, or set "If the Member Doesn\'t Exist" to "Create the member".',
        read.requestId,
      );
    }
    const made = await createMember(client, ref.email, values);
    if (made.created) {
      groups.learnMember(made.member);
      done.added.push(...values.groups);
      done.memberCreated = true;
      result = made.member;
    } else result = await setGroups(client, made.member, values, groups, done);
  } else result = await setGroups(client, result, values, groups, done);
  const names = (ids: string[]) => ids.map(groups.name);
  const kept = values.groups.filter((id) => done.kept.includes(id));
  return {
    ...memberOutput(result),
    addedIds: done.added,
    addedNames: names(done.added),
    removedIds: done.removed,
    removedNames: names(done.removed),
    keptIds: kept,
    keptNames: names(kept),
    changed:
      done.added.length > 0 || done.removed.length > 0 || done.paidChanged || done.memberCreated,
    memberCreated: done.memberCreated,
    paidChanged: done.paidChanged,
  };
}) satisfies CreatePerform<typeof inputFields>;

const SILVER = { id: '7d1e5b2a-3c4f-4a8b-9e6d-0f1a2b3c4d5e', name: 'Silver Plan' };

/** A plan change: into Premium Members (the member sample's group), out of Silver Plan. */
export const setGroupsSample = {
  ...memberSample,
  addedIds: [accessGroupSample.id],
  addedNames: [accessGroupSample.name],
  removedIds: [SILVER.id],
  removedNames: [SILVER.name],
  keptIds: [] as string[],
  keptNames: [] as string[],
  changed: true,
  memberCreated: false,
  paidChanged: false,
};

export const setGroupsOutputFields = [
  ...memberOutputFields,
  { key: 'addedIds', label: 'Access Groups Added (IDs)', type: 'string', list: true },
  { key: 'addedNames', label: 'Access Groups Added (Names)', type: 'string', list: true },
  { key: 'removedIds', label: 'Access Groups Removed (IDs)', type: 'string', list: true },
  { key: 'removedNames', label: 'Access Groups Removed (Names)', type: 'string', list: true },
  { key: 'keptIds', label: 'Access Groups Kept (IDs)', type: 'string', list: true },
  { key: 'keptNames', label: 'Access Groups Kept (Names)', type: 'string', list: true },
  { key: 'changed', label: 'Changed', type: 'boolean', required: true },
  { key: 'memberCreated', label: 'Member Created', type: 'boolean', required: true },
  { key: 'paidChanged', label: 'Paid Changed', type: 'boolean', required: true },
] satisfies PlainOutputField[];

export default defineCreate({
  key: 'set_member_access_groups',
  noun: 'Member',
  display: {
    label: "Set Member's Access Groups",
    description: 'Puts a member in exactly the chosen access groups (a plan change).',
  },
  operation: {
    inputFields,
    perform,
    sample: setGroupsSample,
    outputFields: setGroupsOutputFields,
  },
});

export const requests =
  'by ID 1, by email 2; + 1 per group added or removed, + 1 when Paid differs, + the group ' +
  'list (a page per 100) when 2+ groups need checking first. Silver → Gold by ID: 3 (4 ' +
  'without group types); repeat: 1; "create": 2';

export const cannot =
  'Scope groups (managed from Notion) are never changed, so they cannot be chosen. When Sotion answers 204 for a member already out of a group, two runs at once may both report the removal.';
