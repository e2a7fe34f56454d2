import type { PlainOutputField, ZObject } from 'zapier-platform-core';
import {
  resultsFile,
  resultsFileOutputFields,
  resultsFileSample,
  type ResultsFile,
} from '../files/csv-out';
import { errorInfo, plainMessage, userError, withInfo } from '../http/errors';
import { withJitter } from '../http/middleware';
import { count, plural } from './output';
import type { StepResult } from './state';
import { NOT_IN_LIST, type SyncReport, type SyncStatus } from './sync';

type Status = SyncStatus | 'invalid' | 'duplicate' | 'failed';

/** Output keys of each status: `<key>Count` and `<key>Emails`. */
const KEYS = {
  added: 'added',
  created: 'created',
  removed: 'removed',
  unchanged: 'unchanged',
  not_a_member: 'notAMember',
  invalid: 'invalid',
  duplicate: 'duplicate',
  failed: 'failed',
} as const satisfies Record<Status, string>;

type Key = (typeof KEYS)[Status];

export type SyncOutput = {
  accessGroupId: string;
  dryRun: boolean;
  /** Entries of the list (the group's members not in it are counted in Removed). */
  total: number;
  maxRemovals: number;
  apiRequests: number;
  results: Array<StepResult<SyncStatus>>;
} & { [K in `${Key}Count`]: number } & { [K in `${Key}Emails`]: string[] } & ResultsFile;

/** A reason as one sentence ending with exactly one period. */
const sentence = (reason: string | null): string | null =>
  reason === null ? null : `${reason.trim().replace(/[.\s]+$/, '')}.`;

export const summarizeSync = (report: SyncReport): Omit<SyncOutput, keyof ResultsFile> => {
  const results = report.results.map((r) => ({ ...r, reason: sentence(r.reason) }));
  const lists = {} as Record<`${Key}Count`, number> & Record<`${Key}Emails`, string[]>;
  for (const [status, key] of Object.entries(KEYS) as Array<[Status, Key]>) {
    const emails = results.filter((r) => r.status === status).map((r) => r.email);
    lists[`${key}Count`] = emails.length;
    lists[`${key}Emails`] = emails;
  }
  return {
    accessGroupId: report.groupId,
    dryRun: report.dryRun,
    total: results.filter((r) => r.source !== NOT_IN_LIST).length,
    maxRemovals: report.maxRemovals,
    ...lists,
    apiRequests: report.apiRequests,
    results,
  };
};

const progress = (out: Omit<SyncOutput, keyof ResultsFile>, left: number): string => {
  const parts = [
    `${count(out.addedCount)} added`,
    `${count(out.createdCount)} created`,
    `${count(out.removedCount)} removed`,
    `${count(out.unchangedCount)} unchanged`,
  ];
  if (out.notAMemberCount) parts.push(`${count(out.notAMemberCount)} not members`);
  if (out.invalidCount) parts.push(`${count(out.invalidCount)} invalid`);
  if (out.duplicateCount) parts.push(`${count(out.duplicateCount)} repeated`);
  const failed = out.failedCount - left;
  if (failed > 0) parts.push(`${count(failed)} failed`);
  if (left) parts.push(`${count(left)} left for the replay`);
  return `So far: ${parts.join(', ')}.`;
};

const STEP = 'Sync Access Group Members';
const GOES_ON =
  ' The replay goes on where this run stopped (for an hour): it reads nothing again and changes ' +
  'nobody twice.';

/**
 * Runs a sync and decides the step's fate: a run that could not finish (the rate limit, or the
 * 30 seconds Zapier allows) is handed back to Zapier as a throttle, to go on where it stopped;
 * any other stop, and any member that failed, fails the step; invalid and repeated emails are
 * only reported. A finished sync with more than 100 results also returns `results_file`.
 */
export const runSyncStep = async (
  z: ZObject,
  run: () => Promise<SyncReport>,
): Promise<SyncOutput> => {
  const report = await run();
  const out = summarizeSync(report);
  const left = report.leftOver;
  const said = progress(out, left);
  if (report.fatal !== undefined) {
    const info = errorInfo(report.fatal) ?? { transient: false };
    if (info.status === 429) {
      throw withInfo(
        new z.errors.ThrottledError(
          `Sotion's rate limit stopped ${STEP} part way. ${said}${GOES_ON}`,
          withJitter(info.retryAfterSeconds ?? 60),
        ),
        info,
      );
    }
    if (info.status === 401) throw report.fatal;
    throw userError(
      z,
      `${STEP} stopped: ${plainMessage(report.fatal)} ${said}${GOES_ON}`,
      'sync_stopped',
      info,
    );
  }
  if (left > 0) {
    throw withInfo(
      new z.errors.ThrottledError(
        `${STEP} needs more than the 30 seconds Zapier allows a step: ${plural(left, 'change')} ` +
          `or read${left === 1 ? '' : 's'} are left. ${said}${GOES_ON}`,
        withJitter(1),
      ),
      { transient: true },
    );
  }
  if (out.failedCount > 0) {
    const failed = out.results.filter((r) => r.status === 'failed');
    const shown = failed
      .slice(0, 5)
      .map((r) => `${r.email} (${r.source}): ${r.reason}`)
      .join(' ');
    throw userError(
      z,
      `${STEP} could not sync ${plural(failed.length, 'member')}: ${shown}${
        failed.length > 5 ? ` …and ${count(failed.length - 5)} more.` : ''
      } ${said} Replaying the step is safe: it changes only what still differs.`,
      'sync_member_failures',
      { transient: false },
    );
  }
  return { ...out, ...(await resultsFile(z, 'sync_access_group_members', out.results)) };
};

