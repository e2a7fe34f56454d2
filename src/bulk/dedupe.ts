import { emailProblem, normalizeEmail } from '../api/emails';
import type { BulkEntry } from './entries';
import type { Item, StepResult } from './state';

/**
 * The first phase of every bulk step: one result per input entry, in input order. Invalid emails,
 * entries that could not be read (a CSV row's `problem`) and repeats of an earlier email are
 * settled here (never sent); the first entry of each valid email comes back in `unique`, its
 * result `failed` until a later phase says otherwise.
 */
export const dedupe = <Own extends string>(
  entries: BulkEntry[],
): { results: Array<StepResult<Own>>; unique: Array<Item<Own>> } => {
  const results: Array<StepResult<Own>> = [];
  const firstByEmail = new Map<string, Item<Own>>();
  const unique: Array<Item<Own>> = [];
  for (const entry of entries) {
    const email = normalizeEmail(entry.raw);
    const result: StepResult<Own> = {
      email: email || entry.raw,
      source: entry.source,
      status: 'failed',
      memberId: null,
      reason: null,
    };
    results.push(result);
    const problem = emailProblem(email);
    const first = firstByEmail.get(email);
    if (entry.problem !== undefined) {
      result.status = 'invalid';
      result.reason = `Not sent: this row could not be read: ${entry.problem}.`;
    } else if (problem) {
      result.status = 'invalid';
      result.reason = `Not sent: ${problem}.`;
    } else if (first) {
      result.status = 'duplicate';
      result.reason = `Not sent again: the same email is in ${first.entry.source}.`;
    } else {
      const item = { entry, result };
      firstByEmail.set(email, item);
      unique.push(item);
    }
  }
  return { results, unique };
};
