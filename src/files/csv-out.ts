import { stringify } from 'csv-stringify/sync';
import type { PlainOutputField, ZObject } from 'zapier-platform-core';
import { plainMessage, shorten, userError } from '../http/errors';

/**
 * CSV files out: a table written with csv-stringify and stored at Zapier with `z.stashFile`,
 * which hands back a URL a later step can map (to email the file or save it to a drive).
 *
 * The file exists only at Zapier: it is uploaded to Zapier's file storage (core asks Zapier's
 * RPC for a presigned upload, `get_presigned_upload_post_data`, and posts the bytes there), not
 * to Sotion, and Zapier decides how long the link lives. `z.stashFile` works only inside a create.
 *
 * Written for spreadsheets: UTF-8 with a BOM (Excel then reads accents right), CRLF line
 * endings, and formula injection guarded: a cell starting with = + - @ (or a tab, a carriage
 * return, or their full-width forms) gets a leading ' so no spreadsheet runs it as a formula.
 */

export type Cell = string | number | boolean | null | undefined;

/** A cell as written: '' for null/undefined, `true`/`false`, numbers and text as they are. */
const cellText = (value: Cell): string =>
  value === null || value === undefined ? '' : String(value);

/** The CSV bytes of a header and rows. */
export const toCsv = (header: readonly string[], rows: Iterable<readonly Cell[]>): Buffer => {
  const records: string[][] = [[...header]];
  for (const row of rows) records.push(row.map(cellText));
  return Buffer.from(
    stringify(records, { bom: true, record_delimiter: 'windows', escape_formulas: true }),
    'utf8',
  );
};

export interface StashedFile {
  /** Where Zapier keeps the file (a later step maps it). */
  url: string;
  filename: string;
  bytes: number;
  /** Rows without the header. */
  rows: number;
}

/**
 * Writes a CSV and stores it at Zapier (only inside a create). A failure to store is an error
 * saying so; the file is then nowhere.
 */
export const stashCsv = async (
  z: ZObject,
  file: { filename: string; header: readonly string[]; rows: readonly (readonly Cell[])[] },
): Promise<StashedFile> => {
  const data = toCsv(file.header, file.rows);
  let url: string;
  try {
    url = await Promise.resolve(z.stashFile(data, data.length, file.filename, 'text/csv'));
  } catch (error) {
    throw userError(
      z,
      `Zapier could not store the file ${file.filename} (${shorten(plainMessage(error), 160)}). ` +
        'Replay the step; this is usually temporary.',
      'stash_failed',
      {},
    );
  }
  return { url, filename: file.filename, bytes: data.length, rows: file.rows.length };
};

/** A bulk step returns `results_file` when it has more than this many results. */
export const RESULTS_FILE_MIN = 100;

/** What the results file says about each input row (src/bulk's MemberResult has these). */
export interface ResultRow {
  source: string;
  email: string;
  status: string;
  memberId: string | null;
  reason: string | null;
}

export const RESULTS_HEADER = ['Source', 'Email', 'Status', 'Member ID', 'Reason'] as const;

/** The results file's name: `<step>-results-2026-07-30T10-15-00Z.csv`. */
export const resultsFilename = (step: string, now: Date): string =>
  `${step}-results-${now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')}.csv`;

export interface ResultsFile {
  /** The file's URL at Zapier, or null (100 results or fewer, or it could not be stored). */
  results_file: string | null;
  /** Why there is no file although there were more than 100 results, else null. */
  results_file_error: string | null;
}

/**
 * `results_file` for a bulk step's output: with more than RESULTS_FILE_MIN results, a CSV of
 * every input row and its outcome, stored at Zapier. Never throws: the members were already
 * changed, so a file that cannot be stored is reported in `results_file_error` instead of
 * failing the step.
 */
export const resultsFile = async (
  z: ZObject,
  step: string,
  results: readonly ResultRow[],
  now: Date = new Date(),
): Promise<ResultsFile> => {
  if (results.length <= RESULTS_FILE_MIN) return { results_file: null, results_file_error: null };
  try {
    const file = await stashCsv(z, {
      filename: resultsFilename(step, now),
      header: RESULTS_HEADER,
      rows: results.map((r) => [r.source, r.email, r.status, r.memberId, r.reason]),
    });
    return { results_file: file.url, results_file_error: null };
  } catch (error) {
    return { results_file: null, results_file_error: plainMessage(error) };
  }
};

/** Output fields of `resultsFile`'s keys. */
export const resultsFileOutputFields = [
  // A CSV of every input row and its outcome, when there are more than 100.
  { key: 'results_file', label: 'Results File', type: 'file' },
  { key: 'results_file_error', label: 'Results File Error', type: 'string' },
] satisfies PlainOutputField[];

export const resultsFileSample: ResultsFile = {
  results_file:
    'https://zapier-dev-files.s3.amazonaws.com/cli-platform/f0b1c/bulk_add_members-results-2026-07-30T10-15-00Z.csv',
  results_file_error: null,
};
