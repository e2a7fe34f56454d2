import type { PlainOutputField } from 'zapier-platform-core';
import { getAccessGroup, newestAccessGroups } from '../../api/access-groups';
import { groupMembers } from '../../api/group-members';
import { getMember, members as membersApi } from '../../api/members';
import type { SotionClient } from '../../http/client';
import { fetchPage } from '../../http/pagination';
import { accessGroupSample, memberSample } from '../samples';
import { groupOf, memberOf, missingReason } from './details';
import {
  asJson,
  ENVELOPE_FIELDS,
  GROUP_ID_FIELD,
  groupFieldList,
  groupFields,
  groupSampleFields,
  MEMBER_ID_FIELD,
  memberFieldList,
  memberFields,
  memberSampleFields,
  occurred,
  omit,
  pickText,
  prefixedGroupFieldList,
  prefixedGroupFields,
  sampleEnvelope,
  stand,
  withEnvelope,
  type Envelope,
  type Json,
} from './output';

/**
 * One record per shape of an event's `data`: everything that differs between the instant
 * triggers lives here, so a new shape is one more entry in SHAPES.
 */
export interface EventShape {
  /** The output fields (the envelope's first). */
  outputFields: PlainOutputField[];
  /** The sample for an event type, with exactly the output fields. */
  sample: (event: string) => Json;
  /**
   * A delivery's output (one request per object the delivery lacks, at most), saying whether it
   * holds every detail; never fails for a read the details budget could not outlast.
   */
  fromDelivery: (client: SotionClient, envelope: Envelope, data: Json) => Promise<Json>;
  /** The requests `fromDelivery` makes, for docs/operations.md. */
  eachEvent: string;
  /** The editor's test ("Find new records"): real recent objects, shaped like deliveries. */
  recent: (client: SotionClient, event: string, groupIds: string[]) => Promise<Json[]>;
}

/** Items of an editor test. */
const LIST_SIZE = 3;

const newestMembers = async (client: SotionClient): Promise<Json[]> => {
  const page = await fetchPage(client, membersApi.list, { limit: LIST_SIZE });
  return page.items.map(asJson);
};

const newestGroups = async (client: SotionClient): Promise<Json[]> => {
  const { groups } = await newestAccessGroups(client, { max: LIST_SIZE, firstPageOnly: true });
  return groups.map(asJson);
};

/** Members with one of their groups each: of the chosen groups, or of the newest members. */
const membershipList = async (
  client: SotionClient,
  event: string,
  groupIds: string[],
): Promise<Json[]> => {
  const pairs: Array<{ memberId: string; groupId: string }> = [];
  for (const groupId of groupIds) {
    const page = await fetchPage(client, groupMembers.list, {
      params: { groupId },
      limit: LIST_SIZE,
    });
    pairs.push(...page.items.map((m) => ({ memberId: m.id, groupId })));
    if (pairs.length >= LIST_SIZE) break;
  }
  const out: Json[] = [];
  const groups = new Map<string, Json>();
  const groupById = async (id: string) => {
    const known = groups.get(id) ?? asJson(await getAccessGroup(client, id));
    groups.set(id, known);
    return known;
  };
  const memberIds = groupIds.length
    ? pairs.map((p) => p.memberId)
    : (await newestMembers(client)).map((m) => String(m.id));
  for (const [i, memberId] of memberIds.slice(0, LIST_SIZE).entries()) {
    const fetched = await getMember(client, memberId);
    const member = asJson(fetched);
    const groupId = pairs[i]?.groupId ?? fetched.accessGroups[0]?.id;
    if (!groupId) continue;
    const group = await groupById(groupId);
    out.push(
      withEnvelope(
        { id: `${memberId}:${groupId}`, type: event, timestamp: occurred(member, 'updatedAt') },
        {},
        { ...memberFields(member, memberId), ...prefixedGroupFields(group, groupId) },
      ),
    );
  }
  return out;
};

/** member.created, member.updated, member.auth: the member, with its groups. */
const member: EventShape = {
  outputFields: [...ENVELOPE_FIELDS, ...memberFieldList],
  sample: (event) => withEnvelope(sampleEnvelope(event), {}, memberSampleFields),
  fromDelivery: async (client, envelope, data) => {
    const { id, object: member, missing } = await memberOf(client, data);
    const extra = omit(data, ['member', 'memberId', ...Object.keys(member)]);
    return withEnvelope(envelope, extra, memberFields(member, id), missingReason([missing]));
  },
  eachEvent: "0 (1 when the delivery lacks the member's email)",
  recent: async (client, event) => {
    const out: Json[] = [];
    for (const item of await newestMembers(client)) {
      const member = asJson(await getMember(client, String(item.id)));
      const time = event === 'member.auth' ? ['lastLoginAt', 'updatedAt'] : ['updatedAt'];
      out.push(
        withEnvelope(
          stand(member, event, ...time, 'createdAt'),
          {},
          memberFields(member, String(member.id)),
        ),
      );
    }
    return out;
  },
};

