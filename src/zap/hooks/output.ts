import type { PlainOutputField } from 'zapier-platform-core';
import type { AccessGroup, Member, MemberListItem } from '../../api/schemas';
import {
  accessGroupOutputFields,
  accessGroupSample,
  memberOutput,
  memberOutputFields,
  memberSample,
} from '../samples';

/**
 * What an instant trigger outputs: the event's `data` flattened for mapping (the member's or the
 * group's fields at the top level), plus the envelope's `id`, `type` and `timestamp` as `id`,
 * `eventType` and `occurredAt`. The object's own id moves to `memberId` / `accessGroupId`, since
 * `id` is the event's. The payloads are undocumented, so reading is lenient: unknown fields are
 * kept, a missing optional field is null, and nothing here throws.
 */

export type Json = Record<string, unknown>;

export interface Envelope {
  id: string;
  type: string;
  timestamp: string | null;
}

export const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** The first text among `keys` of `data`. */
export const pickText = (data: Json, ...keys: string[]): string | undefined => {
  for (const key of keys) {
    const found = textOf(data[key]);
    if (found !== undefined) return found;
  }
  return undefined;
};

const MEMBER_DEFAULTS = {
  email: null,
  displayName: null,
  status: null,
  verified: null,
  paid: null,
  registeredAt: null,
  lastLoginAt: null,
  createdAt: null,
  updatedAt: null,
};

const GROUP_DEFAULTS = {
  name: null,
  description: null,
  type: null,
  memberCount: null,
  createdAt: null,
  updatedAt: null,
};

/** A member's fields for an output: `memberId` instead of `id`, groups as lists. */
export const memberFields = (member: Json, memberId: string | undefined): Json => {
  const groups = Array.isArray(member.accessGroups)
    ? member.accessGroups.filter((g): g is Json => isRecord(g) && textOf(g.id) !== undefined)
    : [];
  const {
    id: _id,
    memberId: _memberId,
    ...rest
  } = memberOutput({
    ...MEMBER_DEFAULTS,
    ...member,
    accessGroups: groups,
  } as unknown as Member);
  return { memberId: memberId ?? null, ...rest };
};

/** A group's fields for an output: `accessGroupId` instead of `id`. */
export const groupFields = (group: Json, groupId: string | undefined): Json => {
  const { id: _id, accessGroupId: _gid, ...rest }: Json = { ...GROUP_DEFAULTS, ...group };
  return { accessGroupId: groupId ?? null, ...rest };
};

/** A group's fields beside a member's: `accessGroup` + the field name (`accessGroupName`). */
export const prefixedGroupFields = (group: Json, groupId: string | undefined): Json => {
  const { accessGroupId, ...rest } = groupFields(group, groupId);
  const out: Json = { accessGroupId };
  for (const [key, value] of Object.entries(rest)) {
    out[`accessGroup${key.charAt(0).toUpperCase()}${key.slice(1)}`] = value;
  }
  return out;
};

/**
 * The event's fields, and whether the item holds every detail Sotion has about the event's
 * objects: `missing` says why not (read too late, gone, not named), in words for the Zap builder.
 */
export const envelopeFields = (envelope: Envelope, missing?: string): Json => ({
  id: envelope.id,
  eventType: envelope.type,
  occurredAt: envelope.timestamp,
  detailsComplete: missing === undefined,
  detailsMissingReason: missing ?? null,
});

/** Unknown fields of `data` are kept, but never over the fields the trigger documents. */
export const withEnvelope = (
  envelope: Envelope,
  extra: Json,
  fields: Json,
  missing?: string,
): Json => ({
  ...extra,
  ...fields,
  ...envelopeFields(envelope, missing),
});

/* ---- the output fields and sample values every shape builds on ---- */

export const ENVELOPE_FIELDS = [
  { key: 'id', label: 'Event ID', type: 'string', required: true },
  { key: 'eventType', label: 'Event Type', type: 'string', required: true },
  { key: 'occurredAt', label: 'Occurred At', type: 'datetime' },
  { key: 'detailsComplete', label: 'Details Complete', type: 'boolean', required: true },
  { key: 'detailsMissingReason', label: 'Details Missing Reason', type: 'string' },
] satisfies PlainOutputField[];

const renamed = (fields: PlainOutputField[], id: PlainOutputField): PlainOutputField[] =>
  fields.map((field) => (field.key === 'id' ? id : field));

export const MEMBER_ID_FIELD = {
  key: 'memberId',
  label: 'Member ID',
  type: 'string',
  required: true,
} satisfies PlainOutputField;
export const GROUP_ID_FIELD = {
  key: 'accessGroupId',
  label: 'Access Group ID',
  type: 'string',
  required: true,
} satisfies PlainOutputField;

export const memberFieldList = renamed(memberOutputFields, MEMBER_ID_FIELD);
export const groupFieldList = renamed(accessGroupOutputFields, GROUP_ID_FIELD);

/**
 * The membership events' group fields: "Access Group ID" (as in every other output),
 * "Access Group Name" and so on, beside the member's "Access Groups: …".
 */
export const prefixedGroupFieldList: PlainOutputField[] = accessGroupOutputFields.map((field) =>
  field.key === 'id'
    ? GROUP_ID_FIELD
    : {
        ...field,
        key: `accessGroup${field.key.charAt(0).toUpperCase()}${field.key.slice(1)}`,
        label: `Access Group ${field.label}`,
      },
);

export const sampleEnvelope = (type: string): Envelope => ({
  id: '6a1f0c2e-93b7-4d5a-8e21-0f4c7b9d2a63',
  type,
  timestamp: '2026-05-06T08:01:45.000Z',
});

export const memberSampleFields = memberFields({ ...memberSample }, String(memberSample.id));
export const groupSampleFields = groupFields({ ...accessGroupSample }, accessGroupSample.id);

/** The objects a list endpoint returns, as the plain records the shapers read. */
export const asJson = (value: AccessGroup | Member | MemberListItem): Json => ({ ...value });

export const omit = (data: Json, keys: string[]): Json =>
  Object.fromEntries(Object.entries(data).filter(([key]) => !keys.includes(key)));

/** The first time among `keys` of an object, for the editor's test items. */
export const occurred = (object: Json, ...keys: string[]): string | null =>
  pickText(object, ...keys) ?? null;

/** An envelope standing in for a delivery about `object` (the editor's test). */
export const stand = (object: Json, type: string, ...timeKeys: string[]): Envelope => ({
  id: String(object.id),
  type,
  timestamp: occurred(object, ...timeKeys),
});
