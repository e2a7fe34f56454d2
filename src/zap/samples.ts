import type { PlainOutputField } from 'zapier-platform-core';
import type { AccessGroup, Member, MemberListItem } from '../api/schemas';

/**
 * Static samples and output fields, one pair per kind of object, shared by every operation that
 * returns it. test/samples.test.ts checks that each sample has exactly the keys and types of its
 * output fields.
 */

export const accessGroupSample: AccessGroup = {
  id: '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10',
  name: 'Premium Members',
  description: 'Paying members who can read the premium guides.',
  type: 'custom',
  memberCount: 42,
  createdAt: '2026-05-04T09:15:27.000Z',
  updatedAt: '2026-05-06T17:02:11.000Z',
};

export const accessGroupOutputFields = [
  { key: 'id', label: 'Access Group ID', type: 'string', required: true },
  { key: 'name', label: 'Name', type: 'string', required: true },
  { key: 'description', label: 'Description', type: 'string' },
  { key: 'type', label: 'Type', type: 'string', required: true },
  { key: 'memberCount', label: 'Member Count', type: 'integer', required: true },
  { key: 'createdAt', label: 'Created At', type: 'datetime' },
  { key: 'updatedAt', label: 'Updated At', type: 'datetime' },
] satisfies PlainOutputField[];

export const createdAccessGroupSample = { ...accessGroupSample, alreadyExisted: false };

export const createdAccessGroupOutputFields = [
  ...accessGroupOutputFields,
  { key: 'alreadyExisted', label: 'Already Existed', type: 'boolean', required: true },
] satisfies PlainOutputField[];

/**
 * A member as every member step outputs it: Sotion's fields, plus its access groups as lists of
 * ids and names a later step can map directly ([] when the answer did not include groups).
 */
// Not Omit<MemberListItem, …>: the list form is a loose object (an index signature), and Omit
// over one keeps only the index signature, losing id, email and the rest.
export type MemberOutput = MemberListItem & {
  accessGroups: Array<{ id: string; name: string | null }>;
  accessGroupIds: string[];
  accessGroupNames: string[];
};

export const memberOutput = (member: MemberListItem | Member): MemberOutput => {
  const groups =
    'accessGroups' in member && Array.isArray(member.accessGroups) ? member.accessGroups : [];
  const accessGroups = (groups as Member['accessGroups']).map((g) => ({
    id: g.id,
    name: g.name ?? null,
  }));
  return {
    ...member,
    accessGroups,
    accessGroupIds: accessGroups.map((g) => g.id),
    accessGroupNames: accessGroups.map((g) => g.name ?? g.id),
  };
};

/** A member as GET /members lists it: without access groups (the list does not carry them). */
export const memberListSample: MemberListItem = {
  id: '0b7c2e1d-5a4f-4c3b-9e8d-1f2a3b4c5d6e',
  email: 'ada@example.com',
  displayName: 'Ada Lovelace',
  status: 'active',
  verified: true,
  paid: true,
  registeredAt: '2026-05-04T09:20:00.000Z',
  lastLoginAt: '2026-05-06T08:01:44.000Z',
  createdAt: '2026-05-04T09:20:00.000Z',
  updatedAt: '2026-05-06T08:01:44.000Z',
};

export const memberSample: MemberOutput = {
  ...memberListSample,
  accessGroups: [{ id: accessGroupSample.id, name: accessGroupSample.name }],
  accessGroupIds: [accessGroupSample.id],
  accessGroupNames: [accessGroupSample.name],
};

export const memberOutputFields = [
  { key: 'id', label: 'Member ID', type: 'string', required: true },
  { key: 'email', label: 'Email', type: 'string', required: true },
  { key: 'displayName', label: 'Display Name', type: 'string' },
  { key: 'status', label: 'Status', type: 'string', required: true },
  { key: 'verified', label: 'Verified', type: 'boolean' },
  { key: 'paid', label: 'Paid', type: 'boolean' },
  { key: 'registeredAt', label: 'Registered At', type: 'datetime' },
  { key: 'lastLoginAt', label: 'Last Login At', type: 'datetime' },
  { key: 'createdAt', label: 'Created At', type: 'datetime' },
  { key: 'updatedAt', label: 'Updated At', type: 'datetime' },
  // "Access Groups: …" (each of the member's groups), apart from an event's own Access Group ID.
  { key: 'accessGroups[]id', label: 'Access Groups: ID', type: 'string' },
  { key: 'accessGroups[]name', label: 'Access Groups: Name', type: 'string' },
  { key: 'accessGroupIds', label: 'Access Group IDs', type: 'string', list: true },
  { key: 'accessGroupNames', label: 'Access Group Names', type: 'string', list: true },
] satisfies PlainOutputField[];

export const memberListOutputFields = memberOutputFields.filter(
  (field) => !field.key.startsWith('accessGroup'),
);
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

/** Add Member to Access Group. */
export const groupAddedMemberSample = {
  ...memberSample,
  alreadyInGroup: false,
  memberCreated: false,
};

export const groupAddedMemberOutputFields = [
  ...memberOutputFields,
  { key: 'alreadyInGroup', label: 'Already in Group', type: 'boolean', required: true },
  { key: 'memberCreated', label: 'Member Created', type: 'boolean', required: true },
] satisfies PlainOutputField[];

/** Block Member / Unblock Member. */
export const statusChangedMemberSample = { ...memberSample, changed: true };

export const statusChangedMemberOutputFields = [
  ...memberOutputFields,
  { key: 'changed', label: 'Changed', type: 'boolean', required: true },
] satisfies PlainOutputField[];

/** Delete Member: the member is gone, so only what the step knew of it. */
export const deletedMemberSample = {
  id: memberSample.id,
  email: memberSample.email as string | null,
  deleted: true,
};

export const deletedMemberOutputFields = [
  { key: 'id', label: 'Member ID', type: 'string' },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'deleted', label: 'Deleted', type: 'boolean', required: true },
] satisfies PlainOutputField[];

/** Remove Member From Access Group. */
export const removedMemberSample = {
  memberId: memberSample.id as string | null,
  email: memberSample.email as string | null,
  accessGroupId: accessGroupSample.id,
  removed: true,
  reason: null as string | null,
};

export const removedMemberOutputFields = [
  { key: 'memberId', label: 'Member ID', type: 'string' },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'accessGroupId', label: 'Access Group ID', type: 'string', required: true },
  { key: 'removed', label: 'Removed', type: 'boolean', required: true },
  { key: 'reason', label: 'Reason Not Removed', type: 'string' },
] satisfies PlainOutputField[];

/** Send Login Link. */
export const sentLoginLinkSample = {
  memberId: memberSample.id,
  email: memberSample.email as string | null,
  status: 'sent',
};

export const sentLoginLinkOutputFields = [
  { key: 'memberId', label: 'Member ID', type: 'string', required: true },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'status', label: 'Status', type: 'string', required: true },
] satisfies PlainOutputField[];

/** Create Login Link: the link itself (a credential: it appears only in this output). */
export const createdLoginLinkSample = {
  memberId: memberSample.id,
  email: memberSample.email as string | null,
  url: 'https://docs.example.com/_auth?token=0f3c9a1e5b7d4c2a8e6f1b3d5a7c9e0f',
  expiresAt: '2026-05-07T09:20:00.000Z' as string | null,
};

export const createdLoginLinkOutputFields = [
  { key: 'memberId', label: 'Member ID', type: 'string', required: true },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'url', label: 'Login Link URL', type: 'string', required: true },
  { key: 'expiresAt', label: 'Expires At', type: 'datetime' },
] satisfies PlainOutputField[];
