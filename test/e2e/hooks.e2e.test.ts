import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Behaviour } from '../../sandbox/decisions';
import { DEMO_KEY } from '../../sandbox/store';
import { appTester, messageOf, rejection } from '../tester';
import { hookOp } from '../zap/hooks/helpers';
import {
  configure,
  demoSite,
  groupByName,
  http,
  useReceiver,
  useSandbox,
  type Delivery,
} from './harness';
import { useFastClock } from '../fast-clock';

// Back-off and rate-limit waits are waited out on a clock that skips the waiting (test/fast-clock.ts).
useFastClock();

jest.setTimeout(60_000);

/**
 * The nine instant triggers end to end: the sandbox delivers signed webhooks over real HTTP to a
 * loopback receiver standing in for Zapier's hook endpoint, and each delivery runs the trigger's
 * perform through createAppTester with a bundle built as Zapier builds it.
 */

/** Zapier hands incoming headers Title-Cased with an `Http-` prefix. */
const zapierHeaders = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([name, value]) => [
        `Http-${name
          .split('-')
          .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
          .join('-')}`,
        value,
      ]),
  );

const deliveryBundle = (
  delivery: Pick<Delivery, 'headers' | 'body'>,
  subscribeData: { id: string; secret: string },
  targetUrl: string,
) =>
  ({
    authData: { apiKey: DEMO_KEY },
    inputData: {},
    meta: {},
    targetUrl,
    subscribeData,
    rawRequest: {
      method: 'POST',
      querystring: '',
      headers: zapierHeaders(delivery.headers),
      content: delivery.body,
    },
    cleanedRequest: JSON.parse(delivery.body) as Record<string, unknown>,
  }) as never;

const hookBundle = (targetUrl: string, subscribeData?: unknown) =>
  ({ authData: { apiKey: DEMO_KEY }, inputData: {}, meta: {}, targetUrl, subscribeData }) as never;

interface Ctx {
  memberId: string;
  groupId: string;
}

/** Each trigger: its key, its event, and how a site causes it (straight through the API). */
type Cause = (ctx: Ctx) => Promise<{ status: number }>;

const variants: Array<[string, Partial<Behaviour>]> = [
  ['membership payload: objects', { membershipPayload: 'objects' }],
  ['membership payload: ids', { membershipPayload: 'ids' }],
];

