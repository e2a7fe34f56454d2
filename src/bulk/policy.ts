import type { ZObject } from 'zapier-platform-core';
import { resultsFile, type ResultsFile } from '../files/csv-out';
import { errorInfo, plainMessage, userError, withInfo } from '../http/errors';
import { withJitter } from '../http/middleware';
import { choice } from '../zap/fields';
import {
  count,
  plural,
  stepResults,
  summarizeStep,
  type BulkStep,
  type StepOutput,
} from './output';
import type { BulkReport, CommonStatus } from './state';

/**
 * Zapier's `lock` for the steps that change many members (Bulk Add Members, Bulk Remove Members
 * From Access Group, Sync Access Group Members): one key, per connection, so two of them never
 * run at once on one site (each would take the other's share of the rate limit, and a sync could
 * undo an import half-way). Zapier holds the second until the first ends, or 180 s (its most).
 * Carried out by Zapier only: `validate` checks it, nothing local can exercise it.
 */
export const BULK_LOCK = { key: 'sotion_bulk_members', scope: ['auth' as const], timeout: 180 };

export const FAIL_WHEN = {
  anyFailed: 'any_failed',
  anyProblem: 'any_problem',
  never: 'never',
} as const;
export type FailWhen = (typeof FAIL_WHEN)[keyof typeof FAIL_WHEN];

/** "Fail the Step When", worded for what the step does to a member (`added`, `removed`). */
export const failWhenField = (done: string) => {
  const first = `A member could not be ${done}`;
  return choice({
    key: 'fail_when',
    label: 'Fail the Step When',
    default: FAIL_WHEN.anyFailed,
    choices: [
      { value: FAIL_WHEN.anyFailed, label: first },
      {
        value: FAIL_WHEN.anyProblem,
        label: `A member could not be ${done} or an email is invalid`,
      },
      { value: FAIL_WHEN.never, label: 'Never (report every problem in the output)' },
    ],
    helpText:
      'When the step fails rather than listing problems in its output (running out of time or ' +
      `a revoked key always fails it). Example: **${first}**.`,
  });
};

/** Up to `max` members with this outcome, each "email (source): reason." — one sentence each. */
const examples = <Own extends string>(
  out: StepOutput<Own>,
  status: Own | CommonStatus,
  max = 5,
): string => {
  const rows = out.results.filter((r) => r.status === status);
  const shown = rows.slice(0, max).map((r) => `${r.email || '(empty)'} (${r.source}): ${r.reason}`);
  const more = rows.length > max ? ` …and ${count(rows.length - max)} more in the same way.` : '';
  return shown.join(' ') + more;
};

/**
 * Runs a bulk step and decides its fate: which outcomes fail the step is the user's choice
 * (FailWhen); work that was not done — a fatal error, time running out — always fails it, and so
 * does an input without a single valid email (unless the user chose "never"). A step that
 * succeeds with more than 100 results also returns `results_file`: every result, as a CSV.
 * `client` tells whether a write was sent again after a lost answer; `step` is the step's
 * statuses and wording (ADD_STEP for Bulk Add Members).
 */
export const runBulkStep = async <Own extends string>(
  z: ZObject,
  run: () => Promise<BulkReport<Own>>,
  accessGroupIds: string[],
  failWhen: FailWhen,
  client: { resentAfterLostAnswer: number },
  step: BulkStep<Own>,
): Promise<StepOutput<Own> & ResultsFile> => {
  const report = await run();
  const ownCreatesPossible = client.resentAfterLostAnswer > 0;
  const out = summarizeStep(step, report, accessGroupIds, { ownCreatesPossible });
  const progress = step.progress(out, {
    notSent: report.notSent,
    groupsUnchecked: report.groupsUnchecked,
    ownCreatesPossible,
  });
  const { label, replay } = step;
  const counted = (status: CommonStatus) =>
    report.results.filter((r) => r.status === status).length;
  const failed = counted('failed');
  const invalid = counted('invalid');

  if (report.fatal !== undefined) {
    const info = errorInfo(report.fatal) ?? {};
    if (info.status === 429) {
      throw withInfo(
        new z.errors.ThrottledError(
          `Sotion's rate limit stopped ${label} part way. ${progress}${replay}`,
          // With jitter, so throttled Zaps do not all come back in the same second.
          withJitter(info.retryAfterSeconds ?? 60),
        ),
        info,
      );
    }
    if (info.status === 401) throw report.fatal;
    throw userError(
      z,
      `${label} stopped: ${plainMessage(report.fatal)} ${progress}${replay}`,
      'bulk_stopped',
      info,
    );
  }
  const left = step.leftUndone(report);
  if (left.length > 0 && step.handBack) {
    throw withInfo(
      new z.errors.ThrottledError(
        `${label} needs more than the 30 seconds Zapier allows a step, so Zapier runs it again ` +
          `in a few seconds to finish ${left.join(' and ')}. ${progress}${replay}`,
        withJitter(1),
      ),
      {},
    );
  }
  if (left.length > 0) {
    throw userError(
      z,
      `${label} ran out of the time Zapier allows a step (30 seconds) before ` +
        `${left.join(' and ')}. ${progress} Split the input across several steps, or replay ` +
        `this one to finish.${replay}`,
      'bulk_incomplete',
      {},
    );
  }
  if (failed > 0 && failWhen !== FAIL_WHEN.never) {
    throw userError(
      z,
      `${label} could not ${step.verb} ${plural(failed, 'member')}: ` +
        `${examples(out, 'failed')} ${progress}${replay}`,
      'bulk_member_failures',
      {},
    );
  }
  const sent = out.total - invalid - counted('duplicate');
  if (
    invalid > 0 &&
    (failWhen === FAIL_WHEN.anyProblem || (sent === 0 && failWhen !== FAIL_WHEN.never))
  ) {
    const none = sent === 0;
    throw userError(
      z,
      (none
        ? `No email in the input is valid, so nothing was sent: ${examples(out, 'invalid')} `
        : `${plural(invalid, 'email')} in the input ${invalid === 1 ? 'is' : 'are'} ` +
          `not valid and ${invalid === 1 ? 'was' : 'were'} not sent: ${examples(out, 'invalid')} `) +
        `${progress} Fix them${none ? '' : ', or set "Fail the Step When" to another choice'}.`,
      'bulk_invalid_emails',
      {},
    );
  }
  // The full results (the output may have left some out to fit), after every check passed.
  const file = await resultsFile(z, step.key, stepResults(step, report, { ownCreatesPossible }));
  return { ...out, ...file };
};
