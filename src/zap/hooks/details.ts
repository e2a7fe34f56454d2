import type { ZObject } from 'zapier-platform-core';
import { getAccessGroup } from '../../api/access-groups';
import { getMember } from '../../api/members';
import type { SotionClient } from '../../http/client';
import { errorInfo } from '../../http/errors';
import { asJson, isRecord, pickText, type Json } from './output';

/**
 * What a slim delivery lacks: the member or the group, fetched when the delivery carries only
 * its id (Sotion's payloads are undocumented; some carry objects, some only ids).
 */

/** Fetches what an outdated or slim payload lacks; a 404 keeps what the delivery carried. */
const fetchOr = async <T>(z: ZObject, what: string, fetch: () => Promise<T>) => {
  try {
    return await fetch();
  } catch (error) {
    if (errorInfo(error)?.status !== 404) throw error;
    z.console.log(`${what} is gone from Sotion; the output keeps what the delivery carried.`);
    return undefined;
  }
};

/** The member of a member or membership event, fetched when the delivery carries only ids. */
export const memberOf = async (
  client: SotionClient,
  data: Json,
): Promise<{ id?: string; member: Json }> => {
  const nested = isRecord(data.member) ? data.member : undefined;
  const source = nested ?? data;
  const id = pickText(source, 'id', 'memberId') ?? pickText(data, 'memberId');
  if (pickText(source, 'email') !== undefined || !id) return { id, member: source };
  const fetched = await fetchOr(client.z, `Member ${id}`, () => getMember(client, id));
  return { id, member: fetched ? { ...source, ...asJson(fetched) } : source };
};

/**
 * The group of a group or membership event, fetched when the delivery carries only its id. In a
 * group event the data may be the group itself (`own`); in a membership event it never is.
 */
export const groupOf = async (
  client: SotionClient,
  data: Json,
  own: boolean,
): Promise<{ id?: string; group: Json }> => {
  const nested = isRecord(data.accessGroup) ? data.accessGroup : undefined;
  const source = nested ?? (own ? data : {});
  const id = pickText(source, 'id') ?? pickText(data, 'accessGroupId', 'groupId');
  if (pickText(source, 'name') !== undefined || !id) return { id, group: source };
  const fetched = await fetchOr(client.z, `Access group ${id}`, () => getAccessGroup(client, id));
  return { id, group: fetched ? { ...source, ...asJson(fetched) } : source };
};