describe.each(variants)('instant triggers (%s)', (_name, behaviour) => {
  const sandbox = useSandbox({
    behaviour,
    allowLoopbackHttpWebhooks: true,
    webhookRetryDelaysMs: [50, 50, 50],
  });
  // Every first attempt to each Zap fails (500), so the sandbox retries with the same event.
  const firstAttempt = new Set<string>();
  const receiver = useReceiver((n) => {
    const path = receiver.received[n]?.path ?? '';
    if (firstAttempt.has(path)) return 200;
    firstAttempt.add(path);
    return 500;
  });
  const received = receiver.received;

  const deliveriesTo = async (path: string, count: number): Promise<Delivery[]> => {
    for (let i = 0; i < 150; i += 1) {
      const found = received.filter((d) => d.path === path);
      if (found.length >= count) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    return received.filter((d) => d.path === path);
  };

  const api = (method: string, path: string, body?: unknown) => http(sandbox(), method, path, body);
  const fresh = async (): Promise<Ctx> => {
    const email = `hook-${Math.random().toString(36).slice(2)}@example.org`;
    const member = await api('POST', '/members', { email, displayName: 'Hook Test' });
    const group = await api('POST', '/access-groups', {
      name: `Hook Group ${Math.random().toString(36).slice(2)}`,
    });
    return {
      memberId: (member.json as { data: { id: string } }).data.id,
      groupId: (group.json as { data: { id: string } }).data.id,
    };
  };

  const CASES: Array<[string, string, Cause, (item: Record<string, unknown>, ctx: Ctx) => void]> = [
    [
      'member_created',
      'member.created',
      async () => {
        const r = await api('POST', '/members', {
          email: 'instant.new@example.org',
          displayName: 'Instant New',
        });
        return r;
      },
      (item) => {
        expect(item).toMatchObject({
          email: 'instant.new@example.org',
          displayName: 'Instant New',
        });
        expect(item.memberId).toBe(
          demoSite(sandbox()).members.find((m) => m.email === 'instant.new@example.org')?.id,
        );
      },
    ],
    [
      'member_updated',
      'member.updated',
      (ctx) => api('PATCH', `/members/${ctx.memberId}`, { displayName: 'Renamed' }),
      (item, ctx) => expect(item).toMatchObject({ memberId: ctx.memberId, displayName: 'Renamed' }),
    ],
    [
      'member_logged_in_or_out',
      'member.auth',
      async (ctx) => {
        const r = await fetch(`${sandbox().origin}/__sandbox/member-auth`, {
          method: 'POST',
          body: JSON.stringify({ key: DEMO_KEY, memberId: ctx.memberId }),
        });
        return { status: r.status };
      },
      (item, ctx) => {
        expect(item).toMatchObject({ memberId: ctx.memberId, action: 'login' });
        expect(typeof item.lastLoginAt).toBe('string');
      },
    ],
    [
      'member_deleted',
      'member.deleted',
      (ctx) => api('DELETE', `/members/${ctx.memberId}`),
      (item, ctx) =>
        expect(item).toMatchObject({
          memberId: ctx.memberId,
          email: expect.stringMatching(/^hook-/),
        }),
    ],
    [
      'access_group_created',
      'access-group.created',
      () => api('POST', '/access-groups', { name: 'Instant Group' }),
      (item) =>
        expect(item).toMatchObject({ name: 'Instant Group', type: 'custom', memberCount: 0 }),
    ],
    [
      'access_group_updated',
      'access-group.updated',
      (ctx) => api('PATCH', `/access-groups/${ctx.groupId}`, { description: 'Now described' }),
      (item, ctx) =>
        expect(item).toMatchObject({ accessGroupId: ctx.groupId, description: 'Now described' }),
    ],
    [
      'access_group_deleted',
      'access-group.deleted',
      (ctx) => api('DELETE', `/access-groups/${ctx.groupId}`),
      (item, ctx) =>
        expect(item).toMatchObject({
          accessGroupId: ctx.groupId,
          name: expect.stringMatching(/^Hook Group/),
        }),
    ],
    [
      'member_added_to_access_group',
      'access-group.member.added',
      (ctx) => api('POST', `/access-groups/${ctx.groupId}/members`, { memberId: ctx.memberId }),
      (item, ctx) => {
        expect(item).toMatchObject({
          memberId: ctx.memberId,
          email: expect.stringMatching(/^hook-/),
          accessGroupId: ctx.groupId,
          accessGroupName: expect.stringMatching(/^Hook Group/),
          accessGroupType: 'custom',
        });
        expect(item.accessGroupIds).toContain(ctx.groupId);
      },
    ],
    [
      'member_removed_from_access_group',
      'access-group.member.removed',
      async (ctx) => {
        await api('POST', `/access-groups/${ctx.groupId}/members`, { memberId: ctx.memberId });
        return api('DELETE', `/access-groups/${ctx.groupId}/members/${ctx.memberId}`);
      },
      (item, ctx) => {
        expect(item).toMatchObject({
          memberId: ctx.memberId,
          email: expect.stringMatching(/^hook-/),
          accessGroupId: ctx.groupId,
          accessGroupName: expect.stringMatching(/^Hook Group/),
        });
        expect(item.accessGroupIds).not.toContain(ctx.groupId);
      },
    ],
  ];

  it.each(CASES)(
    '%s: subscribe, one verified item, retry ignored, forgeries ignored, unsubscribe',
    async (key, event, cause, check) => {
      const op = hookOp(key);
      const path = `/hook/${key}`;
      const targetUrl = receiver.url().replace('/hook', path);
      const ctx = await fresh();

      const subscribeData = await appTester(op.performSubscribe, hookBundle(targetUrl));
      const site = demoSite(sandbox());
      const held = site.webhooks.find((w) => w.id === subscribeData.id);
      expect(held).toMatchObject({
        url: targetUrl,
        events: [event],
        managedBy: 'zapier',
        active: true,
      });
      expect(held?.name).toMatch(/^Zapier: .+ trigger$/);

      expect((await cause(ctx)).status).toBeLessThan(300);
      const [first, retry] = await deliveriesTo(path, 2);
      expect(first && retry).toBeTruthy();
      const delivery = first as Delivery;
      expect(retry?.headers['x-webhook-id']).toBe(delivery.headers['x-webhook-id']);

      sandbox().resetStats();
      const items = await appTester(
        op.perform,
        deliveryBundle(delivery, subscribeData, targetUrl),
        true,
      );
      expect(items).toHaveLength(1);
      const item = items[0] as Record<string, unknown>;
      expect(Object.keys(item).filter((k) => !(k in op.sample))).toEqual(
        key === 'member_logged_in_or_out' ? ['action'] : [],
      );
      for (const k of Object.keys(op.sample)) expect([k, k in item]).toEqual([k, true]);
      expect(item).toMatchObject({
        id: delivery.headers['x-webhook-id'],
        eventType: event,
        occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        detailsComplete: true,
        detailsMissingReason: null,
      });
      check(item, ctx);
      const requests = sandbox().stats.byRoute;
      const fetched =
        (requests['GET /members/:id'] ?? 0) + (requests['GET /access-groups/:id'] ?? 0);
      expect(fetched).toBe(
        key.includes('access_group') &&
          key.startsWith('member_') &&
          behaviour.membershipPayload === 'ids'
          ? 2
          : 0,
      );
      expect(JSON.stringify(items)).not.toContain(subscribeData.secret);

      // The retry (same envelope id, a new delivery id) starts no second run.
      expect(retry?.headers['x-webhook-delivery']).not.toBe(delivery.headers['x-webhook-delivery']);
      expect(
        await appTester(op.perform, deliveryBundle(retry as Delivery, subscribeData, targetUrl)),
      ).toEqual([]);

      // Forged (another secret), altered (the body changed), and another event type: no run.
      const forged = {
        ...delivery,
        headers: {
          ...delivery.headers,
          'x-webhook-signature': `sha256=${createHmac('sha256', 'whsec_forged').update(delivery.body).digest('hex')}`,
        },
      };
      const altered = {
        ...delivery,
        body: delivery.body.replace('"version":"1"', '"version":"2"'),
      };
      expect(altered.body).not.toBe(delivery.body);
      const otherType = JSON.stringify({
        ...(JSON.parse(delivery.body) as object),
        id: 'another-event',
        type: event === 'member.created' ? 'member.updated' : 'member.created',
      });
      const wronglyTyped = {
        headers: {
          ...delivery.headers,
          'x-webhook-signature': `sha256=${createHmac('sha256', subscribeData.secret).update(otherType).digest('hex')}`,
        },
        body: otherType,
      };
      const unsigned = {
        ...delivery,
        headers: { ...delivery.headers, 'x-webhook-signature': undefined },
      };
      for (const bad of [forged, altered, wronglyTyped, unsigned]) {
        expect(
          await appTester(op.perform, deliveryBundle(bad, subscribeData, targetUrl), true),
        ).toEqual([]);
      }

      await appTester(op.performUnsubscribe, hookBundle(targetUrl, subscribeData));
      expect(demoSite(sandbox()).webhooks).toEqual([]);
      const listed = await api('GET', '/webhooks');
      expect((listed.json as { data: unknown[] }).data).toEqual([]);
      // A second unsubscribe (Zapier retrying) is fine: 404 is "already gone".
      await appTester(op.performUnsubscribe, hookBundle(targetUrl, subscribeData));
    },
  );

  it('a re-subscribe after a failed unsubscribe replaces the leftover subscription', async () => {
    const op = hookOp('member_created');
    const targetUrl = receiver.url().replace('/hook', '/hook/again');
    const first = await appTester(op.performSubscribe, hookBundle(targetUrl));
    const second = await appTester(op.performSubscribe, hookBundle(targetUrl));
    expect(demoSite(sandbox()).webhooks.map((w) => w.id)).toEqual([second.id]);
    expect(second.id).not.toBe(first.id);
    await appTester(op.performUnsubscribe, hookBundle(targetUrl, second));
    expect(demoSite(sandbox()).webhooks).toEqual([]);
  });

  it('the 11th subscription: the cap message names the limit, the holders and the polling triggers', async () => {
    const op = hookOp('member_created');
    const subscriptions: Array<[string, { id: string; secret: string }]> = [];
    for (let i = 0; i < 10; i += 1) {
      const url = receiver.url().replace('/hook', `/hook/cap-${i}`);
      subscriptions.push([url, await appTester(op.performSubscribe, hookBundle(url))]);
    }
    const error = await rejection(
      appTester(op.performSubscribe, hookBundle(receiver.url().replace('/hook', '/hook/cap-10'))),
    );
    expect(messageOf(error)).toMatch(
      /^Sotion allows at most 10 active webhook subscriptions per site, and this site has 10: "Zapier: Member Created trigger", .*\. Turn off a Zap .* use the polling triggers New Member or New Access Group, which need no subscription\. \(X-Request-Id: [0-9a-f-]+\)$/,
    );
    expect(demoSite(sandbox()).webhooks).toHaveLength(10);
    for (const [url, data] of subscriptions) {
      await appTester(op.performUnsubscribe, hookBundle(url, data));
    }
    expect(demoSite(sandbox()).webhooks).toEqual([]);
  });

  it("performList shows the site's own recent objects", async () => {
    const op = hookOp('member_added_to_access_group');
    const premium = groupByName(demoSite(sandbox()), 'Premium Members');
    const [member] = await http(sandbox(), 'POST', '/members', {
      email: 'listed@example.org',
      accessGroupIds: [premium.id],
    }).then((r) => [(r.json as { data: { id: string } }).data]);
    const items = await appTester(op.performList, hookBundle(''));
    expect(items[0]).toMatchObject({
      memberId: member?.id,
      email: 'listed@example.org',
      accessGroupId: premium.id,
      accessGroupName: 'Premium Members',
    });
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(Object.keys(op.sample).sort());
    }
  });
});

