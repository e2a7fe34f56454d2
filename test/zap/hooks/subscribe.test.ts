import nock from 'nock';
import {
  api,
  appTester,
  headers,
  KEY,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  uuid,
} from '../../helpers';
import { captureLogs, hookOp, SECRET, SUB_ID, TARGET } from './helpers';
import { useFastClock } from '../../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

/** performSubscribe and performUnsubscribe of the instant triggers (src/zap/hooks/subscribe.ts). */

const created = hookOp('member_created');
const added = hookOp('member_added_to_access_group');

/** GET /webhooks?managedBy=zapier: no subscription left over for the hook URL. */
const noStale = () =>
  api()
    .get(`${PREFIX}/webhooks`)
    .query({ managedBy: 'zapier', limit: '100' })
    .reply(200, pageOf([]), headers(1));

describe('performSubscribe', () => {
  const hook = (n: number, url: string, over: Record<string, unknown> = {}) => ({
    id: uuid(n),
    name: `zapier: member.created ${n}`,
    url,
    events: ['member.created'],
    active: true,
    secretPrefix: 'whsec_0123',
    managedBy: 'zapier',
    createdAt: '2026-05-01T00:00:00.000Z',
    updatedAt: null,
    ...over,
  });
  const subscribeBundle = (meta: Record<string, unknown> = { zap: { id: '4242' } }) =>
    ({ authData: { apiKey: KEY }, inputData: {}, meta, targetUrl: TARGET }) as never;

  it('removes a stale subscription for the same URL (every page), then posts the one event', async () => {
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(200, pageOf([hook(1, 'https://hooks.zapier.com/other/')], uuid(1)), headers(1));
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100', after: uuid(1) })
      .reply(200, pageOf([hook(2, TARGET)]), headers(2));
    api()
      .delete(`${PREFIX}/webhooks/${uuid(2)}`)
      .reply(204, '', headers(3));
    api()
      .post(`${PREFIX}/webhooks`, {
        url: TARGET,
        events: ['member.created'],
        managedBy: 'zapier',
        name: 'Zapier: Member Created trigger of Zap 4242',
      })
      .reply(201, { data: { ...hook(3, TARGET), secret: SECRET } }, headers(4));
    const result = await appTester(created.performSubscribe, subscribeBundle());
    expect(result).toEqual({ id: uuid(3), secret: SECRET });
  });

  it('takes an already deleted stale subscription (404) as gone, and names the trigger without a Zap id', async () => {
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(200, pageOf([hook(2, TARGET)]), headers(1));
    api()
      .delete(`${PREFIX}/webhooks/${uuid(2)}`)
      .reply(404, { error: 'Not found' }, headers(2));
    api()
      .post(`${PREFIX}/webhooks`, {
        url: TARGET,
        events: ['access-group.member.added'],
        managedBy: 'zapier',
        name: 'Zapier: Member Added to Access Group trigger',
      })
      .reply(201, { data: { ...hook(3, TARGET), secret: SECRET } }, headers(3));
    const result = await appTester(added.performSubscribe, subscribeBundle({}));
    expect(result.id).toBe(uuid(3));
  });

  it('refuses to subscribe without a hook URL', async () => {
    const error = await rejection(
      appTester(created.performSubscribe, {
        authData: { apiKey: KEY },
        inputData: {},
        meta: {},
      } as never),
    );
    expect(messageOf(error)).toBe(
      'Zapier gave no hook URL to subscribe with. Turn the Zap off and on again.',
    );
  });

  it('the cap: names the limit, the subscriptions holding it, and the polling triggers', async () => {
    noStale();
    api()
      .post(`${PREFIX}/webhooks`)
      .reply(
        422,
        { error: 'This site already has 10 active webhook subscriptions.' },
        headers('cap'),
      );
    const all = Array.from({ length: 10 }, (_, i) =>
      hook(10 + i, `https://x.example/${i}`, { name: `Hook ${i}`, active: i !== 3 }),
    );
    api().get(`${PREFIX}/webhooks`).query({ limit: '100' }).reply(200, pageOf(all), headers(2));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toBe(
      'Sotion allows at most 10 active webhook subscriptions per site, and this site has 9: ' +
        '"Hook 0", "Hook 1", "Hook 2", "Hook 4", "Hook 5", "Hook 6", "Hook 7", "Hook 8", "Hook 9". ' +
        'Turn off a Zap that uses an instant Sotion trigger (or delete an unused webhook in ' +
        'Sotion under Site settings → Integrations), or use the polling triggers New Member or ' +
        'New Access Group, which need no subscription. (X-Request-Id: req-cap)',
    );
  });

  it.each([400, 403, 409])(
    'the cap answered with %i and no words: counted from GET /webhooks',
    async (status) => {
      noStale();
      api().post(`${PREFIX}/webhooks`).reply(status, '', headers(2));
      api()
        .get(`${PREFIX}/webhooks`)
        .query({ limit: '100' })
        .reply(
          200,
          pageOf(Array.from({ length: 10 }, (_, i) => hook(10 + i, `https://x.example/${i}`))),
          headers(3),
        );
      const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
      expect(messageOf(error)).toMatch(/^Sotion allows at most 10 active webhook subscriptions/);
      expect(messageOf(error)).toMatch(/New Member or New Access Group/);
    },
  );

  it('another 4xx keeps the pipeline wording', async () => {
    noStale();
    api()
      .post(`${PREFIX}/webhooks`)
      .reply(422, { error: 'url must start with https://' }, headers('bad'));
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ limit: '100' })
      .reply(200, pageOf([hook(1, 'https://x.example/')]), headers(3));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toBe(
      'Sotion rejected the request while creating a webhook subscription (HTTP 422). Check the ' +
        'values in this step\'s fields. Sotion said: "url must start with https://". ' +
        '(X-Request-Id: req-bad)',
    );
  });

  it('a 500 is not taken for the cap: no list request, the server error as it was', async () => {
    noStale();
    api().post(`${PREFIX}/webhooks`).reply(500, { error: 'boom' }, headers('five'));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toMatch(/HTTP 500/);
    expect(messageOf(error)).toMatch(/\(X-Request-Id: req-five\)$/);
    expect(nock.isDone()).toBe(true);
  });

  it('a 401 is not taken for the cap (no extra request)', async () => {
    noStale();
    api().post(`${PREFIX}/webhooks`).reply(401, { error: 'Invalid API key.' }, headers(2));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toMatch(/no longer accepts the API key/);
  });

  it('the signing secret is kept in subscribeData but never printed in the logs', async () => {
    noStale();
    api()
      .post(`${PREFIX}/webhooks`)
      .reply(201, { data: { ...hook(3, TARGET), secret: SECRET } }, headers(2));
    const { lines, result } = await captureLogs(() =>
      appTester(created.performSubscribe, subscribeBundle()),
    );
    expect(result).toEqual({ id: uuid(3), secret: SECRET });
    expect(lines).toMatch(/POST https:\/\/api\.sotion\.so\/api\/v1\/webhooks/);
    expect(lines).toMatch(/201/);
    expect(lines).not.toContain(SECRET);
    expect(lines).not.toContain(SECRET.slice(6));
  });
});

