import {
  OUTPUT_BUDGET_BYTES,
  progressSentence,
  SAME_REASON,
  summarize,
} from '../../src/bulk/output';
import type { MemberResult, MemberStatus } from '../../src/bulk/state';

/** Core refuses a step result above this many bytes. */
const CORE_RESPONSE_LIMIT = 6_291_456;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** A realistic address: first.last plus a number at a company domain (about 40 characters). */
const email = (i: number) => `firstname.lastname${i}@company-domain-${i % 97}.com`;
const memberId = (i: number) => `0b7c2e1d-5a4f-4c3b-9e8d-${i.toString(16).padStart(12, '0')}`;

const REASONS: Record<MemberStatus, string | null> = {
  created: null,
  existing: 'Already a member, already in every chosen group.',
  added_to_groups: 'Already a member; added to 2 of 2 group(s), already in the rest.',
  updated: 'Already a member; Paid set to true.',
  invalid: 'Not sent: the part before the @ has characters an email cannot have.',
  duplicate: 'Not sent again: the same email is in email list entry 12345.',
  failed: 'Not sent: the step ran out of the time Zapier allows. Replay the step to add the rest.',
};

const report = (outcome: (i: number) => MemberStatus, n = 25_000) => ({
  apiRequests: 120,
  notSent: 0,
  lookups: 0,
  memberPages: 0,
  isolated: 0,
  results: Array.from({ length: n }, (_, i): MemberResult => {
    const status = outcome(i);
    return {
      email: email(i),
      source: `email list entry ${i + 1}`,
      status,
      memberId: ['created', 'existing', 'added_to_groups'].includes(status) ? memberId(i) : null,
      reason: REASONS[status],
    };
  }),
});

const groups = ['3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10', '8e1d7c6b-2a3f-4e5d-8c9b-0a1b2c3d4e5f'];
const sizes: string[] = [];
afterAll(() => console.log(`bulk output at 25,000 members: ${sizes.join('; ')}`));

