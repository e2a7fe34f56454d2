import { OUTPUT_BUDGET_BYTES, SAME_REASON, summarize } from '../../src/bulk/output';
import type { BulkReport, MemberResult } from '../../src/bulk/run';

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

const reportOf = (results: MemberResult[]): BulkReport => ({
  apiRequests: 1,
  notSent: 0,
  lookups: 0,
  memberPages: 0,
  isolated: 0,
  results,
});

const failed = (i: number, reason: string | null): MemberResult => ({
  email: `member${i}@example.com`,
  source: `email list entry ${i + 1}`,
  status: 'failed',
  memberId: null,
  reason,
});

describe('bulk output at the size budget', () => {
  it('an output of exactly the budget is kept whole', () => {
    // One failed member whose reason is padded so that the whole output is exactly the budget.
    const padded = (length: number) => reportOf([failed(0, 'x'.repeat(length))]);
    const length = 1_000 + OUTPUT_BUDGET_BYTES - bytes(summarize(padded(1_000), []));
    const out = summarize(padded(length), []);
    expect(bytes(out)).toBe(OUTPUT_BUDGET_BYTES);
    expect(out.resultsOmitted).toBe(0);
    expect(out.results).toEqual([failed(0, `${'x'.repeat(length)}.`)]);
  });

  it('shortening repeated reasons leaves members without a reason as they are', () => {
    const long = `Sotion could not create this member: ${'detail '.repeat(150)}`;
    const results = [
      failed(0, null),
      failed(1, null),
      ...Array.from({ length: 6_000 }, (_, i) => failed(i + 2, long)),
    ];
    const out = summarize(reportOf(results), []);
    expect(bytes(out)).toBeLessThanOrEqual(OUTPUT_BUDGET_BYTES);
    expect(out.resultsOmitted).toBe(0);
    expect(out.results).toHaveLength(6_002);
    expect(out.results.slice(0, 4).map((r) => r.reason)).toEqual([
      null,
      null,
      `${long.trim()}.`,
      SAME_REASON,
    ]);
  });
});
