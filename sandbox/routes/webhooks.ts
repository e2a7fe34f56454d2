/** §2.5 webhook subscriptions: list, create, get, delete (deliveries are in ../deliveries.ts). */
import { randomBytes, randomUUID } from 'node:crypto';
import { DECISIONS } from '../decisions';
import { bad, HttpError, notFound, objectBody, optionalText, paginate, uuidParam } from '../http';
import { EVENTS, now, type SiteData, type WebhookRecord } from '../store';
import { created, webhookView, type RouteContext } from './context';

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

const findHook = (site: SiteData, id: string) =>
  site.webhooks.find((w) => w.id === uuidParam(id, 'webhookId')) ?? notFound('Webhook');

export const webhookRoutes = (ctx: RouteContext): void => {
  ctx.route(
    'GET',
    '/webhooks',
    (site, _p, query) => {
      let hooks = [...site.webhooks];
      const event = query.get('event');
      if (event !== null) hooks = hooks.filter((w) => w.events.includes(event));
      const managedBy = query.get('managedBy');
      if (managedBy !== null) hooks = hooks.filter((w) => w.managedBy === managedBy);
      const page = paginate(hooks, query);
      return { status: 200, body: { ...page, data: page.data.map(webhookView) } };
    },
    true,
  );
  ctx.route('POST', '/webhooks', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    if (typeof body.url !== 'string') bad('url is required.');
    let url: URL;
    try {
      url = new URL(body.url as string);
    } catch {
      return bad('url must be a valid URL.');
    }
    const loopbackHttp =
      ctx.settings.allowLoopbackHttpWebhooks &&
      url.protocol === 'http:' &&
      LOOPBACK.includes(url.hostname);
    if (url.protocol !== 'https:' && !loopbackHttp) {
      throw new HttpError(422, 'url must start with https://', 'validation_error');
    }
    const events = body.events;
    if (
      !Array.isArray(events) ||
      events.length < 1 ||
      events.some((e) => !(EVENTS as readonly unknown[]).includes(e))
    ) {
      bad(`events must be a non-empty array of: ${EVENTS.join(', ')}.`);
    }
    if (site.webhooks.filter((w) => w.active).length >= DECISIONS.webhooks.maxActive) {
      throw new HttpError(
        DECISIONS.webhooks.limitStatus,
        'This site already has 10 active webhook subscriptions.',
        'limit_reached',
      );
    }
    const managedBy = optionalText(body, 'managedBy', 100) ?? null;
    const name =
      optionalText(body, 'name', 200) ??
      `${managedBy ?? 'dashboard'}: ${(events as string[]).join(', ')}`;
    const at = now();
    const hook: WebhookRecord = {
      id: randomUUID(),
      name,
      url: url.toString(),
      events: events as string[],
      active: true,
      secret: `whsec_${randomBytes(24).toString('hex')}`,
      managedBy,
      createdAt: at,
      updatedAt: at,
    };
    site.webhooks.push(hook);
    return created(
      ctx,
      { data: { ...webhookView(hook), secret: hook.secret } },
      `${ctx.prefix}/webhooks/${hook.id}`,
    );
  });
  ctx.route('GET', '/webhooks/:id', (site, [id]) => ({
    status: 200,
    body: { data: webhookView(findHook(site, id!)) },
  }));
  ctx.route('DELETE', '/webhooks/:id', (site, [id]) => {
    const hook = findHook(site, id!);
    site.webhooks = site.webhooks.filter((w) => w !== hook);
    return { status: 204 };
  });
};
