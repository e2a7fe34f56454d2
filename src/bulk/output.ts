import type { PlainOutputField } from 'zapier-platform-core';
import { shorten } from '../http/errors';
import type { BulkReport, MemberResult, MemberStatus } from './state';

/**
 * Bytes a step output may take. Core refuses a response above 6,291,456 bytes; the rest is
 * margin for its envelope. Above this, successful members leave `results` first (they stay in
 * the counts and email lists), then repeated reasons are shortened; every problem member stays
 * listed one by one in `results` whenever that fits, and always in its email list.
 */
export const OUTPUT_BUDGET_BYTES = 5_500_000;

const SUCCESS: ReadonlySet<MemberStatus> = new Set(['created', 'existing', 'added_to_groups']);

/** A reason as one sentence ending with exactly one period. */
const sentence = (reason: string | null): string | null =>
  reason === null ? null : `${reason.trim().replace(/[.\s]+$/, '')}.`;

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
  /** Members left out of `results` to keep the output under Zapier's size limit (successes
   * first); each is still counted and in its email list. */
  resultsOmitted: number;
  results: MemberResult[];
};

const emailsWith = (results: MemberResult[], status: MemberStatus) =>
  results.filter((r) => r.status === status).map((r) => r.email);

/** Said of members reported as existing when one of the run's writes was sent twice. */
export const OWN_CREATE =
  "It may have been created by this step's own earlier request, whose answer was lost.";

export interface SummaryOptions {
  /** A write of this run was sent again after its answer was lost (see the client). */
  ownCreatesPossible?: boolean;
}

/**
 * Every result as the output says it (each reason one sentence; an invalid value shortened), all
 * of them: what `summarize` trims to fit, and what the results file holds.
 */
export const outputResults = (report: BulkReport, options: SummaryOptions = {}): MemberResult[] => {
  const existing = (r: MemberResult) => r.status === 'existing' || r.status === 'added_to_groups';
  // An invalid value is quoted shortened (a valid email has at most 254 characters anyway).
  return report.results.map((r) => {
    const reason = sentence(r.reason);
    return {
      ...r,
      email: r.status === 'invalid' ? shorten(r.email) : r.email,
      reason:
        options.ownCreatesPossible && existing(r) ? `${reason ?? ''} ${OWN_CREATE}`.trim() : reason,
    };
  });
};

export const summarize = (
  report: BulkReport,
  accessGroupIds: string[],
  options: SummaryOptions = {},
): BulkOutput => {
  const results = outputResults(report, options);
  const lists = {
    createdEmails: emailsWith(results, 'created'),
    existingEmails: emailsWith(results, 'existing'),
    addedToGroupsEmails: emailsWith(results, 'added_to_groups'),
    updatedEmails: emailsWith(results, 'updated'),
    invalidEmails: emailsWith(results, 'invalid'),
    duplicateEmails: emailsWith(results, 'duplicate'),
    failedEmails: emailsWith(results, 'failed'),
  };
  const out: BulkOutput = {
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
    resultsOmitted: 0,
    results,
  };
  const fits = (candidate: BulkOutput) =>
    Buffer.byteLength(JSON.stringify(candidate)) <= OUTPUT_BUDGET_BYTES;
  if (fits(out)) return out;
  // Too large for Zapier: successful members are left to the counts and email lists.
  const problems = results.filter((r) => !SUCCESS.has(r.status));
  const slim = {
    ...out,
    resultsOmitted: results.length - problems.length,
    results: problems,
  };
  if (fits(slim)) return slim;
  // Still too large (thousands of problems): a reason repeated from the member listed just above
  // is not spelled out again.
  const collapsed = {
    ...slim,
    results: problems.map((r, i) =>
      i > 0 && r.reason !== null && r.reason === problems[i - 1]?.reason
        ? { ...r, reason: SAME_REASON }
        : r,
    ),
  };
  if (fits(collapsed)) return collapsed;
  // The last resort (long distinct reasons or emails): as many problem members as fit stay in
  // `results`; the rest are in the email lists.
  let low = 0;
  let high = collapsed.results.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const candidate = { ...collapsed, results: collapsed.results.slice(0, mid) };
    if (fits(candidate)) low = mid;
    else high = mid - 1;
  }
  return {
    ...collapsed,
    resultsOmitted: results.length - low,
    results: collapsed.results.slice(0, low),
  };
};

/** A problem member's reason when it repeats the reason of the member listed just above. */
export const SAME_REASON = 'Same as above.';

export const count = (n: number) => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many = `${one}s`) =>
  `${count(n)} ${n === 1 ? one : many}`;

/** What the report knows beyond the output: why failed members failed. */
export interface Progress {
  notSent?: number;
  groupsUnchecked?: number;
  ownCreatesPossible?: boolean;
}

/**
 * One sentence of what a run did, for error messages. Only what is really unconfirmed is called
 * so: members never sent, existing members whose groups were not checked, and real failures are
 * counted apart.
 */
export const progressSentence = (out: BulkOutput, progress: Progress = {}): string => {
  const notSent = progress.notSent ?? 0;
  const unchecked = progress.groupsUnchecked ?? 0;
  const failed = out.failedCount - notSent - unchecked;
  const notes = [
    out.addedToGroupsCount ? `${count(out.addedToGroupsCount)} of them added to the groups` : '',
    out.updatedCount ? `${count(out.updatedCount)} of them updated` : '',
    progress.ownCreatesPossible && out.existingCount + out.addedToGroupsCount
      ? "some may have been created by this step's own earlier request, whose answer was lost"
      : '',
  ].filter(Boolean);
  const parts = [
    `${count(out.createdCount)} created`,
    `${count(out.existingCount + out.addedToGroupsCount + out.updatedCount)} already members` +
      (notes.length ? ` (${notes.join('; ')})` : ''),
  ];
  if (out.invalidCount) parts.push(`${count(out.invalidCount)} invalid`);
  if (out.duplicateCount) parts.push(`${count(out.duplicateCount)} duplicates in the input`);
  if (unchecked) {
    parts.push(`${plural(unchecked, 'existing member')} whose access groups were not checked yet`);
  }
  if (notSent) parts.push(`${count(notSent)} not sent`);
  if (failed > 0) parts.push(`${count(failed)} failed`);
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
  resultsOmitted: 0,
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
  {
    key: 'resultsOmitted',
    label: 'Members Not Listed in Results',
    type: 'integer',
    required: true,
  },
  { key: 'results[]email', label: 'Result Email', type: 'string' },
  { key: 'results[]source', label: 'Result Source', type: 'string' },
  { key: 'results[]status', label: 'Result Status', type: 'string' },
  { key: 'results[]memberId', label: 'Result Member ID', type: 'string' },
  { key: 'results[]reason', label: 'Result Reason', type: 'string' },
] satisfies PlainOutputField[];
