/**
 * Webhook deliveries (§2.5, DECISIONS.webhooks): a signed POST of the documented envelope to each
 * active subscription of the event, retried with the same envelope (and so the same id).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { sleep } from './http';
import { now, type SiteData } from './store';

export interface DeliveryRecord {
  webhookId: string;
  event: string;
  attempts: number;
  status: number | null;
}

export interface Deliveries {
  /**
   * Sends `type` with `data` to the site's subscribers, in the background. `data` may be a
   * function that makes it, called only when the event has a subscriber (a bulk import of
   * thousands of members then costs no views nobody receives).
   */
  emit(site: SiteData, type: string, data: unknown): void;
  /** Waits up to `ms` for deliveries still under way. */
  settle(ms: number): Promise<void>;
}

export const createDeliveries = (
  retryDelays: number[],
  records: () => DeliveryRecord[],
): Deliveries => {
  const pending = new Set<Promise<void>>();

  const deliver = async (
    url: string,
    envelope: { id: string; type: string },
    raw: string,
    signature: string,
    record: DeliveryRecord,
  ) => {
    for (let attempt = 0; attempt <= retryDelays.length; attempt += 1) {
      record.attempts += 1;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-webhook-signature': signature,
            'x-webhook-event': envelope.type,
            'x-webhook-id': envelope.id,
            'x-webhook-delivery': randomUUID(),
          },
          body: raw,
          signal: AbortSignal.timeout(5000),
        });
        record.status = response.status;
        if (response.ok) return;
      } catch {
        record.status = null;
      }
      const delay = retryDelays[attempt];
      if (delay === undefined) return;
      await sleep(delay);
    }
  };

  return {
    emit(site, type, data) {
      const hooks = site.webhooks.filter((w) => w.active && w.events.includes(type));
      if (hooks.length === 0) return;
      const payload: unknown = typeof data === 'function' ? (data as () => unknown)() : data;
      for (const hook of hooks) {
        const envelope = {
          id: randomUUID(),
          type,
          timestamp: now(),
          version: '1',
          siteId: site.site.id,
          data: payload,
        };
        const raw = JSON.stringify(envelope);
        const signature = `sha256=${createHmac('sha256', hook.secret).update(raw).digest('hex')}`;
        const record: DeliveryRecord = {
          webhookId: hook.id,
          event: type,
          attempts: 0,
          status: null,
        };
        records().push(record);
        const promise = deliver(hook.url, envelope, raw, signature, record).finally(() =>
          pending.delete(promise),
        );
        pending.add(promise);
      }
    },
    async settle(ms) {
      await Promise.race([Promise.allSettled([...pending]), sleep(ms)]);
    },
  };
};
