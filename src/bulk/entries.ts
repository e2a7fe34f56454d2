import type { ZObject } from 'zapier-platform-core';
import { parseAddresses } from '../api/emails';
import { MAX_DISPLAY_NAME } from '../api/members';
import { inputError, quote } from '../http/errors';
import { toBool, toText } from '../zap/input';

/** One address of the input, with where it came from and what the user said about it. */
export interface BulkEntry {
  raw: string;
  source: string;
  displayName?: string;
  paid?: boolean;
  /**
   * Why the entry could not be read (a CSV row with a bad Paid value, say): it is reported
   * `invalid` with this reason, never sent. `raw` is then its email cell, when there was one.
   */
  problem?: string;
}

/** A display name as sent: at most MAX_DISPLAY_NAME characters, or the step is refused. */
const checkName = (z: ZObject, name: string | undefined, source: string): string | undefined => {
  const length = name === undefined ? 0 : [...name].length;
  if (length > MAX_DISPLAY_NAME) {
    throw inputError(
      z,
      `Display Name of ${source} must be at most ${MAX_DISPLAY_NAME} characters; it has ` +
        `${length.toLocaleString('en-US')} (${quote(name)}). Shorten it and try again.`,
    );
  }
  return name;
};

/**
 * The entries of a step's input in input order: line items first, then the email list. Without
 * `details` (a step that neither names nor pays members), only the addresses are read.
 */
export const collectEntries = (
  z: ZObject,
  lineItems: unknown,
  emailList: unknown,
  defaultPaid: boolean | undefined,
  details = true,
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
    const addresses = parseAddresses(email);
    if (!details) {
      if (addresses.length === 0) entries.push({ raw: '', source });
      for (const { address } of addresses) entries.push({ raw: address, source });
      return;
    }
    const given = checkName(z, toText(z, record.display_name, `Display Name of ${source}`), source);
    const paid = toBool(z, record.paid, `Paid of ${source}`) ?? defaultPaid;
    if (addresses.length === 0) {
      // Nothing a user sent is dropped: a row without an email is reported as invalid.
      entries.push({ raw: '', source, displayName: given, paid });
      return;
    }
    for (const { address, name } of addresses) {
      // Display Name wins; otherwise the name of `Ada Lovelace <ada@example.com>`.
      const displayName =
        (addresses.length === 1 ? given : undefined) ?? checkName(z, name, source);
      entries.push({ raw: address, source, displayName, paid });
    }
  });
  // A missing or null list reads as one empty entry, which toText skips.
  const listItems = Array.isArray(emailList) ? emailList : [emailList];
  listItems.forEach((value, index) => {
    const text = toText(z, value, `Emails entry ${index + 1}`);
    if (text === undefined) return;
    const source = `email list entry ${index + 1}`;
    for (const { address, name } of parseAddresses(text)) {
      if (!details) {
        entries.push({ raw: address, source });
        continue;
      }
      const displayName = checkName(z, name, source);
      entries.push({ raw: address, source, displayName, paid: defaultPaid });
    }
  });
  return entries;
};
