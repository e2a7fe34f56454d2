import type {
  Bundle,
  WebhookTriggerPerformSubscribe,
  WebhookTriggerPerformUnsubscribe,
} from 'zapier-platform-core';
import type { WebhookEvent } from '../../api/schemas';
import { webhooks } from '../../api/webhooks';
import { SotionClient } from '../../http/client';
import { errorInfo, plainMessage, userError } from '../../http/errors';
import { walkPages } from '../../http/pagination';
import { isRecord } from './output';

/**
 * Subscribe and unsubscribe (REST hooks, reference §2.5): one Sotion webhook subscription per Zap,
 * for the trigger's one event. A subscription left over for the same URL (a failed unsubscribe)
 * is removed first; Sotion's cap on active subscriptions gets a message naming who holds it.
 */

export const MAX_SUBSCRIPTIONS = 10;
export const MANAGED_BY = 'zapier';

/** The requests of turning a Zap on and off, for docs/operations.md. */
export const SUBSCRIBE_REQUESTS =
  'turning the Zap on: 1 page of `GET /webhooks?managedBy=zapier` per 100 + 1 `POST /webhooks` ' +
  '(+1 `DELETE` per stale subscription of the same Zap); off: 1';

/** What a subscription needs to know of its trigger. */
export interface Subscribing {
  label: string;
  event: WebhookEvent;
}

/** What `performSubscribe` stores; Zapier hands it back as `bundle.subscribeData`. */
export interface SubscribeData {
  id: string;
  secret: string;
}

export const subscribeDataOf = (bundle: Bundle): Partial<SubscribeData> => {
  const data: unknown = bundle.subscribeData;
  if (!isRecord(data)) return {};
  return {
    id: typeof data.id === 'string' ? data.id : undefined,
    secret: typeof data.secret === 'string' ? data.secret : undefined,
  };
};

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
export const subscriptionName = (def: Pick<Subscribing, 'label'>, bundle: Bundle): string => {
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
    { status: info?.status, requestId: info?.requestId },
  );
};

export const subscribe = (def: Subscribing) =>
  (async (z, bundle) => {
    const client = new SotionClient(z, bundle);
    const targetUrl = bundle.targetUrl;
    if (!targetUrl) {
      throw userError(
        z,
        'Zapier gave no hook URL to subscribe with. Turn the Zap off and on again.',
        'no_target_url',
        {},
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

export const unsubscribe = (async (z, bundle) => {
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
