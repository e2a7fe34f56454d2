import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { bulkInputFields, MAX_MEMBERS_PER_STEP, readBulkInput } from '../../src/bulk/input';
import { SotionClient } from '../../src/http/client';
import { appTester, makeBundle, messageOf, rejection } from '../helpers';

const HOST = 'https://files.example.com';
const ADD = { verb: 'add', details: true };
const REMOVE = { verb: 'remove', details: false };

const read = (inputData: Record<string, unknown>, spec = ADD, defaultPaid?: boolean) =>
  appTester(
    (z: ZObject, bundle: Bundle) =>
      readBulkInput(new SotionClient(z, bundle), inputData, spec, defaultPaid),
    makeBundle(inputData),
  );

const failure = async (inputData: Record<string, unknown>, spec = ADD) =>
  messageOf(await rejection(read(inputData, spec)));

describe('bulkInputFields', () => {
  it('Members, Emails, the CSV File and its columns; without details only the Email column', () => {
    expect(bulkInputFields(ADD).map((f) => f.key)).toEqual([
      'members',
      'emails',
      'csv_file',
      'csv_email_column',
      'csv_name_column',
      'csv_paid_column',
    ]);
    const remove = bulkInputFields(REMOVE);
    expect(remove.map((f) => f.key)).toEqual(['members', 'emails', 'csv_file', 'csv_email_column']);
    expect(remove[0]).toMatchObject({ children: [{ key: 'email' }] });
    expect(remove[1]?.helpText).toBe(
      'Emails to remove, separated by commas, semicolons or new lines. Example: `ada@example.com, grace@example.com`. Fill in Members, Emails, CSV File, or several.',
    );
  });
});

describe('readBulkInput', () => {
  it('reads line items, then Emails, then the CSV rows, a row it cannot read in its place', async () => {
    nock(HOST)
      .get('/m.csv')
      .reply(200, 'Email,Paid\nc@example.com,yes\nd@example.com,perhaps\ne@example.com,\n');
    const input = await read(
      {
        members: [{ email: 'A@example.com', display_name: 'Ada', paid: 'true' }],
        emails: 'b@example.com',
        csv_file: `${HOST}/m.csv`,
      },
      ADD,
      false,
    );
    expect(input.entries).toEqual([
      { raw: 'A@example.com', source: 'line item 1', displayName: 'Ada', paid: true },
      { raw: 'b@example.com', source: 'email list entry 1', displayName: undefined, paid: false },
      { raw: 'c@example.com', source: 'CSV line 2', displayName: undefined, paid: true },
      { raw: 'd@example.com', source: 'CSV line 3', problem: expect.stringMatching(/Paid/) },
      { raw: 'e@example.com', source: 'CSV line 4', displayName: undefined, paid: false },
    ]);
    expect(input.csv).toEqual({ rows: 3, blankRows: 0, problems: 1 });
    // The memory key: each entry by what it says, the address normalized, never the file's link.
    expect(input.memoryKey).toEqual([
      ['a@example.com', 'Ada', true],
      ['b@example.com', null, false],
      ['c@example.com', null, true],
      ['d@example.com', null, null, input.entries[3]?.problem],
      ['e@example.com', null, false],
    ]);
  });

  it('without details the memory key is the address alone (and the problem, if any)', async () => {
    const input = await read({ emails: 'Ada <ADA@example.com>, grace@example.com' }, REMOVE);
    expect(input.memoryKey).toEqual(['ada@example.com', 'grace@example.com']);
    expect(input.csv).toBeUndefined();
    // Only the Email column counts: a Paid of "perhaps" is no problem; too many values are.
    nock(HOST).get('/r.csv').reply(200, 'Email,Paid\nc@example.com,perhaps\nd@example.com,1,2\n');
    const csv = await read({ csv_file: `${HOST}/r.csv` }, REMOVE);
    const problem = csv.entries[1]?.problem;
    expect(problem).toMatch(/^it has 3 values but the header has 2 columns/);
    expect(csv.entries[0]).toEqual({
      raw: 'c@example.com',
      source: 'CSV line 2',
      displayName: undefined,
      paid: undefined,
    });
    expect(csv.memoryKey).toEqual(['c@example.com', ['d@example.com', problem]]);
  });

  it('refuses an input without members, saying what to fill in', async () => {
    expect(await failure({}, REMOVE)).toBe(
      'No members to remove: fill in Members line items, Emails or CSV File, for example `ada@example.com`.',
    );
    nock(HOST).get('/empty.csv').reply(200, 'Email\n\n,\n');
    expect(await failure({ csv_file: `${HOST}/empty.csv` })).toBe(
      'No members to add: CSV File has a header row but no member rows (2 blank). Add a row per member, such as `ada@example.com`, or fill in Members or Emails.',
    );
  });

  it(`takes ${MAX_MEMBERS_PER_STEP.toLocaleString('en-US')} members, not one more, before any download`, async () => {
    const emails = (n: number) => Array.from({ length: n }, (_, i) => `m${i}@example.com`);
    expect((await read({ emails: emails(MAX_MEMBERS_PER_STEP) }, REMOVE)).entries).toHaveLength(
      MAX_MEMBERS_PER_STEP,
    );
    // Refused before the file is asked for: no file host is mocked.
    expect(
      await failure(
        { emails: emails(MAX_MEMBERS_PER_STEP + 1), csv_file: `${HOST}/m.csv` },
        REMOVE,
      ),
    ).toBe(
      "This step got 25,001 emails; one step takes at most 25,000 so that it finishes within Zapier's 30 seconds. Split the list across several runs (for example with Looping by Zapier).",
    );
    nock(HOST).get('/one.csv').reply(200, 'Email\nz@example.com\n');
    expect(
      await failure({ emails: emails(MAX_MEMBERS_PER_STEP), csv_file: `${HOST}/one.csv` }, REMOVE),
    ).toMatch(/^This step got 25,001 emails;/);
  });
});
