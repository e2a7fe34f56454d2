import { parse } from 'csv-parse/sync';
import type { ZObject } from 'zapier-platform-core';
import { parseAddresses } from '../api/emails';
import { MAX_DISPLAY_NAME } from '../api/members';
import type { BulkEntry } from '../bulk/entries';
import type { SotionClient } from '../http/client';
import { inputError, plainMessage, quote, shorten } from '../http/errors';
import { text, type FieldSpec } from '../zap/fields';
import { hiddenCharacter, HIDDEN_WHY, toBool, toText } from '../zap/input';
import { downloadFile, fileUrl, formatBytes } from './download';

/**
 * CSV files in: the `csv_file` field of the bulk steps and its column fields, the download, and
 * the parse into BulkEntry (one per address, `source` "CSV line 12"). Parsing is csv-parse's:
 * UTF-8 with or without a BOM; comma, semicolon or tab (the header line decides); CRLF, LF or
 * CR line endings; quoted values with delimiters, quotes ("") and line breaks inside.
 *
 * The first row is the header. Nothing is dropped silently: a row that cannot be read is in
 * `problems` with its line and why, fully blank rows are counted in `blankRows`, and a row with
 * an empty email is an entry with an empty address (reported invalid by the bulk engine).
 */

export const MAX_CSV_BYTES = 10 * 1024 * 1024;
export const MAX_CSV_ROWS = 25_000;

export type Delimiter = ',' | ';' | '\t';

/** Header names (compared trimmed, any case, `_` as a space) that name each column by default. */
export const EMAIL_HEADERS = ['email', 'e-mail', 'email address', 'e-mail address'];
export const NAME_HEADERS = ['name', 'display name', 'full name'];
export const PAID_HEADERS = ['paid'];

/** Which columns to read: header names the user gave; undefined finds them by the lists above. */
export interface CsvColumnNames {
  email?: string;
  name?: string;
  paid?: string;
}

export interface CsvOptions {
  /** The file field's label, for messages (default `CSV File`). */
  label?: string;
  columns?: CsvColumnNames;
  /** Paid of a row whose Paid cell is empty (or when there is no Paid column). */
  defaultPaid?: boolean;
  /**
   * Read only the email column, for a step that neither names nor pays members: Name and Paid
   * columns (and names written as `Name <address>`) are ignored, whatever they hold.
   */
  emailOnly?: boolean;
}

/** A row taken out of the entries, with where it is and why. */
export interface CsvRowProblem {
  /** The line the row starts on (the header is line 1). */
  line: number;
  /** `CSV line 12`, or `CSV lines 12-14` for a row over several lines. */
  source: string;
  reason: string;
  /** The row's email cell as written, when the row could be split into cells. */
  email?: string;
}

export interface CsvRead {
  /** One per address of every readable row, in file order; `source` is `CSV line N`. */
  entries: BulkEntry[];
  /** Rows that could not be read or taken, in file order. */
  problems: CsvRowProblem[];
  /** Data rows (after the header, blank rows not counted), read or not. */
  rows: number;
  /** Rows with no value at all (empty lines, `;;;`): not members, counted so none is hidden. */
  blankRows: number;
  delimiter: Delimiter;
  /** The header cells of the columns read (as written in the file). */
  columns: { email: string; name: string | undefined; paid: string | undefined };
  bytes: number;
}

/** The column fields, in src/zap/fields.ts style: the Zapier field and its reader in one. */
export const csvColumnFields = {
  email: text({
    key: 'csv_email_column',
    label: 'CSV Email Column',
    helpText:
      'The header of the CSV File column that holds the emails, when it is not called Email, ' +
      'E-mail or Email Address. Example: `Work Email`.',
  }),
  name: text({
    key: 'csv_name_column',
    label: 'CSV Name Column',
    helpText:
      'The header of the column with display names, when it is not called Name, Display Name ' +
      'or Full Name. Example: `Customer Name`.',
  }),
  paid: text({
    key: 'csv_paid_column',
    label: 'CSV Paid Column',
    helpText:
      'The header of the column with `true`/`false` (or yes/no) for paying members, when it is ' +
      'not called Paid. Empty cells use "Paid by Default". Example: `Is Paying`.',
  }),
};

/**
 * The `csv_file` field: a file Zapier hands over as a URL. Reads the URL (checked: http(s), not
 * the Sotion API), or undefined when the field is empty.
 */
