import type { ZObject } from 'zapier-platform-core';
import { splitEmails } from '../api/emails';
import { MAX_DISPLAY_NAME } from '../api/members';
import { inputError, quote } from '../http/errors';
import { toBool, toText } from '../zap/input';

/** One address of the input, with where it came from and what the user said about it. */
export interface BulkEntry {
  raw: string;
  source: string;
  displayName?: string;
  paid?: boolean;
}

/** The entries of a step's input in input order: line items first, then the email list. */
export const collectEntries = (
  z: ZObject,
  lineItems: unknown,
  emailList: unknown,
  defaultPaid: boolean | undefined,
): BulkEntry[] => {
  const entries: BulkEntry[] = [];
  const items = lineItems === undefined || lineItems === null || lineItems === '' ? [] : lineItems;
  const rows = Array.isArray(items) ? items : [items];
  rows.forEach((row, index) => {
    const source = `line item ${index + 1}`;
    if (typeof row !== 'object' || row === null) {
      throw inputError(z, `Members ${source} must have an Email; it was ${quote(row)}.`);
    }
    const record = row as Record<string, unknown>;
    const email = toText(z, record.email, `Email of ${source}`) ?? '';
    const displayName = toText(z, record.display_name, `Display Name of ${source}`);
    const nameLength = displayName === undefined ? 0 : [...displayName].length;
    if (nameLength > MAX_DISPLAY_NAME) {
      throw inputError(
        z,
        `Display Name of ${source} must be at most ${MAX_DISPLAY_NAME} characters; it has ` +
          `${nameLength.toLocaleString('en-US')} (${quote(displayName)}). Shorten it and try again.`,
      );
    }
    const paid = toBool(z, record.paid, `Paid of ${source}`) ?? defaultPaid;
    const addresses = splitEmails(email);
    if (addresses.length === 0) {
      // Nothing a user sent is dropped: a row without an email is reported as invalid.
      entries.push({ raw: '', source, displayName, paid });
      return;
    }
    for (const raw of addresses) {
      entries.push({
        raw,
        source,
        displayName: addresses.length === 1 ? displayName : undefined,
        paid,
      });
    }
  });
  const listItems = Array.isArray(emailList)
    ? emailList
    : emailList === undefined
      ? []
      : [emailList];
  listItems.forEach((value, index) => {
    const text = toText(z, value, `Emails entry ${index + 1}`);
    if (text === undefined) return;
    for (const raw of splitEmails(text)) {
      entries.push({ raw, source: `email list entry ${index + 1}`, paid: defaultPaid });
    }
  });
  return entries;
};
