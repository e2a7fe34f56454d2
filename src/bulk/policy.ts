import type { ZObject } from 'zapier-platform-core';
import { resultsFile, type ResultsFile } from '../files/csv-out';
import { errorInfo, plainMessage, userError, withInfo } from '../http/errors';
import { withJitter } from '../http/middleware';
import {
  count,
  outputResults,
  plural,
  progressSentence,
  summarize,
  type BulkOutput,
} from './output';
import type { BulkReport, MemberStatus } from './state';

export const FAIL_WHEN = {
  anyFailed: 'any_failed',
  anyProblem: 'any_problem',
  never: 'never',
} as const;
export type FailWhen = (typeof FAIL_WHEN)[keyof typeof FAIL_WHEN];

/** Up to `max` members with this outcome, each "email (source): reason." — one sentence each. */
const examples = (out: BulkOutput, status: MemberStatus, max = 5): string => {
  const rows = out.results.filter((r) => r.status === status);
  const shown = rows.slice(0, max).map((r) => `${r.email || '(empty)'} (${r.source}): ${r.reason}`);
  const more = rows.length > max ? ` …and ${count(rows.length - max)} more in the same way.` : '';
  return shown.join(' ') + more;
};

const REPLAY =
  ' Replaying the step is safe: members created by this run will show as already members, and ' +
  'nobody is added twice.';

/**
 * Runs a bulk add and decides the step's fate: which outcomes fail the step is the user's choice
 * (FailWhen); work that was not done — a fatal error, time running out — always fails it, and so
 * does an input without a single valid email (unless the user chose "never"). A step that
 * succeeds with more than 100 results also returns `results_file`: every result, as a CSV.
 * `client` tells whether a write was sent again after a lost answer.
 */
export const runBulkStep = async (
  z: ZObject,
  run: () => Promise<BulkReport>,
  accessGroupIds: string[],
  failWhen: FailWhen,
  client: { resentAfterLostAnswer: number },
): Promise<BulkOutput & ResultsFile> => {
  const report = await run();
  const ownCreatesPossible = client.resentAfterLostAnswer > 0;
  const out = summarize(report, accessGroupIds, { ownCreatesPossible });
  const progress = progressSentence(out, {
    notSent: report.notSent,
    groupsUnchecked: report.groupsUnchecked,
    ownCreatesPossible,
  });

  if (report.fatal !== undefined) {
    const info = errorInfo(report.fatal) ?? { transient: false };
    if (info.status === 429) {
      throw withInfo(
        new z.errors.ThrottledError(
          `Sotion's rate limit stopped Bulk Add Members part way. ${progress}${REPLAY}`,
          // With jitter, so throttled Zaps do not all come back in the same second.
          withJitter(info.retryAfterSeconds ?? 60),
        ),
        info,
      );
    }
    if (info.status === 401) throw report.fatal;
    throw userError(
      z,
      `Bulk Add Members stopped: ${plainMessage(report.fatal)} ${progress}${REPLAY}`,
      'bulk_stopped',
      info,
    );
  }
  const unchecked = report.groupsUnchecked ?? 0;
  if (report.notSent + unchecked > 0) {
    const left = [
      report.notSent ? `sending ${plural(report.notSent, 'member')}` : '',
      unchecked ? `checking the access groups of ${plural(unchecked, 'existing member')}` : '',
    ].filter(Boolean);
    throw userError(
      z,
      `Bulk Add Members ran out of the time Zapier allows a step (30 seconds) before ` +
        `${left.join(' and ')}. ${progress} Split the input across several steps, or replay ` +
        `this one to finish.${REPLAY}`,
      'bulk_incomplete',
      { transient: true },
    );
  }
  if (out.failedCount > 0 && failWhen !== FAIL_WHEN.never) {
    throw userError(
      z,
      `Bulk Add Members could not add ${plural(out.failedCount, 'member')}: ${examples(out, 'failed')} ` +
        `${progress}${REPLAY}`,
      'bulk_member_failures',
      { transient: false },
    );
  }
  const sent = out.total - out.invalidCount - out.duplicateCount;
  if (
    out.invalidCount > 0 &&
    (failWhen === FAIL_WHEN.anyProblem || (sent === 0 && failWhen !== FAIL_WHEN.never))
  ) {
    const none = sent === 0;
    throw userError(
      z,
      (none
        ? `No email in the input is valid, so nothing was sent: ${examples(out, 'invalid')} `
        : `${plural(out.invalidCount, 'email')} in the input ${out.invalidCount === 1 ? 'is' : 'are'} ` +
          `not valid and ${out.invalidCount === 1 ? 'was' : 'were'} not sent: ${examples(out, 'invalid')} `) +
        `${progress} Fix them${none ? '' : ', or set "Fail the Step When" to another choice'}.`,
      'bulk_invalid_emails',
      { transient: false },
    );
  }
  // The full results (the output may have left some out to fit), after every check passed.
  const file = await resultsFile(
    z,
    'bulk_add_members',
    outputResults(report, { ownCreatesPossible }),
  );
  return { ...out, ...file };
};
