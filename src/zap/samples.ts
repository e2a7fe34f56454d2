import type { PlainOutputField } from 'zapier-platform-core';
import type { AccessGroup, Member, MemberListItem } from '../api/schemas';

/**
 * Static samples and output fields, one pair per kind of object, shared by every operation that
 * returns it; what one operation adds stays in its file. test/definition.test.ts checks that each
 * operation's sample has exactly the keys and types of its output fields.
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