describe('performUnsubscribe', () => {
  const bundle = (subscribeData: Record<string, unknown> | undefined) =>
    ({
      authData: { apiKey: KEY },
      inputData: {},
      meta: {},
      targetUrl: TARGET,
      subscribeData,
    }) as never;

  it('deletes the subscription', async () => {
    api().delete(`${PREFIX}/webhooks/${SUB_ID}`).reply(204, '', headers(1));
    expect(
      await appTester(created.performUnsubscribe, bundle({ id: SUB_ID, secret: SECRET })),
    ).toEqual({
      id: SUB_ID,
      deleted: true,
    });
  });

  it('takes 404 as already gone', async () => {
    api().delete(`${PREFIX}/webhooks/${SUB_ID}`).reply(404, { error: 'Not found' }, headers(1));
    expect(await appTester(created.performUnsubscribe, bundle({ id: SUB_ID }))).toEqual({
      id: SUB_ID,
      deleted: false,
    });
  });

  it('without a kept id, removes what Sotion holds for the hook URL', async () => {
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(
        200,
        pageOf([
          { id: uuid(6), name: 'odd', url: 'not a url', events: [], active: true },
          {
            id: uuid(5),
            name: 'n',
            url: TARGET,
            events: ['member.created'],
            active: true,
            managedBy: 'zapier',
          },
        ]),
        headers(1),
      );
    api()
      .delete(`${PREFIX}/webhooks/${uuid(5)}`)
      .reply(204, '', headers(2));
    expect(await appTester(created.performUnsubscribe, bundle(undefined))).toEqual({
      id: null,
      deleted: true,
    });
  });
});