/** member.deleted: only what the delivery carries (the member is gone). */
const memberDeleted: EventShape = {
  outputFields: [
    ...ENVELOPE_FIELDS,
    MEMBER_ID_FIELD,
    { key: 'email', label: 'Email', type: 'string' },
  ],
  sample: (event) =>
    withEnvelope(
      sampleEnvelope(event),
      {},
      { memberId: String(memberSample.id), email: memberSample.email },
    ),
  fromDelivery: async (_client, envelope, data) => {
    const id = pickText(data, 'id', 'memberId');
    const { id: _id, memberId: _m, email, ...extra } = data;
    // A deleted member cannot be read: the delivery is all there is, once it names the member.
    const missing = missingReason([id ? undefined : { what: 'member', cause: 'unnamed' }]);
    return withEnvelope(envelope, extra, { memberId: id ?? null, email: email ?? null }, missing);
  },
  eachEvent: '0',
  recent: async (client, event) =>
    (await newestMembers(client)).map((m) =>
      withEnvelope(
        stand(m, event, 'updatedAt', 'createdAt'),
        {},
        { memberId: m.id, email: m.email },
      ),
    ),
};

/** access-group.created, access-group.updated: the group. */
const group: EventShape = {
  outputFields: [...ENVELOPE_FIELDS, ...groupFieldList],
  sample: (event) => withEnvelope(sampleEnvelope(event), {}, groupSampleFields),
  fromDelivery: async (client, envelope, data) => {
    const { id, object: group, missing } = await groupOf(client, data, true);
    const extra = omit(data, ['accessGroup', 'accessGroupId', ...Object.keys(group)]);
    return withEnvelope(envelope, extra, groupFields(group, id), missingReason([missing]));
  },
  eachEvent: '0',
  recent: async (client, event) =>
    (await newestGroups(client)).map((g) =>
      withEnvelope(stand(g, event, 'updatedAt', 'createdAt'), {}, groupFields(g, String(g.id))),
    ),
};

/** access-group.deleted: only what the delivery carries (the group is gone). */
const groupDeleted: EventShape = {
  outputFields: [
    ...ENVELOPE_FIELDS,
    GROUP_ID_FIELD,
    { key: 'name', label: 'Name', type: 'string' },
  ],
  sample: (event) =>
    withEnvelope(
      sampleEnvelope(event),
      {},
      { accessGroupId: accessGroupSample.id, name: accessGroupSample.name },
    ),
  fromDelivery: async (_client, envelope, data) => {
    const id = pickText(data, 'id', 'accessGroupId');
    const { id: _id, accessGroupId: _g, name, ...extra } = data;
    // A deleted group cannot be read: the delivery is all there is, once it names the group.
    const missing = missingReason([id ? undefined : { what: 'access group', cause: 'unnamed' }]);
    return withEnvelope(
      envelope,
      extra,
      { accessGroupId: id ?? null, name: name ?? null },
      missing,
    );
  },
  eachEvent: '0',
  recent: async (client, event) =>
    (await newestGroups(client)).map((g) =>
      withEnvelope(
        stand(g, event, 'updatedAt', 'createdAt'),
        {},
        { accessGroupId: g.id, name: g.name },
      ),
    ),
};

/** access-group.member.added / removed: the member and the group side by side. */
const membership: EventShape = {
  outputFields: [...ENVELOPE_FIELDS, ...memberFieldList, ...prefixedGroupFieldList],
  sample: (event) =>
    withEnvelope(
      sampleEnvelope(event),
      {},
      {
        ...memberSampleFields,
        ...prefixedGroupFields({ ...accessGroupSample }, accessGroupSample.id),
      },
    ),
  fromDelivery: async (client, envelope, data) => {
    const [member, group] = await Promise.all([
      memberOf(client, data),
      groupOf(client, data, false),
    ]);
    const extra = omit(data, ['member', 'accessGroup', 'memberId', 'accessGroupId', 'groupId']);
    return withEnvelope(
      envelope,
      extra,
      {
        ...memberFields(member.object, member.id),
        ...prefixedGroupFields(group.object, group.id),
      },
      missingReason([member.missing, group.missing]),
    );
  },
  eachEvent: '0 (1 each for the member and the group when the delivery carries only ids)',
  recent: membershipList,
};

export const SHAPES = { member, memberDeleted, group, groupDeleted, membership } satisfies Record<
  string,
  EventShape
>;

/** The shape of an event's `data`, which decides the output, the sample and the fields. */
export type HookShape = keyof typeof SHAPES;
