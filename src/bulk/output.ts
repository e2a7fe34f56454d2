import type { PlainOutputField } from 'zapier-platform-core';
import { shorten } from '../http/errors';
import type { BulkReport, CommonStatus, MemberResult, MemberStatus, StepResult } from './state';

/**
 * Bytes a step output may take. Core refuses a response above 6,291,456 bytes; the rest is
 * margin for its envelope. Above this, successful members leave `results` first (they stay in
 * the counts and email lists), then repeated reasons are shortened; every problem member stays
 * listed one by one in `results` whenever that fits, and always in its email list.
 */
export const OUTPUT_BUDGET_BYTES = 5_500_000;

/** A status as an output key's stem: `added_to_groups` → `addedToGroups`. */
export type Camel<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S;
const camel = (status: string): string =>
  status.replace(/_([a-z])/g, (_m, letter: string) => letter.toUpperCase());

/**
 * The output of a bulk step whose own statuses are `Own`: the input's size, a count and an
 * email list per status (`createdCount`, `createdEmails`, …; invalid, duplicate and failed in
 * every step), the groups, the requests, and one result per input email.
 */
export type StepOutput<Own extends string> = { total: number } & {
  [S in Own | CommonStatus as `${Camel<S>}Count`]: number;
} & {
  [S in Own | CommonStatus as `${Camel<S>}Emails`]: string[];
} & {
  accessGroupIds: string[];
  apiRequests: number;
  /** Members left out of `results` to keep the output under Zapier's size limit (successes
   * first); each is still counted and in its email list. */
  resultsOmitted: number;
  results: Array<StepResult<Own>>;
};

/** Bulk Add Members' output. */
export type BulkOutput = StepOutput<MemberStatus>;

/** What the report knows beyond the output: why failed members failed. */
export interface Progress {
  notSent?: number;
  groupsUnchecked?: number;
  ownCreatesPossible?: boolean;
}

/**
 * What makes one bulk step's output and messages: its statuses and their labels, and how it
 * words what it did. Bulk Add Members is ADD_STEP below; each other bulk step declares its own.
 */
export interface BulkStep<Own extends string> {
  /** The operation key (the results file is named after it). */
  key: string;
  /** The step's label, in messages: `Bulk Add Members`. */
  label: string;
  /** What the step does to a member, in "could not add 3 members": `add`. */
  verb: string;
  /** The step's own statuses, in output order (invalid, duplicate and failed follow). */
  statuses: readonly Own[];
  /** Outcomes that leave `results` first when the output is too large. */
  success: ReadonlySet<Own>;
  /** Output field labels of each status: its count and its email list. */
  labels: Record<Own | CommonStatus, { count: string; list: string }>;
  /** Said after a stop: why replaying the step is safe (starts with a space). */
  replay: string;
  /** One sentence of what a run did, for error messages. */
  progress(out: StepOutput<Own>, progress: Progress): string;
  /** The work time ran out before, for the message: `sending 3 members`. */
  leftUndone(report: BulkReport<Own>): string[];
  /** Results whose reason gets a note when a write of the run was sent again after a lost answer. */
  ownWrite?: { statuses: ReadonlySet<Own>; note: string };
  /** The input's size, when some results are not input entries (a sync's removals): `total`. */
  total?(results: Array<StepResult<Own>>): number;
  /**
   * Work time ran out before is handed back to Zapier as a throttle (Zapier runs the step again
   * soon, and it goes on where it stopped), rather than failing the step.
   */
  handBack?: boolean;
}

const COMMON: readonly CommonStatus[] = ['invalid', 'duplicate', 'failed'];

/** A reason as one sentence ending with exactly one period. */
const sentence = (reason: string | null): string | null =>
  reason === null ? null : `${reason.trim().replace(/[.\s]+$/, '')}.`;

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
export const stepResults = <Own extends string>(
  step: BulkStep<Own>,
  report: BulkReport<Own>,
  options: SummaryOptions = {},
): Array<StepResult<Own>> => {
  const noted = options.ownCreatesPossible ? step.ownWrite : undefined;
  // An invalid value is quoted shortened (a valid email has at most 254 characters anyway).
  return report.results.map((r) => {
    const reason = sentence(r.reason);
    return {
      ...r,
      email: r.status === 'invalid' ? shorten(r.email) : r.email,
      reason:
        noted && (noted.statuses as ReadonlySet<string>).has(r.status)
          ? `${reason ?? ''} ${noted.note}`.trim()
          : reason,
    };
  });
};

