import type { ZObject } from 'zapier-platform-core';
import {
  csvColumnFields,
  csvFile,
  headerDelimiter,
  MAX_CSV_BYTES,
  MAX_CSV_ROWS,
  parseCsv,
  readCsvFile,
  type CsvOptions,
} from '../../src/files/csv-in';
import { SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
import { readInputs } from '../../src/zap/fields';
import { appTester, KEY, makeBundle, messageOf, rejection } from '../helpers';

/** Parses `text` (or bytes) inside a run, as a step would. */
const parsed = (data: string | Buffer, options: CsvOptions = {}) =>
  appTester(
    async (z: ZObject) => parseCsv(z, typeof data === 'string' ? Buffer.from(data) : data, options),
    makeBundle({}),
  );

const failure = async (data: string | Buffer, options: CsvOptions = {}) =>
  messageOf(await rejection(parsed(data, options)));

describe('CSV in: parsing', () => {
  it('reads comma, semicolon and tab files with CRLF endings, a BOM and quoted values', async () => {
    const comma = await parsed(
      '\uFEFFEmail,Name,Paid\r\nada@example.com,"Lovelace, Ada",yes\r\n' +
        'grace@example.com,"Grace ""Amazing"" Hopper",FALSE\r\n',
    );
    expect(comma).toEqual({
      entries: [
        { raw: 'ada@example.com', source: 'CSV line 2', displayName: 'Lovelace, Ada', paid: true },
        {
          raw: 'grace@example.com',
          source: 'CSV line 3',
          displayName: 'Grace "Amazing" Hopper',
          paid: false,
        },
      ],
      problems: [],
      rows: 2,
      blankRows: 0,
      delimiter: ',',
      columns: { email: 'Email', name: 'Name', paid: 'Paid' },
      bytes: Buffer.byteLength(
        '\uFEFFEmail,Name,Paid\r\nada@example.com,"Lovelace, Ada",yes\r\n' +
          'grace@example.com,"Grace ""Amazing"" Hopper",FALSE\r\n',
      ),
    });
    // Excel in many locales: semicolons, and a comma inside an unquoted name is just a comma.
    const semicolon = await parsed('E-Mail;Display Name\r\nada@example.com;Lovelace, Ada\r\n');
    expect(semicolon).toMatchObject({
      delimiter: ';',
      entries: [{ raw: 'ada@example.com', displayName: 'Lovelace, Ada', source: 'CSV line 2' }],
      columns: { email: 'E-Mail', name: 'Display Name', paid: undefined },
    });
    const tab = await parsed(
      'email address\tfull_name\nada@example.com\tAda Lovelace\nb@x.io\tB\tC',
    );
    expect(tab.problems).toEqual([
      {
        line: 3,
        source: 'CSV line 3',
        email: 'b@x.io',
        reason:
          'it has 3 values but the header has 2 columns (a value that contains "tab" must be in double quotes)',
      },
    ]);
    expect(tab).toMatchObject({
      delimiter: '\t',
      entries: [{ raw: 'ada@example.com', displayName: 'Ada Lovelace', source: 'CSV line 2' }],
    });
  });

  it('numbers rows by the line they start on, through quoted line breaks and blank lines', async () => {
    const read = await parsed(
      'Email,Name\r\nada@example.com,"Ada\r\nLovelace"\r\n\r\n, \r\n,\r\ngrace@example.com,Grace\r\n',
    );
    expect(read.entries).toEqual([
      { raw: 'grace@example.com', source: 'CSV line 7', displayName: 'Grace' },
    ]);
    // A line break inside a display name is a control character: that row is a problem.
    expect(read.problems).toEqual([
      {
        line: 2,
        source: 'CSV lines 2-3',
        reason:
          'its display name contains U+000D (carriage return) at character 4, an invisible character that can hide or reorder text',
      },
    ]);
    // The empty line, ", " and "," are blank rows: counted, not members.
    expect(read).toMatchObject({ rows: 2, blankRows: 3 });
    const lf = await parsed('email\n"a@x.io"\n\nb@x.io');
    expect(lf.entries.map((e) => e.source)).toEqual(['CSV line 2', 'CSV line 4']);
    const cr = await parsed('email\ra@x.io\r"b@x.io"\r');
    expect(cr.entries.map((e) => e.source)).toEqual(['CSV line 2', 'CSV line 3']);
  });

  it('keeps every row: an empty email is an entry, a row that cannot be read is a problem with its line', async () => {
    const read = await parsed(
      [
        'Email,Name,Paid',
        ',No Email,',
        'ada@example.com,Ada,maybe',
        'grace@example.com,Hopper,Grace,true',
        `alan@example.com,${'x'.repeat(256)},`,
        'joan@example.com,Joan,,,',
        'kay@example.com,"Kay',
        'lin@example.com,Lin',
      ].join('\n'),
    );
    expect(read.entries).toEqual([
      { raw: '', source: 'CSV line 2', displayName: 'No Email', paid: undefined },
      { raw: 'joan@example.com', source: 'CSV line 6', displayName: 'Joan', paid: undefined },
    ]);
    expect(read.problems).toEqual([
      {
        line: 3,
        source: 'CSV line 3',
        email: 'ada@example.com',
        reason: 'its Paid value must be true or false (yes/no); it was "maybe"',
      },
      {
        line: 4,
        source: 'CSV line 4',
        email: 'grace@example.com',
        reason:
          'it has 4 values but the header has 3 columns (a value that contains "," must be in double quotes)',
      },
      {
        line: 5,
        source: 'CSV line 5',
        email: 'alan@example.com',
        reason: `its display name has 256 characters ("${'x'.repeat(80)}… (256 characters)"); Sotion takes at most 255`,
      },
      {
        line: 7,
        source: 'CSV lines 7-8',
        reason:
          'a double quote opened on line 7 is never closed, so lines 7 to 8 (the end of the file) could not be read; close the quote or remove it',
      },
    ]);
    // Lines 7 and 8 are one row that cannot be read.
    expect(read.rows).toBe(6);
  });

  it('takes `Name <address>` and several addresses in a cell, as the other inputs do', async () => {
    const read = await parsed(
      `email,paid\n"Ada Lovelace <ada@example.com>",1\n"b@x.io, c@x.io",\n"${'y'.repeat(256)} <y@x.io>",\n`,
      { defaultPaid: true },
    );
    expect(read.entries).toEqual([
      { raw: 'ada@example.com', source: 'CSV line 2', displayName: 'Ada Lovelace', paid: true },
      { raw: 'b@x.io', source: 'CSV line 3', displayName: undefined, paid: true },
      { raw: 'c@x.io', source: 'CSV line 3', displayName: undefined, paid: true },
    ]);
    expect(read.problems.map((p) => [p.source, p.reason.slice(0, 40)])).toEqual([
      ['CSV line 4', 'its display name has 256 characters ("yy'],
    ]);
  });

  it("a display name with a control, bidi-override or zero-width character is that row's problem, naming it", async () => {
    const read = await parsed(
      'email,name\nada@example.com,Ada\u202Eecalevol\n"Grace\u200BHopper <grace@example.com>",\nlin@example.com,Lin\n',
    );
    expect(read.entries).toEqual([
      { raw: 'lin@example.com', source: 'CSV line 4', displayName: 'Lin', paid: undefined },
    ]);
    expect(read.problems).toEqual([
      {
        line: 2,
        source: 'CSV line 2',
        reason:
          'its display name contains U+202E (right-to-left override) at character 4, an invisible character that can hide or reorder text',
      },
      {
        line: 3,
        source: 'CSV line 3',
        reason:
          'its display name contains U+200B (zero-width space) at character 6, an invisible character that can hide or reorder text',
      },
    ]);
  });

  it('finds columns by the names given, in any case and spacing', async () => {
    const read = await parsed('ID,Work Email,Customer,Is Paying\n1,ada@example.com,Ada,no\n', {
      columns: { email: 'work_email', name: ' customer ', paid: 'IS PAYING' },
    });
    expect(read.entries).toEqual([
      { raw: 'ada@example.com', source: 'CSV line 2', displayName: 'Ada', paid: false },
    ]);
    expect(read.columns).toEqual({ email: 'Work Email', name: 'Customer', paid: 'Is Paying' });
  });

  it('refuses, before any request, a file without a usable email column', async () => {
    expect(await failure('Mail,Name\nada@example.com,Ada\n')).toBe(
      'CSV File has no email column: its header row has "Mail", "Name". Name the column that holds the emails in CSV Email Column.',
    );
    expect(await failure('ada@example.com,Ada\ngrace@example.com,Grace\n')).toMatch(
      /^CSV File has no email column: .* The first row must be a header row \(such as `Email,Name`\): add one above the first member\.$/,
    );
    expect(await failure('Email,Name\na@x.io,A\n', { columns: { email: 'Mail' } })).toBe(
      'CSV Email Column is "Mail", but CSV File has no column with that header: its header row has "Email", "Name". Enter one of those.',
    );
    expect(await failure('Email,Name\na@x.io,A\n', { columns: { paid: 'Paying' } })).toMatch(
      /^CSV Paid Column is "Paying", but CSV File has no column/,
    );
    expect(await failure('Email,E-mail\na@x.io,b@x.io\n')).toBe(
      'CSV File has 2 columns that could be the one to read ("Email", "E-mail"). Name the one to use in CSV Email Column.',
    );
    expect(await failure(',,\na@x.io,,\n')).toBe(
      'CSV File has no email column: its header row is empty. The first row must be a header row (such as `Email,Name`): add one above the first member.',
    );
    const wide = Array.from({ length: 14 }, (_, i) => `C${i}`).join(',');
    expect(await failure(`${wide}\n`)).toMatch(
      /its header row has "C0", .*"C11", …\. Name the column/,
    );
    expect(await failure('')).toBe(
      'CSV File is empty: it needs a header row (such as `Email,Name`) and a row per member.',
    );
    expect(await failure('"Email,Name\n')).toMatch(
      /^CSV File's header row \(line 1\) cannot be read: /,
    );
  });

  it('refuses files that are not UTF-8 CSV text, saying how to save one', async () => {
    const saveAs = 'Save it as "CSV UTF-8" (Excel: File → Save As → CSV UTF-8) and try again.';
    expect(await failure(Buffer.from('PK\x03\x04rest', 'latin1'))).toBe(
      `CSV File is a zip file, such as an Excel workbook (.xlsx), not a CSV. ${saveAs}`,
    );
    expect(await failure(Buffer.from('\uFEFFEmail\n', 'utf16le'))).toBe(
      `CSV File is UTF-16 text ("Unicode text"), not UTF-8. ${saveAs}`,
    );
    expect(await failure(Buffer.from([0xfe, 0xff, 0, 0x45]))).toBe(
      `CSV File is UTF-16 text ("Unicode text"), not UTF-8. ${saveAs}`,
    );
    expect(await failure(Buffer.from('Email\na\u0000b\n'))).toBe(
      `CSV File is not a text file (it has a zero byte at byte 7). ${saveAs}`,
    );
    expect(await failure(Buffer.from('Email,Name\nj@x.io,J\u00fcrgen\n', 'latin1'))).toBe(
      `CSV File is not UTF-8 text (line 2 has bytes that are not UTF-8, as in files saved as "CSV" or "ANSI" with accented letters). ${saveAs}`,
    );
  });

  it('takes 25,000 rows and refuses 25,001, with the line and the size', async () => {
    const rows = (n: number) =>
      `Email\n${Array.from({ length: n }, (_, i) => `m${i}@x.io`).join('\n')}\n`;
    expect((await parsed(rows(MAX_CSV_ROWS))).entries).toHaveLength(MAX_CSV_ROWS);
    const text = rows(MAX_CSV_ROWS + 1);
    expect(await failure(text)).toBe(
      `CSV File has more than 25,000 rows (row 25,001 starts on line 25,002; the file is 0.3 MB (${Buffer.byteLength(text).toLocaleString('en-US')} bytes)); a step takes at most 25,000. Nothing was sent to Sotion. Split the file into smaller ones and run the step for each.`,
    );
    expect(await failure(Buffer.alloc(MAX_CSV_BYTES + 1, 'a'))).toBe(
      'CSV File is 10.0 MB (10,485,761 bytes); a step reads at most 10 MB (10,485,760 bytes). Nothing was sent to Sotion. Split the file into smaller ones and run the step for each.',
    );
  });

  it('picks the delimiter of the header line, outside quotes', () => {
    expect(headerDelimiter('"a;b",c\nx;y;z;w')).toBe(',');
    expect(headerDelimiter('a;b,c;d\n')).toBe(';');
    expect(headerDelimiter('a\tb\r\n')).toBe('\t');
    expect(headerDelimiter('email\n')).toBe(',');
  });
});

describe('CSV in: fields', () => {
  const fields = { file: csvFile(), ...csvColumnFields };

  it('declares a file field and three optional column fields', () => {
    expect(fields.file.field).toMatchObject({
      key: 'csv_file',
      label: 'CSV File',
      type: 'file',
      required: false,
    });
    expect(Object.values(csvColumnFields).map((f) => f.field.key)).toEqual([
      'csv_email_column',
      'csv_name_column',
      'csv_paid_column',
    ]);
  });

  it('reads a link, and refuses text that is not one or a link to the Sotion API', async () => {
    const read = (input: Record<string, unknown>) =>
      appTester(async (z: ZObject) => readInputs(z, input, fields), makeBundle({}));
    expect(
      await read({ csv_file: ' https://files.example.com/m.csv ', csv_email_column: 'Mail' }),
    ).toEqual({
      file: 'https://files.example.com/m.csv',
      email: 'Mail',
    });
    expect(await read({ csv_file: '  ' })).toEqual({});
    expect(messageOf(await rejection(read({ csv_file: 'members.csv' })))).toBe(
      'CSV File must be a file (map the file from an earlier step, such as a Google Drive or email attachment); "members.csv" is not a link to one.',
    );
    expect(messageOf(await rejection(read({ csv_file: 'ftp://files.example.com/m.csv' })))).toBe(
      'CSV File must be an http(s) link to a file; "ftp://files.example.com/m.csv" is a ftp: link.',
    );
    expect(
      messageOf(await rejection(read({ csv_file: 'https://api.sotion.so/api/v1/members' }))),
    ).toBe(
      'CSV File points at the Sotion API (https://api.sotion.so/api/v1/members), not at a file. Map the file from the step that has it, such as a Google Drive or email attachment.',
    );
  });
});

describe('CSV in: only the email column', () => {
  it('ignores Name and Paid columns, and names in `Name <address>`, whatever they hold', async () => {
    const read = await parsed(
      `Email,Name,Paid\nAda <ada@example.com>,${'x'.repeat(300)},perhaps\ngrace@example.com,,\n`,
      { emailOnly: true, defaultPaid: true },
    );
    expect(read.problems).toEqual([]);
    expect(read.columns).toEqual({ email: 'Email', name: undefined, paid: undefined });
    expect(read.entries).toEqual([
      { raw: 'ada@example.com', source: 'CSV line 2', displayName: undefined, paid: true },
      { raw: 'grace@example.com', source: 'CSV line 3', displayName: undefined, paid: true },
    ]);
  });
});

describe('CSV in: the download (its file link)', () => {
  const HOST = 'https://files.example.com';

  /** Reads the file within a run whose deadline has `leftMs` left. */
  const download = (url: string, leftMs = 25_000) =>
    appTester(
      async (z: ZObject, bundle) => {
        const client = new SotionClient(z, bundle, new Deadline(leftMs));
        return readCsvFile(client, url);
      },
      makeBundle({ csv_file: url }),
    );

  it('refuses a file link that carries the API key, before any request', async () => {
    expect(messageOf(await rejection(download(`${HOST}/m.csv?token=${KEY}`)))).toBe(
      "A value of this step contains the connection's API key (in csv_file), so nothing was sent to Sotion. Check which fields are mapped into this step.",
    );
  });
});
