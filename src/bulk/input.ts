import type { PlainInputField } from 'zapier-platform-core';
import { csvColumnFields, csvFile, readCsvFile, type CsvRowProblem } from '../files/csv-in';
import type { SotionClient } from '../http/client';
import { normalizeEmail } from '../api/emails';
import { inputError } from '../http/errors';
import { fieldsOf, readInputs } from '../zap/fields';
import { collectEntries, type BulkEntry } from './entries';

/**
 * The list input every bulk step shares, declared once: Members line items, the Emails list and
 * the CSV File (with its column fields), read into one list of entries in that order. The caps
 * and the "no members" check live here too, so every bulk step refuses the same input the same
 * way before any Sotion request.
 */

/** The most members one step takes; larger imports are split across steps or runs. */
export const MAX_MEMBERS_PER_STEP = 25_000;

export interface BulkInputSpec {
  /** What the step does with each member, in help texts and messages: `add`, `remove`. */
  verb: string;
  /**
   * Display names and Paid are read too (line item fields, CSV Name and Paid columns, names
   * written `Name <address>`). Without them only the addresses count.
   */
  details: boolean;
}

const EITHER = 'Fill in Members, Emails, CSV File, or several.';

const membersField = ({ details }: BulkInputSpec) =>
  ({
    key: 'members',
    label: 'Members',
    children: [
      {
        key: 'email',
        label: 'Email',
        type: 'string',
        helpText: details
          ? 'One member per line item, for example `ada@example.com` or `Ada Lovelace ' +
            '<ada@example.com>` (the name is used when Display Name is empty). ' +
            EITHER
          : `One member per line item, for example \`ada@example.com\`. ${EITHER}`,
      },
      ...(details
        ? [
            {
              key: 'display_name',
              label: 'Display Name',
              type: 'string',
              helpText:
                'Optional name shown for the member, at most 255 characters. Example: `Ada Lovelace`.',
            } as const,
            {
              key: 'paid',
              label: 'Paid',
              type: 'boolean',
              helpText: 'True marks a paying member; empty uses Paid by Default. Example: `true`.',
            } as const,
          ]
        : []),
    ],
  }) satisfies PlainInputField;

const emailsField = ({ verb, details }: BulkInputSpec) =>
  ({
    key: 'emails',
    label: 'Emails',
    type: 'text',
    list: true,
    required: false,
    helpText: details
      ? `Emails to ${verb}, separated by commas, semicolons or new lines; \`Name <address>\` ` +
        'gives a display name. Example: `ada@example.com, Grace Hopper <grace@example.com>`.'
      : `Emails to ${verb}, separated by commas, semicolons or new lines. Example: ` +
        `\`ada@example.com, grace@example.com\`. ${EITHER}`,
  }) satisfies PlainInputField;

/** The CSV fields of a step: the file, and the columns it reads. */
const csvFields = ({ details }: BulkInputSpec) => ({
  file: csvFile(
    details
      ? {}
      : {
          helpText:
            'A CSV file whose first row is a header with an Email column (other columns are ' +
            'ignored), up to 25,000 rows and 10 MB. Example: `members.csv` from a Google Sheets step.',
        },
  ),
  email: csvColumnFields.email,
  name: details ? csvColumnFields.name : undefined,
  paid: details ? csvColumnFields.paid : undefined,
});

/** The input fields of a bulk step's list, in the order Zapier shows them. */
export const bulkInputFields = (spec: BulkInputSpec): PlainInputField[] => {
  const csv = csvFields(spec);
  return [
    membersField(spec),
    emailsField(spec),
    ...fieldsOf(csv.file, csv.email),
    ...(csv.name && csv.paid ? fieldsOf(csv.name, csv.paid) : []),
  ];
};

export interface BulkInput {
  /** Line items, then the email list, then the CSV's rows (problem rows in their place). */
  entries: BulkEntry[];
  /**
   * What of the input a step memory's key holds: every entry, the CSV's rows by their content
   * (never the file's link, which Zapier may hand over anew), so a replay of the same list, or
   * of the same file, resumes.
   */
  memoryKey: unknown[];
  /** What the CSV File held, when one was given. */
  csv?: { rows: number; blankRows: number; problems: number };
}