describe('subscribe edges', () => {
  const bare = (inputData: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    ({ authData: { apiKey: KEY }, inputData, meta: {}, ...extra }) as never;

  it('the cap said in words with no active subscription listed, and no request id', async () => {
    noStale();
    api().post(`${PREFIX}/webhooks`).reply(422, { error: 'Webhook limit reached' });
    api().get(`${PREFIX}/webhooks`).query({ limit: '100' }).reply(200, pageOf([]), headers(2));
    const error = await rejection(
      appTester(created.performSubscribe, bare({}, { targetUrl: TARGET })),
    );
    expect(messageOf(error)).toMatch(
      /and this site has 0: none listed\. .*which need no subscription\.$/,
    );
  });

  it('unsubscribe with neither a kept id nor a hook URL does nothing', async () => {
    expect(
      await appTester(created.performUnsubscribe, bare({}, { subscribeData: { id: 5 } })),
    ).toEqual({ id: null, deleted: false });
  });
});

describe('stale subscriptions, names, other failures', () => {
  const hook = (n: number, url: string) => ({
    id: uuid(n),
    name: `zapier: member.created ${n}`,
    url,
    events: ['member.created'],
    active: true,
    secretPrefix: 'whsec_0123',
    managedBy: 'zapier',
    createdAt: '2026-05-01T00:00:00.000Z',
    updatedAt: null,
  });

  const staleList = (hooks: Array<ReturnType<typeof hook>>) =>
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(200, pageOf(hooks), headers(1));

  const createsHook = (name: string, targetUrl: string = TARGET) =>
    api()
      .post(`${PREFIX}/webhooks`, {
        url: targetUrl,
        events: ['member.created'],
        managedBy: 'zapier',
        name,
      })
      .reply(201, { data: { ...hook(3, targetUrl), secret: SECRET } }, headers(4));

  describe('stale subscriptions for the hook URL', () => {
    const bundle = (targetUrl: string) =>
      ({ authData: { apiKey: KEY }, inputData: {}, meta: {}, targetUrl }) as never;

    it('removes one whose URL differs only in how it is written (host case, default port)', async () => {
      staleList([
        hook(1, 'https://HOOKS.zapier.com/hooks/standard/1/abc/'),
        hook(2, 'https://hooks.zapier.com:443/hooks/standard/1/abc/'),
        hook(5, 'https://hooks.zapier.com/hooks/standard/1/abd/'),
      ]);
      api()
        .delete(`${PREFIX}/webhooks/${uuid(1)}`)
        .reply(204, '', headers(2));
      api()
        .delete(`${PREFIX}/webhooks/${uuid(2)}`)
        .reply(204, '', headers(3));
      createsHook('Zapier: Member Created trigger');
      expect(await appTester(created.performSubscribe, bundle(TARGET))).toEqual({
        id: uuid(3),
        secret: SECRET,
      });
      expect(nock.pendingMocks()).toEqual([]);
    });

    it('removes one whose URL is exactly the hook URL even when that does not parse as a URL', async () => {
      const odd = 'hooks.zapier.com/hooks/standard/1/abc/';
      staleList([hook(1, odd), hook(2, TARGET)]);
      api()
        .delete(`${PREFIX}/webhooks/${uuid(1)}`)
        .reply(204, '', headers(2));
      createsHook('Zapier: Member Created trigger', odd);
      expect(await appTester(created.performSubscribe, bundle(odd))).toEqual({
        id: uuid(3),
        secret: SECRET,
      });
      expect(nock.pendingMocks()).toEqual([]);
    });
  });

  describe('subscription name', () => {
    it('names the trigger without a Zap id when Zapier sends no meta at all', async () => {
      staleList([]);
      createsHook('Zapier: Member Created trigger');
      const bundle = { authData: { apiKey: KEY }, inputData: {}, targetUrl: TARGET } as never;
      expect(await appTester(created.performSubscribe, bundle)).toEqual({
        id: uuid(3),
        secret: SECRET,
      });
      expect(nock.pendingMocks()).toEqual([]);
    });
  });

  describe('a failed subscribe that is not about the cap', () => {
    it('an answer of the wrong shape is reported as it is, without listing the subscriptions', async () => {
      staleList([]);
      api()
        .post(`${PREFIX}/webhooks`)
        .reply(201, { data: { id: uuid(3) } }, headers('odd'));
      const bundle = { authData: { apiKey: KEY }, inputData: {}, meta: {}, targetUrl: TARGET };
      const error = await rejection(appTester(created.performSubscribe, bundle as never));
      expect(messageOf(error)).toBe(
        'Sotion answered HTTP 201 while creating a webhook subscription, but the response did not ' +
          'have the documented shape at "data.name": Invalid input: expected string, received ' +
          "undefined. Please report this to the integration's maintainers. (X-Request-Id: req-odd)",
      );
      expect(nock.pendingMocks()).toEqual([]);
    });
  });
});