export const csvFile = (
  def: { key?: string; label?: string; helpText?: string } = {},
): FieldSpec<string | undefined> => {
  const label = def.label ?? 'CSV File';
  return {
    field: {
      key: def.key ?? 'csv_file',
      label,
      type: 'file',
      required: false,
      helpText:
        def.helpText ??
        'A CSV file with a header row and an Email column (Name and Paid optional), up to ' +
          '25,000 rows and 10 MB. Example: `members.csv` from a Google Sheets step.',
    },
    read(z, value) {
      const found = toText(z, value, label);
      return found === undefined ? undefined : fileUrl(z, label, found);
    },
  };
};

/** A header cell as compared: trimmed, lowercased, `_` and runs of spaces as one space. */
const norm = (header: string): string =>
  header
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, ' ');

/**
 * The delimiter of the header line: whichever of `,` `;` and tab occurs most outside quotes
 * (comma on a tie, or for a one-column file). csv-parse's own detection reads a fixed prefix
 * without quotes and fails on a quoted value that holds a delimiter.
 */
export const headerDelimiter = (text: string): Delimiter => {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch] += 1;
  }
  const best = (Object.keys(counts) as Delimiter[]).reduce((a, b) =>
    counts[b] > counts[a] ? b : a,
  );
  return best;
};

/** Line breaks in a raw record: CRLF, LF and CR each count once. */
const breaks = (raw: string): number => raw.match(/\r\n|\r|\n/g)?.length ?? 0;

/** Refuses bytes that are not UTF-8 text, naming what they look like and what to do. */
const decode = (z: ZObject, label: string, data: Buffer): string => {
  const saveAs = 'Save it as "CSV UTF-8" (Excel: File → Save As → CSV UTF-8) and try again.';
  if (data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) {
    throw inputError(
      z,
      `${label} is a zip file, such as an Excel workbook (.xlsx), not a CSV. ${saveAs}`,
    );
  }
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    throw inputError(z, `${label} is UTF-16 text ("Unicode text"), not UTF-8. ${saveAs}`);
  }
  const nul = data.indexOf(0);
  if (nul >= 0) {
    throw inputError(
      z,
      `${label} is not a text file (it has a zero byte at byte ${nul.toLocaleString('en-US')}). ${saveAs}`,
    );
  }
  try {
    // Strips a UTF-8 BOM.
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    const line = firstInvalidLine(data);
    throw inputError(
      z,
      `${label} is not UTF-8 text (line ${line.toLocaleString('en-US')} has bytes that are not ` +
        `UTF-8, as in files saved as "CSV" or "ANSI" with accented letters). ${saveAs}`,
    );
  }
};

/** The line of the first byte sequence that is not UTF-8 (for the message). */
const firstInvalidLine = (data: Buffer): number => {
  const text = new TextDecoder('utf-8').decode(data);
  return text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
};

/** With `raw: true`, csv-parse hands on_record `{ record, raw }` rather than the cells. */
interface WithRaw {
  record: string[];
}

/** Stops the parse once the file has more rows than a step takes. */
class TooManyRows extends Error {
  constructor(readonly line: number) {
    super('too many rows');
  }
}

const sourceOf = (first: number, last: number) =>
  first === last ? `CSV line ${first}` : `CSV lines ${first}-${last}`;

interface Located {
  index: number;
  header: string;
}

const describeHeaders = (header: string[]): string => {
  const shown = header.filter((h) => h.trim() !== '').slice(0, 12);
  const list = shown.map((h) => quote(h.trim())).join(', ');
  return shown.length
    ? `its header row has ${list}${header.length > 12 ? ', …' : ''}`
    : 'its header row is empty';
};

/** The column named `wanted` (the user's) or the first whose header is one of `defaults`. */
const locate = (
  z: ZObject,
  header: string[],
  wanted: string | undefined,
  defaults: readonly string[],
  what: { field: string; label: string },
): Located | undefined => {
  const names = header.map(norm);
  if (wanted !== undefined) {
    const index = names.indexOf(norm(wanted));
    if (index < 0) {
      throw inputError(
        z,
        `${what.field} is ${quote(wanted)}, but ${what.label} has no column with that header: ` +
          `${describeHeaders(header)}. Enter one of those.`,
      );
    }
    return { index, header: header[index] as string };
  }
  const matches = names.flatMap((name, index) => (defaults.includes(name) ? [index] : []));
  if (matches.length > 1) {
    throw inputError(
      z,
      `${what.label} has ${matches.length} columns that could be the one to read ` +
        `(${matches.map((i) => quote((header[i] as string).trim())).join(', ')}). Name the one ` +
        `to use in ${what.field}.`,
    );
  }
  const index = matches[0];
  return index === undefined ? undefined : { index, header: header[index] as string };
};

