import type { ZObject } from 'zapier-platform-core';
import { ADD_STEP, summarize } from '../../src/bulk/output';
import { FAIL_WHEN, runBulkStep, type FailWhen } from '../../src/bulk/policy';
import type { BulkReport, MemberResult } from '../../src/bulk/run';
import { appTester, makeBundle, messageOf, rejection } from '../helpers';

const REPLAY =
  ' Replaying the step is safe: members created by this run will show as already members, and ' +
  'nobody is added twice.';

const member = (i: number, status: MemberResult['status'], reason: string | null) => ({
  email: `member${i}@example.com`,
  source: `email list entry ${i}`,
  status,
  memberId: status === 'created' ? `id-${i}` : null,
  reason,
});

const reportOf = (results: MemberResult[]): BulkReport => ({
  apiRequests: 1,
  notSent: 0,
  lookups: 0,
  memberPages: 0,
  isolated: 0,
  results,
});

const step = (report: BulkReport, failWhen: FailWhen) =>
  appTester(
    (z: ZObject) =>
      runBulkStep(
        z,
        () => Promise.resolve(report),
        [],
        failWhen,
        { resentAfterLostAnswer: 0 },
        ADD_STEP,
      ),
    makeBundle({}),
  );

const failures = (n: number) =>
  Array.from({ length: n }, (_, i) => member(i + 1, 'failed', 'Sotion had a problem.'));

describe('bulk step: failed members named in the error', () => {
  it('five failed members are all named, with nothing more to add', async () => {
    const error = await rejection(step(reportOf(failures(5)), FAIL_WHEN.anyFailed));
    expect(messageOf(error)).toBe(
      'Bulk Add Members could not add 5 members: ' +
        [1, 2, 3, 4, 5]
          .map((i) => `member${i}@example.com (email list entry ${i}): Sotion had a problem.`)
          .join(' ') +
        ` Of 5 emails: 0 created, 0 already members, 5 failed.${REPLAY}`,
    );
  });

  it('of six failed members the first five are named and the sixth counted', async () => {
    const error = await rejection(step(reportOf(failures(6)), FAIL_WHEN.anyFailed));
    expect(messageOf(error)).toBe(
      'Bulk Add Members could not add 6 members: ' +
        [1, 2, 3, 4, 5]
          .map((i) => `member${i}@example.com (email list entry ${i}): Sotion had a problem.`)
          .join(' ') +
        ` …and 1 more in the same way. Of 6 emails: 0 created, 0 already members, 6 failed.${REPLAY}`,
    );
  });
});

describe('bulk step: "any_problem" without a problem', () => {
  it('succeeds with the output when every member was created', async () => {
    const report = reportOf([member(1, 'created', null), member(2, 'created', null)]);
    expect(await step(report, FAIL_WHEN.anyProblem)).toEqual({
      ...summarize(report, []),
      // 100 results or fewer: no file.
      results_file: null,
      results_file_error: null,
    });
  });
});
