import { parse } from 'csv-parse/sync';
import nock from 'nock';
import { createAppTester, type Bundle, type ZObject } from 'zapier-platform-core';
import App from '../../index';
import {
  RESULTS_HEADER,
  resultsFile,
  resultsFileOutputFields,
  resultsFileSample,
  stashCsv,
  toCsv,
  type ResultRow,
} from '../../src/files/csv-out';
import { makeBundle, messageOf, rejection } from '../helpers';
import { failStashRpc, mockStash, STASH_UPLOAD } from '../stash-rpc';

/**
 * z.stashFile works only inside a create: each test runs its code as the perform of a create
 * added to a copy of the app.
 */
let body: (z: ZObject) => Promise<unknown> = async () => undefined;
const perform = (z: ZObject, _bundle: Bundle) => body(z);
const tester = createAppTester({
  ...App,
  creates: {
    ...App.creates,
    file_test: {
      key: 'file_test',
      noun: 'File',
      display: { label: 'File Test', description: 'Runs a test inside a create.', hidden: true },
      operation: { perform, sample: { id: 1 } },
    },
  },
});
const inCreate = <T>(run: (z: ZObject) => Promise<T>): Promise<T> => {
  body = run;
  return tester(perform, makeBundle({})) as Promise<T>;
};

const BOM = '\uFEFF';

describe('CSV out', () => {
  it('writes UTF-8 with a BOM and CRLF, quotes what needs it, and guards formulas', () => {
    const csv = toCsv(
      ['Email', 'Name', 'Paid', 'Note'],
      [
        ['ada@example.com', 'Lovelace, Ada', true, '=HYPERLINK("http://evil.example")'],
        ['-x@example.com', 'Grace "Amazing"\nHopper', false, '+1'],
        ['@home@example.com', null, undefined, '\tTab'],
        ['jürgen@müller.de', 'Jürgen', 3, 'plain'],
      ],
    );
    expect(csv.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.toString('utf8')).toBe(
      BOM +
        'Email,Name,Paid,Note\r\n' +
        `ada@example.com,"Lovelace, Ada",true,"'=HYPERLINK(""http://evil.example"")"\r\n` +
        `'-x@example.com,"Grace ""Amazing""\nHopper",false,'+1\r\n` +
        `'@home@example.com,,,'\tTab\r\n` +
        'jürgen@müller.de,Jürgen,3,plain\r\n',
    );
    // What a spreadsheet (or csv-parse) reads back: the values, with the guard quote.
    expect(parse(csv, { bom: true })[2]).toEqual([
      "'-x@example.com",
      'Grace "Amazing"\nHopper',
      'false',
      "'+1",
    ]);
  });

  it('stores the file at Zapier through the presigned upload and returns its URL', async () => {
    const uploads = mockStash();
    const file = await inCreate((z) =>
      stashCsv(z, { filename: 'members.csv', header: ['Email'], rows: [['ada@example.com']] }),
    );
    expect(file).toEqual({
      url: `${STASH_UPLOAD}stash-1.csv`,
      filename: 'members.csv',
      bytes: Buffer.byteLength(`${BOM}Email\r\nada@example.com\r\n`),
      rows: 1,
    });
    expect(uploads).toEqual([
      {
        key: 'stash-1.csv',
        filename: 'members.csv',
        contentType: 'text/csv',
        content: Buffer.from(`${BOM}Email\r\nada@example.com\r\n`),
      },
    ]);
  });

  it('says so when Zapier cannot store the file', async () => {
    failStashRpc();
    const error = await rejection(
      inCreate((z) => stashCsv(z, { filename: 'm.csv', header: ['Email'], rows: [] })),
    );
    expect(messageOf(error)).toMatch(
      /^Zapier could not store the file m\.csv \(RPC request failed after 3 attempts: Unable to reach the RPC server\)\. Replay the step; this is usually temporary\.$/,
    );
  });
});

describe('results_file', () => {
  const results = (n: number): ResultRow[] =>
    Array.from({ length: n }, (_, i) => ({
      source: `CSV line ${i + 2}`,
      email: i === 0 ? '=cmd@example.com' : `m${i}@example.com`,
      status: i === 1 ? 'invalid' : 'created',
      memberId: i === 1 ? null : `id-${i}`,
      reason: i === 1 ? 'Not sent: the email has no @.' : null,
    }));
  const now = new Date('2026-07-30T10:15:00.123Z');

  it('is null for 100 results or fewer, without a request', async () => {
    expect(await inCreate((z) => resultsFile(z, 'bulk_add_members', results(100)))).toEqual({
      results_file: null,
      results_file_error: null,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('holds every row and its outcome for 101 results', async () => {
    const uploads = mockStash();
    expect(await inCreate((z) => resultsFile(z, 'bulk_add_members', results(101), now))).toEqual({
      results_file: `${STASH_UPLOAD}stash-1.csv`,
      results_file_error: null,
    });
    expect(uploads[0]?.filename).toBe('bulk_add_members-results-2026-07-30T10-15-00Z.csv');
    const rows = parse(uploads[0]?.content ?? Buffer.alloc(0), { bom: true }) as string[][];
    expect(rows[0]).toEqual([...RESULTS_HEADER]);
    expect(rows).toHaveLength(102);
    expect(rows.slice(1, 4)).toEqual([
      ['CSV line 2', "'=cmd@example.com", 'created', 'id-0', ''],
      ['CSV line 3', 'm1@example.com', 'invalid', '', 'Not sent: the email has no @.'],
      ['CSV line 4', 'm2@example.com', 'created', 'id-2', ''],
    ]);
  });

  it('reports a file that could not be stored instead of failing the step', async () => {
    mockStash({ uploadStatus: 403 });
    const out = await inCreate((z) => resultsFile(z, 'bulk_add_members', results(101), now));
    expect(out).toEqual({
      results_file: null,
      results_file_error: expect.stringMatching(
        /^Zapier could not store the file bulk_add_members-results-2026-07-30T10-15-00Z\.csv \(Got 403 - \)\. Replay the step; this is usually temporary\.$/,
      ),
    });
  });

  it('has output fields that match its sample', () => {
    expect(resultsFileOutputFields.map((f) => f.key).sort()).toEqual(
      Object.keys(resultsFileSample).sort(),
    );
  });
});