/** A step's report as its output: counts, email lists and results, within the size budget. */
export const summarizeStep = <Own extends string>(
  step: BulkStep<Own>,
  report: BulkReport<Own>,
  accessGroupIds: string[],
  options: SummaryOptions = {},
): StepOutput<Own> => {
  const results = stepResults(step, report, options);
  const all: ReadonlyArray<Own | CommonStatus> = [...step.statuses, ...COMMON];
  const lists = new Map(
    all.map((status) => [status, results.filter((r) => r.status === status).map((r) => r.email)]),
  );
  const out = {
    total: step.total?.(results) ?? results.length,
    ...Object.fromEntries(all.map((s) => [`${camel(s)}Count`, lists.get(s)?.length ?? 0])),
    ...Object.fromEntries(all.map((s) => [`${camel(s)}Emails`, lists.get(s) ?? []])),
    accessGroupIds,
    apiRequests: report.apiRequests,
    resultsOmitted: 0,
    results,
  } as StepOutput<Own>;
  return fitOutput(out, (r) => (step.success as ReadonlySet<string>).has(r.status));
};

/**
 * The output within OUTPUT_BUDGET_BYTES: successful members leave `results` first, then a
 * reason repeated from the member just above is shortened, then problem members are cut.
 */
const fitOutput = <Own extends string>(
  out: StepOutput<Own>,
  success: (r: StepResult<Own>) => boolean,
): StepOutput<Own> => {
  const { results } = out;
  const fits = (candidate: StepOutput<Own>) =>
    Buffer.byteLength(JSON.stringify(candidate)) <= OUTPUT_BUDGET_BYTES;
  if (fits(out)) return out;
  // Too large for Zapier: successful members are left to the counts and email lists.
  const problems = results.filter((r) => !success(r));
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

/** The output fields of a step's output (results_file's come from src/files/csv-out.ts). */
export const stepOutputFields = <Own extends string>(step: BulkStep<Own>): PlainOutputField[] => {
  const all: ReadonlyArray<Own | CommonStatus> = [...step.statuses, ...COMMON];
  return [
    { key: 'total', label: 'Emails in Input', type: 'integer', required: true },
    ...all.map((s): PlainOutputField => ({
      key: `${camel(s)}Count`,
      // Counts say "(Count)"; the email lists beside them are "… Emails".
      label: `${step.labels[s].count} (Count)`,
      type: 'integer',
      required: true,
    })),
    ...all.map((s): PlainOutputField => ({
      key: `${camel(s)}Emails`,
      label: step.labels[s].list,
      type: 'string',
      list: true,
    })),
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
  ];
};

/** A problem member's reason when it repeats the reason of the member listed just above. */
export const SAME_REASON = 'Same as above.';

export const count = (n: number) => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many = `${one}s`) =>
  `${count(n)} ${n === 1 ? one : many}`;

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

/** Bulk Add Members' statuses, labels and wording. */
export const ADD_STEP: BulkStep<MemberStatus> = {
  key: 'bulk_add_members',
  label: 'Bulk Add Members',
  verb: 'add',
  statuses: ['created', 'existing', 'added_to_groups', 'updated'],
  success: new Set(['created', 'existing', 'added_to_groups']),
  labels: {
    created: { count: 'Members Created', list: 'Created Emails' },
    existing: { count: 'Already Members', list: 'Already Member Emails' },
    added_to_groups: { count: 'Existing Members Added to Groups', list: 'Added to Groups Emails' },
    updated: { count: 'Existing Members Updated', list: 'Updated Emails' },
    invalid: { count: 'Invalid Emails', list: 'Invalid Emails' },
    duplicate: { count: 'Duplicates in Input', list: 'Duplicate Emails' },
    failed: { count: 'Failed', list: 'Failed Emails' },
  },
  replay:
    ' Replaying the step is safe: members created by this run will show as already members, and ' +
    'nobody is added twice.',
  progress: progressSentence,
  leftUndone: (report) => {
    const unchecked = report.groupsUnchecked ?? 0;
    return [
      report.notSent ? `sending ${plural(report.notSent, 'member')}` : '',
      unchecked ? `checking the access groups of ${plural(unchecked, 'existing member')}` : '',
    ].filter(Boolean);
  },
  ownWrite: { statuses: new Set(['existing', 'added_to_groups']), note: OWN_CREATE },
};

/** Bulk Add Members' results as its output says them (see stepResults). */
export const outputResults = (report: BulkReport, options: SummaryOptions = {}): MemberResult[] =>
  stepResults(ADD_STEP, report, options);

/** Bulk Add Members' report as its output (see summarizeStep). */
export const summarize = (
  report: BulkReport,
  accessGroupIds: string[],
  options: SummaryOptions = {},
): BulkOutput => summarizeStep(ADD_STEP, report, accessGroupIds, options);

export const bulkOutputFields = stepOutputFields(ADD_STEP);
