import { parse } from 'csv-parse/sync';
import nock from 'nock';
import { perform } from '../../creates/bulk_add_members';
import { RESULTS_HEADER } from '../../src/files/csv-out';
import {
  api,
  appTester,
  group,
  headers,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';
import { mockStash, STASH_UPLOAD } from '../stash-rpc';

/** Bulk Add Members fed by a CSV File: the download, the requests, and every row accounted for. */

const HOST = 'https://files.example.com';
const G1 = uuid(101);
const BOM = '\uFEFF';

type SentMember = { email: string; displayName?: string; paid?: boolean };

/**
 * The file's host: exactly one GET of `path` (with `query`), asking for a CSV, and never with an
 * Authorization header (nock's `badheaders`: a request carrying one matches nothing and fails).
 */
const fileHost = (path: string, body: string, query: Record<string, string> = {}) =>
  nock(HOST, {
    badheaders: ['authorization'],
    reqheaders: { accept: 'text/csv, text/plain;q=0.9, */*;q=0.5' },
  })
    .get(path)
    .query(query)
    .reply(200, body, { 'content-type': 'text/csv' });

const memberOf = (email: string, n: number) => ({
  id: uuid(5000 + n),
  email,
  displayName: null,
  status: 'active',
  verified: false,
  paid: false,
  registeredAt: null,
  lastLoginAt: null,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
});

/** One POST /members/bulk with exactly this body, every member created (ids uuid(5000 + i)). */
const bulkCreates = (members: SentMember[], accessGroupIds?: string[]) =>
  api()
    .post(`${PREFIX}/members/bulk`, { members, ...(accessGroupIds ? { accessGroupIds } : {}) })
    .reply(
      207,
      {
        data: members.map((m, i) => ({
          email: m.email,
          status: 'created',
          member: memberOf(m.email, i),
        })),
        summary: { total: members.length, created: members.length, failed: 0 },
      },
      headers('bulk'),
    );

describe('bulk_add_members: a CSV File', () => {
  it('downloads the file without the key, sends its rows with the list, and reports unreadable rows as invalid with their line', async () => {
    fileHost(
      '/exports/members.csv',
      BOM +
        [
          'E-Mail;Name;Paid',
          'ada@example.com;Ada Lovelace;yes',
          'grace@example.com;;',
          'bad@example.com;Bad;maybe',
          ';No Email;',
          'ADA@example.com;Again;',
          'alan@example.com;"Turing; Alan";no',
          '',
        ].join('\r\n'),
      { sig: 'abc' },
    );
    api()
      .get(`${PREFIX}/access-groups/${G1}`)
      .reply(200, { data: group(101, { id: G1 }) }, headers());
    bulkCreates(
      [
        { email: 'kay@example.com', paid: true },
        { email: 'ada@example.com', displayName: 'Ada Lovelace', paid: true },
        { email: 'grace@example.com', paid: true },
        { email: 'alan@example.com', displayName: 'Turing; Alan', paid: false },
      ],
      [G1],
    );
    const out = await appTester(
      perform,
      makeBundle({
        emails: ['kay@example.com'],
        csv_file: `${HOST}/exports/members.csv?sig=abc`,
        default_paid: 'true',
        access_group_ids: [G1],
      }),
    );
    expect(out.results.map((r) => [r.email, r.source, r.status, r.memberId, r.reason])).toEqual([
      ['kay@example.com', 'email list entry 1', 'created', uuid(5000), null],
      ['ada@example.com', 'CSV line 2', 'created', uuid(5001), null],
      ['grace@example.com', 'CSV line 3', 'created', uuid(5002), null],
      [
        'bad@example.com',
        'CSV line 4',
        'invalid',
        null,
        'Not sent: this row could not be read: its Paid value must be true or false (yes/no); it was "maybe".',
      ],
      ['', 'CSV line 5', 'invalid', null, 'Not sent: the email is empty.'],
      [
        'ada@example.com',
        'CSV line 6',
        'duplicate',
        null,
        'Not sent again: the same email is in CSV line 2.',
      ],
      ['alan@example.com', 'CSV line 7', 'created', uuid(5003), null],
    ]);
    expect(out).toMatchObject({
      total: 7,
      createdCount: 4,
      invalidCount: 2,
      duplicateCount: 1,
      invalidEmails: ['bad@example.com', ''],
      apiRequests: 2,
      // 100 results or fewer: no file.
      results_file: null,
      results_file_error: null,
    });
  });

  it('an unreadable row under "A member could not be added or an email is invalid" fails the step naming its line', async () => {
    fileHost('/m.csv', 'email,paid\nada@example.com,true\nbad@example.com,perhaps\n');
    bulkCreates([{ email: 'ada@example.com', paid: true }]);
    const error = await rejection(
      appTester(perform, makeBundle({ csv_file: `${HOST}/m.csv`, fail_when: 'any_problem' })),
    );
    expect(messageOf(error)).toBe(
      '1 email in the input is not valid and was not sent: bad@example.com (CSV line 3): Not ' +
        'sent: this row could not be read: its paid value must be true or false (yes/no); it was ' +
        '"perhaps". Of 2 emails: 1 created, 0 already members, 1 invalid. Fix them, or set "Fail ' +
        'the Step When" to another choice.',
    );
  });

  it('more than 100 results: returns results_file, a CSV of every row and its outcome stored at Zapier', async () => {
    const emails = Array.from({ length: 150 }, (_, i) => `p${i}@example.com`);
    fileHost('/big.csv', ['Email', ...emails, 'not-an-email'].join('\n'));
    bulkCreates(emails.map((email) => ({ email })));
    const uploads = mockStash();
    const out = await appTester(perform, makeBundle({ csv_file: `${HOST}/big.csv` }));
    expect(out).toMatchObject({
      total: 151,
      createdCount: 150,
      invalidCount: 1,
      results_file: `${STASH_UPLOAD}stash-1.csv`,
      results_file_error: null,
    });
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.filename).toMatch(
      /^bulk_add_members-results-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.csv$/,
    );
    const rows = parse(uploads[0]?.content ?? Buffer.alloc(0), { bom: true }) as string[][];
    expect(rows[0]).toEqual([...RESULTS_HEADER]);
    expect(rows).toHaveLength(152);
    expect(rows[1]).toEqual(['CSV line 2', 'p0@example.com', 'created', uuid(5000), '']);
    expect(rows[151]).toEqual([
      'CSV line 152',
      'not-an-email',
      'invalid',
      '',
      'Not sent: the email has no @.',
    ]);
  });

  it('a replay with the same file (even at a new link) resumes from the step memory: no Sotion request', async () => {
    const csv = 'Email,Name\nada@example.com,Ada\ngrace@example.com,Grace\n';
    fileHost('/first.csv', csv);
    bulkCreates([
      { email: 'ada@example.com', displayName: 'Ada' },
      { email: 'grace@example.com', displayName: 'Grace' },
    ]);
    const first = await appTester(perform, makeBundle({ csv_file: `${HOST}/first.csv` }));
    expect(first.createdCount).toBe(2);
    // Zapier may hand the same file over at another link: only the download happens again.
    fileHost('/second.csv', csv);
    const again = await appTester(perform, makeBundle({ csv_file: `${HOST}/second.csv` }));
    expect(again.results.map((r) => [r.email, r.status, r.memberId, r.reason])).toEqual([
      [
        'ada@example.com',
        'existing',
        uuid(5000),
        'Done by an earlier run of this step; not sent again.',
      ],
      [
        'grace@example.com',
        'existing',
        uuid(5001),
        'Done by an earlier run of this step; not sent again.',
      ],
    ]);
    expect(again.apiRequests).toBe(0);
  });

  it.each([
    [
      'a file with a header and no rows',
      'Email,Name\n\n,\n',
      {},
      'No members to add: CSV File has a header row but no member rows (2 blank). Add a row per member, such as `ada@example.com`, or fill in Members or Emails.',
    ],
    [
      'a full file and one more email',
      ['Email', ...Array.from({ length: 25_000 }, (_, i) => `m${i}@example.com`)].join('\n'),
      { emails: ['one.more@example.com'] },
      "This step got 25,001 emails; one step takes at most 25,000 so that it finishes within Zapier's 30 seconds. Split the list across several runs (for example with Looping by Zapier).",
    ],
    [
      'a CSV Email Column the file does not have',
      'Email,Name\nada@example.com,Ada\n',
      { csv_email_column: 'Work Email' },
      'CSV Email Column is "Work Email", but CSV File has no column with that header: its header row has "Email", "Name". Enter one of those.',
    ],
  ])('refuses %s before any Sotion request', async (_name, csv, input, message) => {
    fileHost('/in.csv', csv);
    const error = await rejection(
      appTester(perform, makeBundle({ csv_file: `${HOST}/in.csv`, ...input })),
    );
    expect(messageOf(error)).toBe(message);
  });

  it('refuses a bad line item before downloading the file', async () => {
    // No file host answers: a download would fail with another message.
    const error = await rejection(
      appTester(
        perform,
        makeBundle({
          csv_file: `${HOST}/never.csv`,
          members: [{ email: 'a@example.com', paid: 'perhaps' }],
        }),
      ),
    );
    expect(messageOf(error)).toBe(
      'Paid of line item 1 must be true or false (yes/no); it was "perhaps".',
    );
  });
});