describe('bulk output size at the 25,000-member cap', () => {
  it.each<[string, (i: number) => MemberStatus]>([
    ['all created', () => 'created'],
    ['all existing, added to the groups', () => 'added_to_groups'],
    [
      'a tenth of each problem, the rest created',
      (i) =>
        i % 10 === 0 ? 'failed' : i % 10 === 1 ? 'invalid' : i % 10 === 2 ? 'duplicate' : 'created',
    ],
    ['all failed', () => 'failed'],
    ['all invalid', () => 'invalid'],
  ])("%s: under core's limit, every problem member listed one by one", (name, outcome) => {
    const input = report(outcome);
    const full = bytes(input.results);
    const out = summarize(input, groups);
    const size = bytes(out);
    sizes.push(
      `${name}: ${size.toLocaleString('en-US')} bytes (every result listed: ${full.toLocaleString('en-US')} bytes of results alone)`,
    );
    expect(size).toBeLessThanOrEqual(OUTPUT_BUDGET_BYTES);
    expect(size).toBeLessThan(CORE_RESPONSE_LIMIT);
    const problems = input.results.filter(
      (r) => !['created', 'existing', 'added_to_groups'].includes(r.status),
    );
    expect(
      out.results.filter((r) => !['created', 'existing', 'added_to_groups'].includes(r.status)),
    ).toHaveLength(problems.length);
    expect(out.total).toBe(25_000);
    expect(out.resultsOmitted + out.results.length).toBe(25_000);
    expect(
      out.createdEmails.length + out.addedToGroupsEmails.length + out.existingEmails.length,
    ).toBe(25_000 - problems.length);
  });

  it('distinct long reasons for every member: as many as fit stay in results, all in failedEmails', () => {
    const input = report(() => 'failed');
    input.results.forEach((r, i) => {
      r.reason = `Sotion could not create this member: ${'detail '.repeat(30)}${i}.`;
    });
    const out = summarize(input, groups);
    expect(bytes(out)).toBeLessThanOrEqual(OUTPUT_BUDGET_BYTES);
    expect(out.failedEmails).toHaveLength(25_000);
    expect(out.resultsOmitted).toBeGreaterThan(0);
    expect(out.results.length + out.resultsOmitted).toBe(25_000);
    expect(out.results[0]?.email).toBe(email(0));
  });

  it('when leaving out the successes is enough, every problem keeps its reason spelled out', () => {
    const out = summarize(
      report((i) => (i % 10 === 0 ? 'failed' : 'created')),
      groups,
    );
    expect(out.resultsOmitted).toBe(22_500);
    expect(out.results).toHaveLength(2_500);
    expect(new Set(out.results.map((r) => r.reason))).toEqual(new Set([REASONS.failed]));
  });

  it('thousands of problems: only a reason repeated from the member just above is shortened', () => {
    // Pairs: two failed, two invalid, two failed, ...
    const out = summarize(
      report((i) => (i % 4 < 2 ? 'failed' : 'invalid')),
      groups,
    );
    expect(out.results.slice(0, 5).map((r) => r.reason)).toEqual([
      REASONS.failed,
      SAME_REASON,
      REASONS.invalid,
      SAME_REASON,
      REASONS.failed,
    ]);
  });

  it('a small run lists every member in results', () => {
    const out = summarize(
      report(() => 'created', 1_000),
      groups,
    );
    expect(out.resultsOmitted).toBe(0);
    expect(out.results).toHaveLength(1_000);
  });

  it('a 1 MB invalid email is quoted shortened, in results and in invalidEmails', () => {
    const huge = `${'a'.repeat(1_000_000)}@example.com`;
    const out = summarize(
      {
        apiRequests: 0,
        notSent: 0,
        lookups: 0,
        memberPages: 0,
        isolated: 0,
        results: [
          {
            email: huge,
            source: 'email list entry 1',
            status: 'invalid',
            memberId: null,
            reason: 'Not sent: the email is longer than 254 characters.',
          },
        ],
      },
      [],
    );
    const shown = `${'a'.repeat(80)}… (1,000,012 characters)`;
    expect(out.invalidEmails).toEqual([shown]);
    expect(out.results[0]?.email).toBe(shown);
    expect(bytes(out)).toBeLessThan(1_000);
  });

  it('every reason ends with exactly one period', () => {
    const out = summarize(
      {
        apiRequests: 1,
        notSent: 0,
        lookups: 0,
        memberPages: 0,
        isolated: 0,
        results: [
          {
            email: 'a@example.org',
            source: 'line item 1',
            status: 'failed',
            memberId: null,
            reason: 'Sotion could not create this member: validation_error: too long..',
          },
          {
            email: 'b@example.org',
            source: 'line item 2',
            status: 'failed',
            memberId: null,
            reason: 'Sotion had a problem (X-Request-Id: r1)',
          },
        ],
      },
      [],
    );
    expect(out.results.map((r) => r.reason)).toEqual([
      'Sotion could not create this member: validation_error: too long.',
      'Sotion had a problem (X-Request-Id: r1).',
    ]);
  });
});

describe('bulk summary sentences', () => {
  const row = (status: MemberResult['status'], i: number): MemberResult => ({
    email: `m${i}@example.com`,
    source: `email list entry ${i}`,
    status,
    memberId: null,
    reason: 'r',
  });
  it('counts every outcome', () => {
    const results = [
      row('created', 1),
      row('added_to_groups', 2),
      row('existing', 3),
      row('invalid', 4),
      row('duplicate', 5),
      row('failed', 6),
    ];
    const out = summarize(
      { results, apiRequests: 3, notSent: 0, lookups: 0, memberPages: 0, isolated: 0 },
      [],
    );
    expect(out.apiRequests).toBe(3);
    expect(progressSentence(out)).toBe(
      'Of 6 emails: 1 created, 2 already members (1 of them added to the groups), 1 invalid, 1 duplicates in the input, 1 failed.',
    );
    const one = summarize(
      {
        results: [row('created', 1)],
        apiRequests: 1,
        notSent: 0,
        lookups: 0,
        memberPages: 0,
        isolated: 0,
      },
      [],
    );
    expect(progressSentence(one)).toBe('Of 1 email: 1 created, 0 already members.');
    const updated = summarize(
      {
        results: [row('updated', 1), row('existing', 2)],
        apiRequests: 2,
        notSent: 0,
        lookups: 0,
        memberPages: 0,
        isolated: 0,
      },
      [],
    );
    expect(progressSentence(updated)).toBe(
      'Of 2 emails: 0 created, 2 already members (1 of them updated).',
    );
  });
});
