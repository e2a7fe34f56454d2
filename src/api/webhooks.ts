import { endpoint } from '../http/endpoint';
import { CreatedWebhook, Empty, list, single, Webhook } from './schemas';

/** Webhook subscriptions (reference §2.5): the REST-hook surface for instant triggers. */
export const webhooks = {
  list: endpoint('GET /webhooks', list(Webhook), { what: 'webhook subscriptions' }),
  /** Each send makes another subscription (and another secret). */
  create: endpoint('POST /webhooks', single(CreatedWebhook), {
    what: 'a webhook subscription',
    replay: 'unsafe',
  }),
  get: endpoint('GET /webhooks/{webhookId}', single(Webhook), {
    what: 'webhook subscription {webhookId}',
  }),
  /** 404 (documented): already deleted. */
  delete: endpoint('DELETE /webhooks/{webhookId}', Empty, {
    what: 'webhook subscription {webhookId}',
    expect: [404],
  }),
};
