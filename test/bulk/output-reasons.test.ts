import { OWN_CREATE, progressSentence, summarize } from '../../src/bulk/output';
import type { BulkReport, MemberResult } from '../../src/bulk/run';

const reportOf = (results: MemberResult[]): BulkReport => ({
  apiRequests: 2,
  notSent: 0,
  lookups: 0,
  memberPages: 0,
  isolated: 0,
  results,
});

const result = (
  email: string,
  status: MemberResult['status'],
  reason: string | null,
): MemberResult => ({
  email,
  source: 'email list entry 1',
  status,
  memberId: status === 'existing' || status === 'added_to_groups' ? 'm-1' : null,
  reason,
});

describe('bulk output: reasons and emails as shown', () => {
  it('a reason loses surrounding spaces and ends with one period', () => {
    const out = summarize(reportOf([result('a@example.com', 'failed', '  Sotion said no ')]), []);
    expect(out.results.map((r) => r.reason)).toEqual(['Sotion said no.']);
  });

  it('a long valid email is shown whole: only invalid input is shortened', () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(40)}.com`;
    const out = summarize(reportOf([result(email, 'created', null)]), []);
    expect(out.results.map((r) => r.email)).toEqual([email]);
    expect(out.createdEmails).toEqual([email]);
  });

  it('after a lost answer, existing members and members added to groups both say they may be our own', () => {
    const out = summarize(
      reportOf([
        result('old@example.com', 'existing', null),
        result(
          'grace@example.com',
          'added_to_groups',
          'Already a member; added to 1 of 1 group(s), already in the rest.',
        ),
        result('new@example.com', 'created', null),
      ]),
      [],
      { ownCreatesPossible: true },
    );
    expect(out.results.map((r) => r.reason)).toEqual([
      OWN_CREATE,
      `Already a member; added to 1 of 1 group(s), already in the rest. ${OWN_CREATE}`,
      null,
    ]);
  });
});

describe('bulk progress sentence', () => {
  it('after a lost answer, says existing members may be our own when some were added to groups', () => {
    const out = summarize(
      reportOf([
        result('old@example.com', 'existing', 'Already a member.'),
        result('grace@example.com', 'added_to_groups', 'Already a member; added.'),
      ]),
      [],
      { ownCreatesPossible: true },
    );
    expect(progressSentence(out, { ownCreatesPossible: true })).toBe(
      'Of 2 emails: 0 created, 2 already members (1 of them added to the groups; some may have ' +
        "been created by this step's own earlier request, whose answer was lost).",
    );
    expect(progressSentence(out)).toBe(
      'Of 2 emails: 0 created, 2 already members (1 of them added to the groups).',
    );
  });
});
