import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  defineTrigger,
  type Bundle,
  type PlainInputField,
  type WebhookTriggerPerform,
  type WebhookTriggerPerformList,
  type WebhookTriggerPerformSubscribe,
  type WebhookTriggerPerformUnsubscribe,
  type ZObject,
} from 'zapier-platform-core';
import { getAccessGroup, newestAccessGroups } from '../api/access-groups';
import { groupMembers } from '../api/group-members';
import { getMember, members as membersApi } from '../api/members';
import type { WebhookEvent } from '../api/schemas';
import { webhooks } from '../api/webhooks';
import { SotionClient } from '../http/client';
import { errorInfo, plainMessage, userError } from '../http/errors';
import { fetchPage, walkPages } from '../http/pagination';
import { accessGroups, fieldsOf, readInputs, type FieldSpec } from './fields';
import {
  asJson,
  groupFields,
  isRecord,
  memberFields,
  pickText,
  prefixedGroupFields,
  SHAPES,
  withEnvelope,
  type Envelope,
  type HookShape,
  type Json,
} from './hook-output';

/**
 * One factory for Sotion's nine instant triggers (REST hooks, reference §2.5). Each trigger file
 * gives its key, label, event and the shape of the event's data; the factory does the rest:
 * subscribe (removing a stale subscription for the same URL first), unsubscribe (404 = gone),
 * verify each delivery's signature, drop other event types and retried events, shape the output,
 * and list real recent objects for the editor's test.
 */

export const MAX_SUBSCRIPTIONS = 10;
export const MANAGED_BY = 'zapier';
export const SIGNATURE_HEADER = 'x-webhook-signature';
/** How long a delivered event id is remembered against Sotion's retries (seconds). */
export const SEEN_TTL_SECONDS = 3 * 24 * 60 * 60;
/** Items of an editor test ("Find new records"). */
const LIST_SIZE = 3;

export interface HookTriggerDef {
  key: string;
  noun: string;
  label: string;
  /** "Triggers when … (instantly)." */
  description: string;
  event: WebhookEvent;
  shape: HookShape;
  /** Optional input: only items matching these fields start a run. */
  filter?: HookFilter;
}

/** An optional filter, read from the step's input and applied to each output item. */
export interface HookFilter {
  spec: FieldSpec<string[]>;
  /** The output key the chosen values are compared to. */
  outputKey: string;
}

/** The membership triggers' filter: only these groups (empty: every group). */
export const membershipFilter: HookFilter = {
  spec: accessGroups({
    key: 'access_group_ids',
    label: 'Access Groups',
    helpText:
      'Only trigger for these access groups, for example `3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10`. ' +
      'Leave empty for every group.',
  }),
  outputKey: 'accessGroupId',
};

/** What `performSubscribe` stores; Zapier hands it back as `bundle.subscribeData`. */
export interface SubscribeData {
  id: string;
  secret: string;
}

const subscribeDataOf = (bundle: Bundle): Partial<SubscribeData> => {
  const data: unknown = bundle.subscribeData;
  if (!isRecord(data)) return {};
  return {
    id: typeof data.id === 'string' ? data.id : undefined,
    secret: typeof data.secret === 'string' ? data.secret : undefined,
  };
};

/* ---------- subscribe / unsubscribe ---------- */

const sameUrl = (a: string, b: string): boolean => {
  if (a === b) return true;
  try {
    return new URL(a).toString() === new URL(b).toString();
  } catch {
    return false;
  }
};

/** Removes the subscriptions Sotion still holds for this target URL (a failed unsubscribe). */
const removeStale = async (client: SotionClient, targetUrl: string): Promise<number> => {
  const stale: string[] = [];
  for await (const page of walkPages(client, webhooks.list, { query: { managedBy: MANAGED_BY } })) {
    stale.push(...page.items.filter((hook) => sameUrl(hook.url, targetUrl)).map((hook) => hook.id));
  }
  for (const webhookId of stale) {
    await client.call(webhooks.delete, { params: { webhookId } });
  }
  return stale.length;
};

/** The subscription's name in Sotion's dashboard: which Zap and trigger it serves. */
export const subscriptionName = (def: Pick<HookTriggerDef, 'label'>, bundle: Bundle): string => {
  const zapId = bundle.meta?.zap?.id;
  return `Zapier: ${def.label} trigger${zapId ? ` of Zap ${zapId}` : ''}`;
};

const isCapCandidate = (error: unknown): boolean => {
  const status = errorInfo(error)?.status;
  return status !== undefined && status >= 400 && status < 500 && ![401, 429].includes(status);
};

