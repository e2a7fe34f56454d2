import type { Bundle, ZObject } from 'zapier-platform-core';
import { getAccessGroup } from '../../api/access-groups';
import { getMember } from '../../api/members';
import { SotionClient } from '../../http/client';
import { runBudgetMs } from '../../http/config';
import { Deadline } from '../../http/deadline';
import { errorInfo } from '../../http/errors';
import { asJson, isRecord, pickText, type Json } from './output';

/**
 * What a slim delivery lacks: the member or the group, fetched when the delivery carries only
 * its id (Sotion's payloads are undocumented; some carry objects, some only ids).
 *
 * A delivery is an event that happened: Zapier retries a failed hook run only once, so a read
 * that cannot be done in time must not lose it. The reads get a short budget of their own, and
 * a 429, a 5xx, a time-out or a lost connection leaves the object as the delivery carried it,
 * with the reason in the item's `detailsMissingReason`. Errors that a retry would not fix
 * (a revoked key, a refused plan, an answer of the wrong shape) still fail the run.
 */

/** The most a delivery's reads may take, waits for the rate limit included (Zapier allows 30 s). */
export const DETAILS_BUDGET_MS = 6_000;

/** The client of one delivery: its deadline is the details budget, not the whole run's. */
export const detailsClient = (z: ZObject, bundle: Bundle): SotionClient =>
  new SotionClient(z, bundle, new Deadline(Math.min(DETAILS_BUDGET_MS, runBudgetMs())));

/** Why an object of the event is not in the item with all its details. */
export interface Missing {
  /** "member <id>", or the bare noun when the delivery names none. */
  what: string;
  cause: 'throttled' | 'unanswered' | 'gone' | 'unnamed';
  status?: number;
  requestId?: string;
}

export interface Details {
  id?: string;
  /** The object as the delivery carried it, completed by the read when there was one. */
  object: Json;
  missing?: Missing;
}

/**
 * Reads what an outdated or slim payload lacks. A 404 keeps what the delivery carried (the object
 * is gone); so does an error the read's budget could not outlast.
 */
const read = async <T>(
  z: ZObject,
  noun: string,
  id: string,
  fetch: () => Promise<T>,
): Promise<{ fetched?: T; missing?: Missing }> => {
  const what = `${noun} ${id}`;
  try {
    return { fetched: await fetch() };
  } catch (error) {
    const info = errorInfo(error);
    // Handed back for lack of time to try again: the answer that asked for the try.
    const status = info?.status ?? info?.lastAnswer?.status;
    const requestId = info?.requestId ?? info?.lastAnswer?.requestId;
    if (status === 404) {
      z.console.log(
        `${capitalized(what)} is gone from Sotion; the output keeps what the delivery carried.`,
      );
      return { missing: { what, cause: 'gone', status, requestId } };
    }
    // The pipeline marks what a later try could fix: 429, 5xx, time-outs, lost connections.
    if (!info?.transient) throw error;
    const cause = status === 429 ? 'throttled' : 'unanswered';
    return { missing: { what, cause, status, requestId } };
  }
};

/** The member of a member or membership event, fetched when the delivery carries only ids. */
export const memberOf = async (client: SotionClient, data: Json): Promise<Details> => {
  const nested = isRecord(data.member) ? data.member : undefined;
  const source = nested ?? data;
  const id = pickText(source, 'id', 'memberId') ?? pickText(data, 'memberId');
  if (pickText(source, 'email') !== undefined) return { id, object: source };
  if (!id) return { object: source, missing: { what: 'member', cause: 'unnamed' } };
  const { fetched, missing } = await read(client.z, 'member', id, () => getMember(client, id));
  return { id, object: fetched ? { ...source, ...asJson(fetched) } : source, missing };
};

/**
 * The group of a group or membership event, fetched when the delivery carries only its id. In a
 * group event the data may be the group itself (`own`); in a membership event it never is.
 */
export const groupOf = async (client: SotionClient, data: Json, own: boolean): Promise<Details> => {
  const nested = isRecord(data.accessGroup) ? data.accessGroup : undefined;
  const source = nested ?? (own ? data : {});
  const id = pickText(source, 'id') ?? pickText(data, 'accessGroupId', 'groupId');
  if (pickText(source, 'name') !== undefined) return { id, object: source };
  if (!id) return { object: source, missing: { what: 'access group', cause: 'unnamed' } };
  const { fetched, missing } = await read(client.z, 'access group', id, () =>
    getAccessGroup(client, id),
  );
  return { id, object: fetched ? { ...source, ...asJson(fetched) } : source, missing };
};

const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** What Sotion did when a read failed for a reason a later try could fix (not a 429). */
const answer = (status: number | undefined): string => {
  if (status === undefined) return 'Sotion did not answer';
  // Anything else a later try could fix is an answer that was not JSON.
  return status >= 500
    ? `Sotion answered HTTP ${status}`
    : `Sotion's answer (HTTP ${status}) was not JSON`;
};

/** One sentence per cause, about the objects named in `whats` ("member 0b7c… and access group …"). */
const SENTENCES: Record<
  Missing['cause'],
  (whats: string, many: boolean, status?: number) => string
> = {
  throttled: (whats) =>
    `${capitalized(whats)} could not be read in time: Sotion's rate limit was used up.`,
  unanswered: (whats, _many, status) =>
    `${capitalized(whats)} could not be read in time: ${answer(status)}.`,
  gone: (whats, many) =>
    `${capitalized(whats)} ${many ? 'are' : 'is'} gone from Sotion (deleted since the event).`,
  unnamed: (whats) => `The delivery names no ${whats}.`,
};

/**
 * The item's `detailsMissingReason`, or undefined when nothing is missing: one sentence per
 * cause, naming the objects by id, with Sotion's request ids when it answered.
 */
export const missingReason = (problems: Array<Missing | undefined>): string | undefined => {
  const byCause = new Map<string, Missing[]>();
  for (const problem of problems) {
    if (!problem) continue;
    const key = `${problem.cause}:${problem.status ?? ''}`;
    byCause.set(key, [...(byCause.get(key) ?? []), problem]);
  }
  if (byCause.size === 0) return undefined;
  return [...byCause.values()]
    .map((group) => {
      const { cause, status } = group[0] as Missing;
      const whats = group.map((p) => p.what).join(cause === 'unnamed' ? ' or ' : ' and ');
      const ids = group.flatMap((p) => (p.requestId ? [p.requestId] : []));
      const suffix = ids.length ? ` (X-Request-Id: ${ids.join(', ')})` : '';
      return SENTENCES[cause](whats, group.length > 1, status) + suffix;
    })
    .join(' ');
};