/**
 * Issue 17 §3: an instant trigger must not lose an event to the rate limit. Membership deliveries
 * that carry only ids need two reads; when Sotion's window is used up they start the Zap run
 * with the ids, saying what is missing, instead of throwing (Zapier retries a hook run once).
 */
const throttleFigures: string[] = [];
afterAll(() => {
  if (throttleFigures.length)
    console.log(`instant triggers under load:\n  ${throttleFigures.join('\n  ')}`);
});

describe.each(['retry-after', 'reset-only'] as const)(
  'membership deliveries of ids under a tight rate limit (throttle: %s)',
  (throttle) => {
    const sandbox = useSandbox({
      behaviour: { membershipPayload: 'ids', throttle },
      allowLoopbackHttpWebhooks: true,
    });
    const receiver = useReceiver(() => 200);
    const op = hookOp('member_added_to_access_group');
    afterEach(async () => {
      delete process.env.SOTION_RUN_BUDGET_MS;
      await configure(sandbox(), { rateLimit: 100_000, rateWindowSeconds: 60 });
    });

    /** Subscribes a Zap of its own, adds `count` new members to a new group, and waits for the deliveries. */
    const deliveriesOf = async (name: string, count: number) => {
      const path = `/hook/${name}`;
      const targetUrl = receiver.url().replace('/hook', path);
      const subscribeData = await appTester(op.performSubscribe, hookBundle(targetUrl));
      const made = await http(sandbox(), 'POST', '/access-groups', { name: `Load ${name}` });
      const groupId = (made.json as { data: { id: string } }).data.id;
      for (let i = 0; i < count; i += 1) {
        const email = `${name}-${i}@example.org`;
        const r = await http(sandbox(), 'POST', '/members', { email, accessGroupIds: [groupId] });
        expect(r.status).toBeLessThan(300);
      }
      for (
        let i = 0;
        i < 150 && receiver.received.filter((d) => d.path === path).length < count;
        i += 1
      )
        await new Promise((r) => setTimeout(r, 20));
      const deliveries = receiver.received.filter((d) => d.path === path);
      expect(deliveries).toHaveLength(count);
      const bundles = deliveries.map((d) => deliveryBundle(d, subscribeData, targetUrl));
      return { bundles, groupId, subscribeData, targetUrl };
    };

    it('both reads throttled for a minute: the run starts with the ids and says why', async () => {
      const { bundles, groupId } = await deliveriesOf(`one-${throttle}`, 1);
      await configure(sandbox(), { faults: { throttleBurst: 2, throttleResetSeconds: 60 } });
      const items = await appTester(op.perform, bundles[0], true);
      expect(sandbox().stats.faults.throttle).toBe(2);
      const memberId = demoSite(sandbox()).memberships[groupId]?.[0];
      expect(items).toEqual([
        expect.objectContaining({
          memberId,
          email: null,
          accessGroupId: groupId,
          accessGroupName: null,
          eventType: 'access-group.member.added',
          detailsComplete: false,
          detailsMissingReason: expect.stringMatching(
            new RegExp(
              `^Member ${memberId} and access group ${groupId} could not be read in time: ` +
                "Sotion's rate limit was used up\\. \\(X-Request-Id: [0-9a-f-]+, [0-9a-f-]+\\)$",
            ),
          ),
        }),
      ]);
      expect(Object.keys(items[0] ?? {}).sort()).toEqual(Object.keys(op.sample).sort());
    });

    it('30 deliveries at once, 10 requests a second: no event lost, each says whether it is complete', async () => {
      const count = 30;
      const { bundles, groupId } = await deliveriesOf(`load-${throttle}`, count);
      await configure(sandbox(), { rateLimit: 10, rateWindowSeconds: 1 });
      process.env.SOTION_RUN_BUDGET_MS = '2500';
      sandbox().resetStats();
      const runs = await Promise.allSettled(bundles.map((b) => appTester(op.perform, b, true)));
      const thrown = runs.filter((r) => r.status === 'rejected');
      expect(thrown.map((r) => messageOf((r as PromiseRejectedResult).reason))).toEqual([]);
      const items = runs.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      // 0 lost: one run per event, every event id once.
      const eventIds = bundles.map(
        (b) =>
          (
            JSON.parse((b as { rawRequest: { content: string } }).rawRequest.content) as {
              id: string;
            }
          ).id,
      );
      expect(items.map((i) => i.id).sort()).toEqual([...eventIds].sort());
      const members = demoSite(sandbox()).memberships[groupId] ?? [];
      const complete = items.filter((i) => i.detailsComplete === true);
      const incomplete = items.filter((i) => i.detailsComplete === false);
      expect(complete.length + incomplete.length).toBe(count);
      for (const item of items) {
        expect(members).toContain(item.memberId);
        expect(item.accessGroupId).toBe(groupId);
      }
      // A complete item has every detail; an incomplete one says which are missing and why.
      for (const item of complete) {
        expect(item).toMatchObject({
          email: expect.stringMatching(/^load-/),
          accessGroupName: `Load load-${throttle}`,
          detailsMissingReason: null,
        });
      }
      for (const item of incomplete) {
        expect(item.detailsMissingReason).toMatch(
          /could not be read in time: Sotion's rate limit was used up\./,
        );
      }
      const stats = sandbox().stats;
      expect(stats.faults.rateLimited).toBeGreaterThan(0);
      throttleFigures.push(
        `${throttle}: ${count} deliveries at once, 10 requests/s, 2.5 s budget: ${items.length} ` +
          `runs started (0 lost), ${complete.length} complete, ${incomplete.length} without all ` +
          `details; ${stats.total} requests, ${stats.faults.rateLimited} answered 429`,
      );
    });
  },
);
