import type { PlainOutputField } from 'zapier-platform-core';
import type { AccessGroup } from '../api/schemas';

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