/**
 * Parses a CSV file's bytes into bulk entries. Throws an input error, before any Sotion request,
 * for a file that cannot be used at all (not UTF-8, no email column, more than MAX_CSV_ROWS
 * rows, a header row that cannot be read).
 */
export const parseCsv = (z: ZObject, data: Buffer, options: CsvOptions = {}): CsvRead => {
  const label = options.label ?? 'CSV File';
  if (data.length > MAX_CSV_BYTES) {
    throw inputError(
      z,
      `${label} is ${formatBytes(data.length)}; a step reads at most ${formatBytes(MAX_CSV_BYTES)}. ` +
        'Nothing was sent to Sotion. Split the file into smaller ones and run the step for each.',
    );
  }
  const content = decode(z, label, data);
  const delimiter = headerDelimiter(content);
  const entries: BulkEntry[] = [];
  const problems: CsvRowProblem[] = [];
  let rows = 0;
  let blankRows = 0;
  /** The line the next record starts on. */
  let line = 1;
  let header: string[] | undefined;
  let columns: { email: Located; name?: Located; paid?: Located } | undefined;

  const take = (record: string[], first: number, last: number) => {
    const source = sourceOf(first, last);
    const cells = columns as NonNullable<typeof columns>;
    const width = (header as string[]).length;
    const cell = (at: Located | undefined) => (at ? (record[at.index] ?? '') : '').trim();
    const email = cell(cells.email) || undefined;
    if (record.length > width && record.slice(width).some((value) => value.trim() !== '')) {
      problems.push({
        line: first,
        source,
        email,
        reason:
          `it has ${record.length} values but the header has ${width} columns (a value that ` +
          `contains "${delimiter === '\t' ? 'tab' : delimiter}" must be in double quotes)`,
      });
      return;
    }
    let paid = options.defaultPaid;
    const paidText = cell(cells.paid);
    if (paidText !== '') {
      try {
        paid = toBool(z, paidText, `its ${cells.paid?.header.trim()} value`);
      } catch (error) {
        problems.push({
          line: first,
          source,
          email,
          reason: plainMessage(error).replace(/\.$/, ''),
        });
        return;
      }
    }
    const given = cell(cells.name) || undefined;
    const addresses = parseAddresses(cell(cells.email));
    // Display Name wins; otherwise the name of `Ada Lovelace <ada@example.com>` (one address).
    const nameOf = (name: string | undefined) =>
      options.emailOnly ? undefined : (given ?? (addresses.length === 1 ? name : undefined));
    const names = addresses.length ? addresses.map((a) => nameOf(a.name)) : [given];
    const hidden = names
      .map((n) => (n === undefined ? undefined : hiddenCharacter(n)))
      .find(Boolean);
    if (hidden !== undefined) {
      problems.push({
        line: first,
        source,
        reason: `its display name contains ${hidden}, ${HIDDEN_WHY}`,
      });
      return;
    }
    const long = names.find((n) => n !== undefined && [...n].length > MAX_DISPLAY_NAME);
    if (long !== undefined) {
      problems.push({
        line: first,
        source,
        email,
        reason:
          `its display name has ${[...long].length.toLocaleString('en-US')} characters ` +
          `(${quote(long)}); Sotion takes at most ${MAX_DISPLAY_NAME}`,
      });
      return;
    }
    if (addresses.length === 0) {
      entries.push({ raw: '', source, displayName: given, paid });
      return;
    }
    for (const { address, name } of addresses) {
      entries.push({ raw: address, source, displayName: nameOf(name), paid });
    }
  };

  const onRecord = (record: string[], raw: string) => {
    const first = line;
    const spanned = breaks(raw);
    line += spanned;
    // A record's raw text ends with its line break, except the file's last one without.
    const last = first + spanned - (/[\r\n]$/.test(raw) ? 1 : 0);
    if (header === undefined) {
      header = record;
      const email = locate(z, header, options.columns?.email, EMAIL_HEADERS, {
        field: 'CSV Email Column',
        label,
      });
      if (!email) {
        const noHeader =
          header.every((h) => h.trim() === '') || header.some((h) => h.includes('@'));
        throw inputError(
          z,
          `${label} has no email column: ${describeHeaders(header)}. ` +
            (noHeader
              ? 'The first row must be a header row (such as `Email,Name`): add one above the ' +
                'first member.'
              : 'Name the column that holds the emails in CSV Email Column.'),
        );
      }
      columns = options.emailOnly
        ? { email }
        : {
            email,
            name: locate(z, header, options.columns?.name, NAME_HEADERS, {
              field: 'CSV Name Column',
              label,
            }),
            paid: locate(z, header, options.columns?.paid, PAID_HEADERS, {
              field: 'CSV Paid Column',
              label,
            }),
          };
      return;
    }
    if (record.every((cell) => cell.trim() === '')) {
      blankRows += 1;
      return;
    }
    rows += 1;
    if (rows > MAX_CSV_ROWS) throw new TooManyRows(first);
    take(record, first, last);
  };

  const onSkip = (
    error: { code?: string; message: string } | undefined,
    raw: string | undefined,
  ) => {
    const first = line;
    const spanned = breaks(raw ?? '');
    line += spanned;
    if (header === undefined) {
      throw inputError(
        z,
        `${label}'s header row (line 1) cannot be read: ${error?.message ?? 'unknown error'}.`,
      );
    }
    rows += 1;
    if (rows > MAX_CSV_ROWS) throw new TooManyRows(first);
    const last = first + spanned - (/[\r\n]$/.test(raw ?? '') ? 1 : 0);
    const unclosed = error?.code === 'CSV_QUOTE_NOT_CLOSED';
    problems.push({
      line: first,
      source: sourceOf(first, last),
      reason: unclosed
        ? `a double quote opened on line ${first} is never closed, so lines ${first} to ` +
          `${last} (the end of the file) could not be read; close the quote or remove it`
        : `it cannot be read as CSV (${shorten(error?.message ?? 'unknown error', 160)})`,
    });
  };

  try {
    parse(content, {
      delimiter,
      bom: true,
      raw: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (error, raw) => {
        onSkip(error, raw);
        return undefined;
      },
      on_record: (value: unknown, context) => {
        onRecord((value as WithRaw).record, context.raw ?? '');
        // Nothing is kept by the parser: entries are built as records come.
        return null;
      },
    });
  } catch (error) {
    // csv-parse hands every error of a row to on_skip: what arrives here is ours.
    if (!(error instanceof TooManyRows)) throw error;
    throw inputError(
      z,
      `${label} has more than ${MAX_CSV_ROWS.toLocaleString('en-US')} rows (row ` +
        `${(MAX_CSV_ROWS + 1).toLocaleString('en-US')} starts on line ` +
        `${error.line.toLocaleString('en-US')}; the file is ${formatBytes(data.length)}); a ` +
        `step takes at most ${MAX_CSV_ROWS.toLocaleString('en-US')}. Nothing was sent to ` +
        'Sotion. Split the file into smaller ones and run the step for each.',
    );
  }
  if (header === undefined || columns === undefined) {
    throw inputError(
      z,
      `${label} is empty: it needs a header row (such as \`Email,Name\`) and a row per member.`,
    );
  }
  return {
    entries,
    problems,
    rows,
    blankRows,
    delimiter,
    columns: {
      email: columns.email.header,
      name: columns.name?.header,
      paid: columns.paid?.header,
    },
    bytes: data.length,
  };
};

/**
 * Downloads the CSV File (within the client's run deadline, at most MAX_CSV_BYTES) and parses
 * it. Make the SotionClient before calling this: its constructor refuses an input that carries
 * the API key, a file URL included.
 */
export const readCsvFile = async (
  client: Pick<SotionClient, 'z' | 'deadline'>,
  url: string,
  options: CsvOptions & { reserveMs?: number } = {},
): Promise<CsvRead> => {
  const label = options.label ?? 'CSV File';
  const { data } = await downloadFile(client.z, url, {
    label,
    deadline: client.deadline,
    maxBytes: MAX_CSV_BYTES,
    reserveMs: options.reserveMs,
  });
  return parseCsv(client.z, data, options);
};