export const syncSample = {
  accessGroupId: '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10',
  dryRun: false,
  total: 3,
  maxRemovals: 10,
  addedCount: 1,
  createdCount: 1,
  removedCount: 1,
  unchangedCount: 1,
  notAMemberCount: 0,
  invalidCount: 0,
  duplicateCount: 0,
  failedCount: 0,
  addedEmails: ['grace@example.com'],
  createdEmails: ['ada@example.com'],
  removedEmails: ['old@example.com'],
  unchangedEmails: ['alan@example.com'],
  notAMemberEmails: [],
  invalidEmails: [],
  duplicateEmails: [],
  failedEmails: [],
  apiRequests: 6,
  results: [
    {
      email: 'ada@example.com',
      source: 'email list entry 1',
      status: 'created' as const,
      memberId: '0b7c2e1d-5a4f-4c3b-9e8d-1f2a3b4c5d6e',
      reason: 'Created, in the group.',
    },
    {
      email: 'grace@example.com',
      source: 'email list entry 2',
      status: 'added',
      memberId: '8e1d7c6b-2a3f-4e5d-8c9b-0a1b2c3d4e5f',
      reason: 'Already a member of the site; added to the group.',
    },
    {
      email: 'alan@example.com',
      source: 'email list entry 3',
      status: 'unchanged',
      memberId: '5c4b3a29-1807-4f6e-9d5c-4b3a29180f6e',
      reason: 'Already in the group.',
    },
    {
      email: 'old@example.com',
      source: NOT_IN_LIST,
      status: 'removed',
      memberId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      reason: 'Not in the list; removed from the group.',
    },
  ],
  ...resultsFileSample,
} satisfies SyncOutput;

export const syncOutputFields = [
  { key: 'accessGroupId', label: 'Access Group ID', type: 'string', required: true },
  { key: 'dryRun', label: 'Dry Run', type: 'boolean', required: true },
  { key: 'total', label: 'Emails in the List', type: 'integer', required: true },
  { key: 'maxRemovals', label: 'Max Removals Applied', type: 'integer', required: true },
  { key: 'addedCount', label: 'Added (Count)', type: 'integer', required: true },
  { key: 'createdCount', label: 'Created (Count)', type: 'integer', required: true },
  { key: 'removedCount', label: 'Removed (Count)', type: 'integer', required: true },
  { key: 'unchangedCount', label: 'Unchanged (Count)', type: 'integer', required: true },
  { key: 'notAMemberCount', label: 'Not Members (Count)', type: 'integer', required: true },
  { key: 'invalidCount', label: 'Invalid Emails (Count)', type: 'integer', required: true },
  {
    key: 'duplicateCount',
    label: 'Duplicates in the List (Count)',
    type: 'integer',
    required: true,
  },
  { key: 'failedCount', label: 'Failed (Count)', type: 'integer', required: true },
  { key: 'addedEmails', label: 'Added Emails', type: 'string', list: true },
  { key: 'createdEmails', label: 'Created Emails', type: 'string', list: true },
  { key: 'removedEmails', label: 'Removed Emails', type: 'string', list: true },
  { key: 'unchangedEmails', label: 'Unchanged Emails', type: 'string', list: true },
  { key: 'notAMemberEmails', label: 'Not Member Emails', type: 'string', list: true },
  { key: 'invalidEmails', label: 'Invalid Emails', type: 'string', list: true },
  { key: 'duplicateEmails', label: 'Duplicate Emails', type: 'string', list: true },
  { key: 'failedEmails', label: 'Failed Emails', type: 'string', list: true },
  { key: 'apiRequests', label: 'Sotion API Requests', type: 'integer', required: true },
  { key: 'results[]email', label: 'Result Email', type: 'string' },
  { key: 'results[]source', label: 'Result Source', type: 'string' },
  { key: 'results[]status', label: 'Result Status', type: 'string' },
  { key: 'results[]memberId', label: 'Result Member ID', type: 'string' },
  { key: 'results[]reason', label: 'Result Reason', type: 'string' },
  ...resultsFileOutputFields,
] satisfies PlainOutputField[];
