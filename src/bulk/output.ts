import type { PlainOutputField } from 'zapier-platform-core';
import type { BulkReport, MemberResult, Outcome } from './run';

export type BulkOutput = {
  total: number;
  createdCount: number;
  existingCount: number;
  addedToGroupsCount: number;
  updatedCount: number;
  invalidCount: number;
  duplicateCount: number;
  failedCount: number;
  createdEmails: string[];
  existingEmails: string[];
  addedToGroupsEmails: string[];
  updatedEmails: string[];
  invalidEmails: string[];
  duplicateEmails: string[];
  failedEmails: string[];
  accessGroupIds: string[];
  apiRequests: number;
  results: MemberResult[];
};

const emailsWith = (results: MemberResult[], status: Outcome) =>
  results.filter((r) => r.status === status).map((r) => r.email);

export const summarize = (report: BulkReport, accessGroupIds: string[]): BulkOutput => {
  const { results } = report;
  const lists = {
    createdEmails: emailsWith(results, 'created'),
    existingEmails: emailsWith(results, 'existing'),
    addedToGroupsEmails: emailsWith(results, 'added_to_groups'),
    updatedEmails: emailsWith(results, 'updated'),
    invalidEmails: emailsWith(results, 'invalid'),
    duplicateEmails: emailsWith(results, 'duplicate'),
    failedEmails: emailsWith(results, 'failed'),
  };
  return {
    total: results.length,
    createdCount: lists.createdEmails.length,
    existingCount: lists.existingEmails.length,
    addedToGroupsCount: lists.addedToGroupsEmails.length,
    updatedCount: lists.updatedEmails.length,
    invalidCount: lists.invalidEmails.length,
    duplicateCount: lists.duplicateEmails.length,
    failedCount: lists.failedEmails.length,
    ...lists,
    accessGroupIds,
    apiRequests: report.apiRequests,
    results,
  };
};

export const count = (n: number) => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many = `${one}s`) =>
  `${count(n)} ${n === 1 ? one : many}`;

/** One sentence of what a run did, for error messages. */
export const progressSentence = (out: BulkOutput): string => {
  const parts = [
    `${count(out.createdCount)} created`,
    `${count(out.existingCount + out.addedToGroupsCount + out.updatedCount)} already members` +
      (out.addedToGroupsCount
        ? ` (${count(out.addedToGroupsCount)} of them added to the groups)`
        : '') +
      (out.updatedCount ? ` (${count(out.updatedCount)} of them updated)` : ''),
  ];
  if (out.invalidCount) parts.push(`${count(out.invalidCount)} invalid`);
  if (out.duplicateCount) parts.push(`${count(out.duplicateCount)} duplicates in the input`);
  if (out.failedCount) parts.push(`${count(out.failedCount)} failed or not sent`);
  return `Of ${plural(out.total, 'email')}: ${parts.join(', ')}.`;
};

export const bulkSample: BulkOutput = {
  total: 4,
  createdCount: 1,
  existingCount: 0,
  addedToGroupsCount: 1,
  updatedCount: 0,
  invalidCount: 1,
  duplicateCount: 1,
  failedCount: 0,
  createdEmails: ['ada@example.com'],
  existingEmails: [],
  addedToGroupsEmails: ['grace@example.com'],
  updatedEmails: [],
  invalidEmails: ['not-an-email'],
  duplicateEmails: ['ada@example.com'],
  failedEmails: [],
  accessGroupIds: ['3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10'],
  apiRequests: 4,
  results: [
    {
      email: 'ada@example.com',
      source: 'line item 1',
      status: 'created',
      memberId: '0b7c2e1d-5a4f-4c3b-9e8d-1f2a3b4c5d6e',
      reason: null,
    },
    {
      email: 'grace@example.com',
      source: 'email list entry 1',
      status: 'added_to_groups',
      memberId: '8e1d7c6b-2a3f-4e5d-8c9b-0a1b2c3d4e5f',
      reason: 'Already a member; added to 1 of 1 group(s), already in the rest.',
    },
    {
      email: 'not-an-email',
      source: 'email list entry 2',
      status: 'invalid',
      memberId: null,
      reason: 'Not sent: the email has no @.',
    },
    {
      email: 'ada@example.com',
      source: 'email list entry 3',
      status: 'duplicate',
      memberId: null,
      reason: 'Not sent again: the same email is in line item 1.',
    },
  ],
};

export const bulkOutputFields = [
  { key: 'total', label: 'Emails in Input', type: 'integer', required: true },
  { key: 'createdCount', label: 'Members Created', type: 'integer', required: true },
  { key: 'existingCount', label: 'Already Members', type: 'integer', required: true },
  {
    key: 'addedToGroupsCount',
    label: 'Existing Members Added to Groups',
    type: 'integer',
    required: true,
  },
  {
    key: 'updatedCount',
    label: 'Existing Members Updated',
    type: 'integer',
    required: true,
  },
  { key: 'invalidCount', label: 'Invalid Emails', type: 'integer', required: true },
  { key: 'duplicateCount', label: 'Duplicates in Input', type: 'integer', required: true },
  { key: 'failedCount', label: 'Failed', type: 'integer', required: true },
  { key: 'createdEmails', label: 'Created Emails', type: 'string', list: true },
  { key: 'existingEmails', label: 'Already Member Emails', type: 'string', list: true },
  { key: 'addedToGroupsEmails', label: 'Added to Groups Emails', type: 'string', list: true },
  { key: 'updatedEmails', label: 'Updated Emails', type: 'string', list: true },
  { key: 'invalidEmails', label: 'Invalid Emails List', type: 'string', list: true },
  { key: 'duplicateEmails', label: 'Duplicate Emails List', type: 'string', list: true },
  { key: 'failedEmails', label: 'Failed Emails List', type: 'string', list: true },
  { key: 'accessGroupIds', label: 'Access Group IDs', type: 'string', list: true },
  { key: 'apiRequests', label: 'Sotion API Requests', type: 'integer', required: true },
  { key: 'results[]email', label: 'Result Email', type: 'string' },
  { key: 'results[]source', label: 'Result Source', type: 'string' },
  { key: 'results[]status', label: 'Result Status', type: 'string' },
  { key: 'results[]memberId', label: 'Result Member ID', type: 'string' },
  { key: 'results[]reason', label: 'Result Reason', type: 'string' },
] satisfies PlainOutputField[];
