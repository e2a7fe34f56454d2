import { dedupe } from '../../src/bulk/dedupe';
import { entriesOf } from './engine';

describe('bulk de-duplication', () => {
  it('gives every entry one result in input order; invalid and repeated emails are settled, never sent', () => {
    const entries = entriesOf([
      ' Ada@Example.com ',
      'not-an-email',
      'grace@example.com',
      'ADA@example.com',
      '',
      'not-an-email',
      'grace@example.com',
    ]);
    const { results, unique } = dedupe<'removed'>(entries);
    expect(results.map((r) => [r.email, r.source, r.status, r.memberId, r.reason])).toEqual([
      ['ada@example.com', 'email list entry 1', 'failed', null, null],
      ['not-an-email', 'email list entry 2', 'invalid', null, 'Not sent: the email has no @.'],
      ['grace@example.com', 'email list entry 3', 'failed', null, null],
      [
        'ada@example.com',
        'email list entry 4',
        'duplicate',
        null,
        'Not sent again: the same email is in email list entry 1.',
      ],
      ['', 'email list entry 5', 'invalid', null, 'Not sent: the email is empty.'],
      // An invalid email given twice is invalid twice, not a duplicate.
      ['not-an-email', 'email list entry 6', 'invalid', null, 'Not sent: the email has no @.'],
      [
        'grace@example.com',
        'email list entry 7',
        'duplicate',
        null,
        'Not sent again: the same email is in email list entry 3.',
      ],
    ]);
    // The first entry of each valid email, sharing its result object with `results`.
    expect(unique.map(({ entry }) => entry.source)).toEqual([
      'email list entry 1',
      'email list entry 3',
    ]);
    expect(unique[0]?.result).toBe(results[0]);
    expect(unique[1]?.result).toBe(results[2]);
  });

  it('keeps what the entry said beside its email', () => {
    const { unique } = dedupe([
      { raw: 'a@example.com', source: 'line item 2', paid: true, displayName: 'A' },
    ]);
    expect(unique[0]?.entry).toEqual({
      raw: 'a@example.com',
      source: 'line item 2',
      paid: true,
      displayName: 'A',
    });
  });

  it('an entry that could not be read is invalid with its reason, and never the first of its email', () => {
    const { results, unique } = dedupe([
      {
        raw: 'ada@example.com',
        source: 'CSV line 2',
        problem: 'its Paid value must be true or false',
      },
      { raw: 'ada@example.com', source: 'CSV line 3' },
    ]);
    expect(results.map((r) => [r.email, r.source, r.status, r.reason])).toEqual([
      [
        'ada@example.com',
        'CSV line 2',
        'invalid',
        'Not sent: this row could not be read: its Paid value must be true or false.',
      ],
      ['ada@example.com', 'CSV line 3', 'failed', null],
    ]);
    expect(unique.map(({ entry }) => entry.source)).toEqual(['CSV line 3']);
  });
});