const CAP_WORDS = /\b(limit|maximum|max|too many|cap)\b/i;

/**
 * A 4xx from POST /webhooks: when the site holds the maximum of active subscriptions (or Sotion
 * says so), a message naming the limit, the subscriptions holding it and the polling triggers;
 * otherwise the pipeline's own error.
 */
const capError = async (client: SotionClient, error: unknown): Promise<unknown> => {
  const active: string[] = [];
  for await (const page of walkPages(client, webhooks.list, {})) {
    active.push(...page.items.filter((hook) => hook.active).map((hook) => hook.name));
  }
  if (active.length < MAX_SUBSCRIPTIONS && !CAP_WORDS.test(plainMessage(error))) return error;
  const info = errorInfo(error);
  const names = active.length ? active.map((name) => `"${name}"`).join(', ') : 'none listed';
  return userError(
    client.z,
    `Sotion allows at most ${MAX_SUBSCRIPTIONS} active webhook subscriptions per site, and this ` +
      `site has ${active.length}: ${names}. Turn off a Zap that uses an instant Sotion trigger ` +
      '(or delete an unused webhook in Sotion under Site settings → Integrations), or use the ' +
      'polling triggers New Member or New Access Group, which need no subscription.' +
      (info?.requestId ? ` (X-Request-Id: ${info.requestId})` : ''),
    'subscription_limit',
    { status: info?.status, requestId: info?.requestId, transient: false },
  );
};

const subscribe = (def: HookTriggerDef) =>
  (async (z, bundle) => {
    const client = new SotionClient(z, bundle);
    const targetUrl = bundle.targetUrl;
    if (!targetUrl) {
      throw userError(
        z,
        'Zapier gave no hook URL to subscribe with. Turn the Zap off and on again.',
        'no_target_url',
        { transient: false },
      );
    }
    await removeStale(client, targetUrl);
    let created;
    try {
      created = await client.call(webhooks.create, {
        body: {
          url: targetUrl,
          events: [def.event],
          managedBy: MANAGED_BY,
          name: subscriptionName(def, bundle),
        },
        lostAnswerHint:
          'A subscription may have been made: turning the Zap on again removes it first.',
      });
    } catch (error) {
      throw isCapCandidate(error) ? await capError(client, error) : error;
    }
    const { id, secret } = created.data.data;
    return { id, secret } satisfies SubscribeData;
  }) satisfies WebhookTriggerPerformSubscribe;

const unsubscribe = (async (z, bundle) => {
  const client = new SotionClient(z, bundle);
  const { id } = subscribeDataOf(bundle);
  if (id) {
    const outcome = await client.call(webhooks.delete, { params: { webhookId: id } });
    return { id, deleted: outcome.ok };
  }
  // No id kept (an interrupted subscribe): whatever Sotion holds for this URL goes.
  const removed = bundle.targetUrl ? await removeStale(client, bundle.targetUrl) : 0;
  return { id: null, deleted: removed > 0 };
}) satisfies WebhookTriggerPerformUnsubscribe;

/* ---------- deliveries ---------- */

/** A header of Zapier's raw request, case-insensitively, with or without the `Http-` prefix. */
export const headerOf = (
  headers: Record<string, unknown> | undefined,
  name: string,
): string | undefined => {
  const wanted = [name.toLowerCase(), `http-${name.toLowerCase()}`];
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (!wanted.includes(key.toLowerCase())) continue;
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string') return text;
  }
  return undefined;
};

/**
 * Why a delivery's signature does not hold, or undefined when it does: `sha256=<hex>` of the
 * HMAC-SHA256 of the exact body with the subscription's secret, compared in constant time.
 */
export const signatureProblem = (
  body: string,
  header: string | undefined,
  secret: string | undefined,
): string | undefined => {
  if (!secret) return 'the subscription has no signing secret (turn the Zap off and on again)';
  if (header === undefined) return 'the delivery is not signed (no X-Webhook-Signature header)';
  const match = /^\s*sha256=([0-9a-f]+)\s*$/i.exec(header);
  if (!match) return 'the X-Webhook-Signature header is not of the form sha256=<hex>';
  // Hex decoding takes either case.
  const given = Buffer.from(match[1] as string, 'hex');
  const expected = createHmac('sha256', secret).update(body, 'utf8').digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'the signature does not match the body (signed with another secret, or altered)';
  }
  return undefined;
};

const envelopeOf = (body: string): { envelope: Envelope; data: Json } | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const id = pickText(parsed, 'id');
  const type = pickText(parsed, 'type');
  if (!id || !type) return undefined;
  return {
    envelope: { id, type, timestamp: pickText(parsed, 'timestamp') ?? null },
    data: isRecord(parsed.data) ? parsed.data : {},
  };
};

