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
} from '../helpers';
import { hookOp, SECRET, TARGET } from './hook-helpers';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const created = hookOp('member_created');

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