const count = (n: number) => n.toLocaleString('en-US');

/** Where a CSV entry starts (its source is `CSV line 12` or `CSV lines 12-14`). */
const startLine = (entry: BulkEntry): number =>
  Number(/^CSV lines? (\d+)/.exec(entry.source)?.[1] ?? Number.POSITIVE_INFINITY);

/** The CSV's rows in file order: entries, with each problem row as an entry in its place. */
const withProblems = (entries: BulkEntry[], problems: CsvRowProblem[]): BulkEntry[] => {
  const out: BulkEntry[] = [];
  let next = 0;
  for (const entry of entries) {
    const line = startLine(entry);
    while (next < problems.length && (problems[next] as CsvRowProblem).line < line) {
      out.push(problemEntry(problems[next] as CsvRowProblem));
      next += 1;
    }
    out.push(entry);
  }
  for (const problem of problems.slice(next)) out.push(problemEntry(problem));
  return out;
};

const problemEntry = ({ source, reason, email }: CsvRowProblem): BulkEntry => ({
  raw: email ?? '',
  source,
  problem: reason,
});

const tooMany = (client: SotionClient, n: number) =>
  inputError(
    client.z,
    `This step got ${count(n)} emails; one step takes at most ${count(MAX_MEMBERS_PER_STEP)} so ` +
      "that it finishes within Zapier's 30 seconds. Split the list across several runs (for " +
      'example with Looping by Zapier).',
  );

/**
 * Reads a bulk step's list: line items and emails first (a bad one is refused before anything
 * is downloaded), then the CSV File (downloaded within the run's deadline, before any Sotion
 * request; make the client first, it refuses an input carrying the API key). A CSV row that
 * cannot be read becomes an entry with a `problem` (reported invalid with its line), so nothing
 * is dropped. Refuses an input with no entry, or more than MAX_MEMBERS_PER_STEP.
 */
export const readBulkInput = async (
  client: SotionClient,
  inputData: Record<string, unknown>,
  spec: BulkInputSpec,
  defaultPaid?: boolean,
): Promise<BulkInput> => {
  const { z } = client;
  const csv = csvFields(spec);
  const { file, email } = readInputs(z, inputData, { file: csv.file, email: csv.email });
  const name = csv.name?.read(z, inputData[csv.name.field.key]);
  const paid = csv.paid?.read(z, inputData[csv.paid.field.key]);
  const listed = collectEntries(z, inputData.members, inputData.emails, defaultPaid, spec.details);
  if (listed.length > MAX_MEMBERS_PER_STEP) throw tooMany(client, listed.length);
  let entries = listed;
  let read: BulkInput['csv'];
  if (file !== undefined) {
    const found = await readCsvFile(client, file, {
      columns: { email, name, paid },
      defaultPaid,
      emailOnly: !spec.details,
    });
    entries = [...listed, ...withProblems(found.entries, found.problems)];
    read = { rows: found.rows, blankRows: found.blankRows, problems: found.problems.length };
    if (entries.length === 0) {
      throw inputError(
        z,
        `No members to ${spec.verb}: CSV File has a header row but no member rows` +
          (found.blankRows ? ` (${count(found.blankRows)} blank)` : '') +
          '. Add a row per member, such as `ada@example.com`, or fill in Members or Emails.',
      );
    }
  }
  if (entries.length === 0) {
    throw inputError(
      z,
      `No members to ${spec.verb}: fill in Members line items, Emails or CSV File, for example ` +
        '`ada@example.com`.',
    );
  }
  if (entries.length > MAX_MEMBERS_PER_STEP) throw tooMany(client, entries.length);
  const memoryKey = entries.map((e) => {
    const address = normalizeEmail(e.raw);
    const problem = e.problem === undefined ? [] : [e.problem];
    if (!spec.details) return problem.length ? [address, ...problem] : address;
    return [address, e.displayName ?? null, e.paid ?? null, ...problem];
  });
  return { entries, memoryKey, csv: read };
};