const ignore = (z: ZObject, def: HookTriggerDef, why: string): [] => {
  z.console.log(`Sotion delivery for ${def.key} ignored, no Zap run: ${why}.`);
  return [];
};

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
const memberOf = async (
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
const groupOf = async (
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

const omit = (data: Json, keys: string[]): Json =>
  Object.fromEntries(Object.entries(data).filter(([key]) => !keys.includes(key)));

/** A delivery's output for the trigger's shape (one request per missing object at most). */
export const shapeOutput = async (
  client: SotionClient,
  shape: HookShape,
  envelope: Envelope,
  data: Json,
): Promise<Json> => {
  switch (shape) {
    case 'member': {
      const { id, member } = await memberOf(client, data);
      const extra = omit(data, ['member', 'memberId', ...Object.keys(member)]);
      return withEnvelope(envelope, extra, memberFields(member, id));
    }
    case 'memberDeleted': {
      const id = pickText(data, 'id', 'memberId');
      const { id: _id, memberId: _m, email, ...extra } = data;
      return withEnvelope(envelope, extra, { memberId: id ?? null, email: email ?? null });
    }
    case 'group': {
      const { id, group } = await groupOf(client, data, true);
      const extra = omit(data, ['accessGroup', 'accessGroupId', ...Object.keys(group)]);
      return withEnvelope(envelope, extra, groupFields(group, id));
    }
    case 'groupDeleted': {
      const id = pickText(data, 'id', 'accessGroupId');
      const { id: _id, accessGroupId: _g, name, ...extra } = data;
      return withEnvelope(envelope, extra, { accessGroupId: id ?? null, name: name ?? null });
    }
    case 'membership': {
      const [{ id: memberId, member }, { id: groupId, group }] = await Promise.all([
        memberOf(client, data),
        groupOf(client, data, false),
      ]);
      const extra = omit(data, ['member', 'accessGroup', 'memberId', 'accessGroupId', 'groupId']);
      return withEnvelope(envelope, extra, {
        ...memberFields(member, memberId),
        ...prefixedGroupFields(group, groupId),
      });
    }
  }
};

/** Event ids already turned into a Zap run, per subscription (Sotion retries with the same id). */
const seenKey = (bundle: Bundle, eventId: string): string =>
  `sotion:hook:${subscribeDataOf(bundle).id ?? bundle.targetUrl ?? 'unknown'}:${eventId}`;

/**
 * Set-if-absent on z.cache: true when this call claimed the key. A value already there means a
 * run was started for it; `nx` settles a race between two deliveries (Zapier answers false to a
 * set that did not happen; the test double always answers true, so the read comes first).
 */
const claim = async (z: ZObject, key: string): Promise<boolean> => {
  if ((await z.cache.get(key)) !== null) return false;
  return (await z.cache.set(key, 1, SEEN_TTL_SECONDS, undefined, true)) !== false;
};

const matchesFilter = (def: HookTriggerDef, z: ZObject, bundle: Bundle, item: Json): boolean => {
  if (!def.filter) return true;
  const wanted = readInputs(z, bundle.inputData, { only: def.filter.spec }).only;
  if (wanted.length === 0) return true;
  const value = item[def.filter.outputKey];
  return typeof value === 'string' && wanted.includes(value.toLowerCase());
};

const perform = (def: HookTriggerDef) =>
  (async (z, bundle) => {
    const body = bundle.rawRequest?.content;
    if (typeof body !== 'string') return ignore(z, def, 'Zapier passed no raw body to verify');
    const header = headerOf(bundle.rawRequest?.headers, SIGNATURE_HEADER);
    const problem = signatureProblem(body, header, subscribeDataOf(bundle).secret);
    if (problem) return ignore(z, def, problem);
    const parsed = envelopeOf(body);
    if (!parsed) return ignore(z, def, 'the body is not a Sotion event (no id or type)');
    const { envelope, data } = parsed;
    if (envelope.type !== def.event) {
      return ignore(z, def, `event ${envelope.id} is "${envelope.type}", not "${def.event}"`);
    }
    const key = seenKey(bundle, envelope.id);
    if ((await z.cache.get(key)) !== null) {
      return ignore(z, def, `event ${envelope.id} was already delivered (a retry)`);
    }
    const item = await shapeOutput(new SotionClient(z, bundle), def.shape, envelope, data);
    if (!(await claim(z, key))) {
      return ignore(z, def, `event ${envelope.id} was already delivered (a retry)`);
    }
    if (!matchesFilter(def, z, bundle, item)) {
      return ignore(z, def, `event ${envelope.id} does not match the step's filter`);
    }
    return [item];
  }) satisfies WebhookTriggerPerform;

/* ---------- the editor's test: real recent objects ---------- */

const newestMembers = async (client: SotionClient): Promise<Json[]> => {
  const page = await fetchPage(client, membersApi.list, { limit: LIST_SIZE });
  return page.items.map(asJson);
};

const occurred = (object: Json, ...keys: string[]): string | null =>
  pickText(object, ...keys) ?? null;

const stand = (object: Json, type: string, ...timeKeys: string[]): Envelope => ({
  id: String(object.id),
  type,
  timestamp: occurred(object, ...timeKeys),
});

const list = (def: HookTriggerDef) =>
  (async (z, bundle) => {
    const client = new SotionClient(z, bundle);
    const { event } = def;
    const filterIds = def.filter
      ? readInputs(z, bundle.inputData, { only: def.filter.spec }).only
      : [];
    switch (def.shape) {
      case 'member': {
        const out: Json[] = [];
        for (const item of await newestMembers(client)) {
          const member = asJson(await getMember(client, String(item.id)));
          const time = event === 'member.auth' ? ['lastLoginAt', 'updatedAt'] : ['updatedAt'];
          out.push(
            withEnvelope(
              stand(member, event, ...time, 'createdAt'),
              {},
              memberFields(member, String(member.id)),
            ),
          );
        }
        return out;
      }
      case 'memberDeleted':
        return (await newestMembers(client)).map((m) =>
          withEnvelope(
            stand(m, event, 'updatedAt', 'createdAt'),
            {},
            {
              memberId: m.id,
              email: m.email,
            },
          ),
        );
      case 'group':
      case 'groupDeleted': {
        const { groups } = await newestAccessGroups(client, {
          max: LIST_SIZE,
          firstPageOnly: true,
        });
        return groups
          .map(asJson)
          .map((g) =>
            withEnvelope(
              stand(g, event, 'updatedAt', 'createdAt'),
              {},
              def.shape === 'group'
                ? groupFields(g, String(g.id))
                : { accessGroupId: g.id, name: g.name },
            ),
          );
      }
      case 'membership':
        return membershipList(client, event, filterIds);
    }
  }) satisfies WebhookTriggerPerformList;

/** Members with one of their groups each: of the chosen groups, or of the newest members. */
const membershipList = async (
  client: SotionClient,
  event: string,
  groupIds: string[],
): Promise<Json[]> => {
  const pairs: Array<{ memberId: string; groupId: string }> = [];
  for (const groupId of groupIds) {
    const page = await fetchPage(client, groupMembers.list, {
      params: { groupId },
      limit: LIST_SIZE,
    });
    pairs.push(...page.items.map((m) => ({ memberId: m.id, groupId })));
    if (pairs.length >= LIST_SIZE) break;
  }
  const out: Json[] = [];
  const groups = new Map<string, Json>();
  const groupById = async (id: string) => {
    const known = groups.get(id) ?? asJson(await getAccessGroup(client, id));
    groups.set(id, known);
    return known;
  };
  const memberIds = groupIds.length
    ? pairs.map((p) => p.memberId)
    : (await newestMembers(client)).map((m) => String(m.id));
  for (const [i, memberId] of memberIds.slice(0, LIST_SIZE).entries()) {
    const fetched = await getMember(client, memberId);
    const member = asJson(fetched);
    const groupId = pairs[i]?.groupId ?? fetched.accessGroups[0]?.id;
    if (!groupId) continue;
    const group = await groupById(groupId);
    out.push(
      withEnvelope(
        { id: `${memberId}:${groupId}`, type: event, timestamp: occurred(member, 'updatedAt') },
        {},
        { ...memberFields(member, memberId), ...prefixedGroupFields(group, groupId) },
      ),
    );
  }
  return out;
};

/* ---------- the factory ---------- */

export const defineHookTrigger = (def: HookTriggerDef) => {
  const { sample, outputFields } = SHAPES[def.shape];
  const inputFields: PlainInputField[] = def.filter ? fieldsOf(def.filter.spec) : [];
  return defineTrigger({
    key: def.key,
    noun: def.noun,
    display: { label: def.label, description: def.description },
    operation: {
      type: 'hook',
      inputFields,
      perform: perform(def),
      performList: list(def),
      performSubscribe: subscribe(def),
      performUnsubscribe: unsubscribe,
      sample: sample(def.event),
      outputFields,
    },
  });
};
