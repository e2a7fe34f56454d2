import App from '../../index';
import authentication, { findApiBase, siteLabel, testAuth } from '../../src/zap/authentication';
import nock from 'nock';
import { perform as findMember } from '../../searches/find_member';
import { memberOutput } from '../../src/zap/samples';
import {
  api,
  appTester,
  BASE,
  connect,
  headers,
  KEY,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { fullMember } from '../member-fixtures';
import { KEY_HELP } from '../../src/http/api-key';

const site = {
  id: '5b0f7c1e-8a2d-4c3b-9e4f-1a2b3c4d5e6f',
  status: 'published',
  domain: 'docs.example.com',
  slug: 'my-site',
  title: 'Example Docs',
};

const REJECTED =
  'Sotion did not accept this API key (HTTP 401): it is invalid, revoked, or was rolled to a ' +
  `new value. ${KEY_HELP}`;

describe('authentication', () => {
  it('is session auth: the key typed in, the base URL computed by sessionConfig.perform', () => {
    // Session (or OAuth) auth: the only kinds whose computed fields Zapier keeps in authData.
    expect(App.authentication?.type).toBe('session');
    expect(App.authentication?.sessionConfig?.perform).toBe(findApiBase);
    expect(App.authentication?.test).toBe(testAuth);
    expect(authentication.fields).toHaveLength(2);
    expect(authentication.fields[1]).toEqual({
      key: 'apiBaseUrl',
      label: 'API Base URL',
      type: 'string',
      required: true,
      computed: true,
    });
    expect(authentication.fields[0]).toMatchObject({
      key: 'apiKey',
      type: 'password',
      required: true,
    });
    expect(authentication.fields[0]?.helpText).toMatch(/\(https:\/\/sotion\.so\/docs\/[^)]+\)/);
    expect(authentication.connectionLabel).toBe('{{connectionLabel}}');
  });

  it('connecting: perform finds /api/v1 (GET /site), then the test labels the connection (GET /site)', async () => {
    api().get(`${PREFIX}/site`).reply(200, { data: site }, headers('p'));
    api().get(`${PREFIX}/site`).reply(200, { data: site }, headers('t'));
    const { computed, authData, tested } = await connect(makeBundle({}));
    // Only the base: nothing of the site, and not the key, is returned to be stored.
    expect(computed).toEqual({ apiBaseUrl: `${BASE}${PREFIX}` });
    expect(authData).toEqual({ apiKey: KEY, apiBaseUrl: `${BASE}${PREFIX}` });
    expect(tested).toEqual({ ...site, connectionLabel: 'Example Docs' });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('checking a connection later: the test alone, one GET /site at its base', async () => {
    api().get('/v1/site').reply(200, { data: site }, headers());
    const bundle = { ...makeBundle({}), authData: { apiKey: KEY, apiBaseUrl: `${BASE}/v1` } };
    expect(await appTester(testAuth, bundle)).toEqual({ ...site, connectionLabel: 'Example Docs' });
  });

  it('falls back to the domain, then to <slug>.sotion.site', () => {
    expect(siteLabel({ ...site, title: null })).toBe('docs.example.com');
    expect(siteLabel({ ...site, title: '  ', domain: null })).toBe('my-site.sotion.site');
  });

  it.each([
    ['', /No API key was entered/],
    ['sk_live_abc', /not a Sotion API v1 key: those start with "so_"/],
    ['d600c2d2-e07e-46b9-b79a-f0376aaa303d', /legacy Sotion Members API .* start with "so_"/],
    ['so_abc def', /contains spaces or line breaks/],
    // Moved from the abuse suite (no sandbox needed).
    ['   ', /^No API key was entered\./],
    ['so_abc\ndef', /^The API key contains spaces or line breaks\./],
  ])('refuses %j before any request, in perform and in the test', async (key, pattern) => {
    for (const error of [
      await rejection(appTester(findApiBase, makeBundle({}, {}, key))),
      await rejection(appTester(testAuth, makeBundle({}, {}, key))),
    ]) {
      expect(messageOf(error)).toMatch(pattern);
      expect(messageOf(error)).toMatch(/Site settings → Integrations → API Keys/);
    }
  });
});

describe('authentication: a key Sotion does not accept (HTTP 401)', () => {
  // Session auth: core's throwForStaleAuth turns every 401 into RefreshAuthError before the
  // integration's afterResponse sees it (so neither Sotion's words nor the X-Request-Id are
  // known). None may escape: Zapier would run perform again with the same key, in vain.
  it.each([
    ['perform (connecting)', (b: ReturnType<typeof makeBundle>) => appTester(findApiBase, b)],
    [
      'the test (checking the connection)',
      (b: ReturnType<typeof makeBundle>) => appTester(testAuth, b),
    ],
  ])('in %s: the key is invalid, revoked or rolled (not "reconnect")', async (_when, run) => {
    api()
      .get(`${PREFIX}/site`)
      .reply(401, { error: 'Missing API key. Pass Authorization: Bearer so_...' }, headers('a9'));
    const v1 = api().get('/v1/site').reply(200, { data: site }, headers('v1'));
    const error = await rejection(run(makeBundle({})));
    expect(error.name).not.toBe('ExpiredAuthError');
    expect(error.name).not.toBe('RefreshAuthError');
    expect(messageOf(error)).toBe(REJECTED);
    expect(v1.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('in a step: ExpiredAuthError naming what was being done, never RefreshAuthError', async () => {
    const full = fullMember(7, []);
    api()
      .get(`/v1/members/${full.id}`)
      .reply(401, { error: `Invalid API key ${KEY}` }, headers('s9'));
    const error = await rejection(
      appTester(findMember, {
        ...makeBundle({ member_id: full.id }),
        authData: { apiKey: KEY, apiBaseUrl: `${BASE}/v1` },
      }),
    );
    expect(error.name).toBe('ExpiredAuthError');
    // (core appends "What happened" to the message of an error thrown in appTester.)
    expect(error.message.split('\n')[0]).toBe(
      `Sotion no longer accepts the API key of this connection (HTTP 401) while reading member ` +
        `${full.id}: it was revoked, rolled or deleted. Reconnect Sotion with a current key.`,
    );
  });
});

describe("authentication: Sotion's base URL (/api/v1 documented, /v1 on the Authentication page)", () => {
  const NOT_API: Array<[string, string | Record<string, unknown>, Record<string, string>]> = [
    ['an HTML page', '<!DOCTYPE html><h1>404 Not Found</h1>', { 'content-type': 'text/html' }],
    ['plain text', 'Not Found', { 'content-type': 'text/plain' }],
    ['an empty body', '', {}],
    ['JSON without "error"', { message: 'Cannot GET /api/v1/site' }, headers('x1')],
  ];

  it.each(NOT_API)(
    'a 404 with %s at /api/v1: perform tries /v1 and returns it; the test goes there only',
    async (_what, body, replyHeaders) => {
      api().get(`${PREFIX}/site`).reply(404, body, replyHeaders);
      api().get('/v1/site').reply(200, { data: site }, headers('v1'));
      api().get('/v1/site').reply(200, { data: site }, headers('t'));
      const { computed, tested } = await connect(makeBundle({}));
      expect(computed).toEqual({ apiBaseUrl: `${BASE}/v1` });
      expect(tested).toEqual({ ...site, connectionLabel: 'Example Docs' });
      expect(nock.pendingMocks()).toEqual([]);
    },
  );

  it.each([
    [
      'a Sotion 404',
      404,
      { error: 'Site not found.' },
      /^Sotion could not find your Sotion site\..*\(X-Request-Id: req-s1\)$/,
    ],
    ['a Sotion 404 (object form)', 404, { error: { code: 'not_found' } }, /could not find/],
    ['a 401', 401, { error: 'Invalid API key.' }, /^Sotion did not accept this API key/],
  ])('%s at /api/v1 is the answer: no request to /v1', async (_what, status, body, pattern) => {
    api().get(`${PREFIX}/site`).reply(status, body, headers('s1'));
    const v1 = api().get('/v1/site').reply(200, { data: site }, headers('v1'));
    const error = await rejection(appTester(findApiBase, makeBundle({})));
    expect(messageOf(error)).toMatch(pattern);
    expect(v1.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('neither base answers as Sotion: one message naming both addresses', async () => {
    api().get(`${PREFIX}/site`).reply(404, '<h1>Not Found</h1>', { 'x-request-id': 'cdn-1' });
    api().get('/v1/site').reply(404, 'Not Found');
    const error = await rejection(appTester(findApiBase, makeBundle({})));
    expect(messageOf(error)).toBe(
      `Sotion's API did not answer the connection test: GET ${BASE}/api/v1/site (X-Request-Id: ` +
        `cdn-1) and GET ${BASE}/v1/site each answered HTTP 404 without Sotion's error body, so ` +
        "Sotion's API is at neither address. Try again later; if it keeps happening, contact " +
        'Sotion support with these addresses.',
    );
  });

  it('an override elsewhere than …/api/v1 is the only base tried', async () => {
    process.env.SOTION_API_BASE_URL = 'https://staging.example.com/v1';
    try {
      nock('https://staging.example.com', { reqheaders: { authorization: `Bearer ${KEY}` } })
        .get('/v1/site')
        .reply(404, 'Not Found');
      const error = await rejection(appTester(findApiBase, makeBundle({})));
      expect(messageOf(error)).toBe(
        "Sotion's API did not answer the connection test: GET https://staging.example.com/v1/site " +
          "answered HTTP 404 without Sotion's error body, so Sotion's API is not there. Try " +
          'again later; if it keeps happening, contact Sotion support with these addresses.',
      );
    } finally {
      delete process.env.SOTION_API_BASE_URL;
    }
  });

  it('reconnecting looks again, the documented base first, whatever was stored', async () => {
    api().get(`${PREFIX}/site`).reply(200, { data: site }, headers());
    const bundle = { ...makeBundle({}), authData: { apiKey: KEY, apiBaseUrl: `${BASE}/v1` } };
    expect(await appTester(findApiBase, bundle)).toEqual({ apiBaseUrl: `${BASE}${PREFIX}` });
  });

  it('the test does not look elsewhere: a base that no longer answers asks for a reconnect', async () => {
    api().get('/v1/site').reply(404, '<h1>Not Found</h1>', { 'x-request-id': 'cdn-2' });
    const documented = api().get(`${PREFIX}/site`).reply(200, { data: site }, headers());
    const bundle = { ...makeBundle({}), authData: { apiKey: KEY, apiBaseUrl: `${BASE}/v1` } };
    const error = await rejection(appTester(testAuth, bundle));
    expect(messageOf(error)).toBe(
      `Sotion's API did not answer the connection test: GET ${BASE}/v1/site (X-Request-Id: ` +
        "cdn-2) answered HTTP 404 without Sotion's error body, so Sotion's API is not there. " +
        'Reconnect Sotion so that the integration looks for its API again; if it keeps ' +
        'happening, contact Sotion support with this address.',
    );
    expect(documented.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('every step of the connection uses the base perform found, with no extra request', async () => {
    api().get(`${PREFIX}/site`).reply(404, 'Not Found');
    api().get('/v1/site').times(2).reply(200, { data: site }, headers());
    const { authData } = await connect(makeBundle({}));
    const full = fullMember(5, [1]);
    api().get(`/v1/members/${full.id}`).reply(200, { data: full }, headers());
    const result = await appTester(findMember, { ...makeBundle({ member_id: full.id }), authData });
    expect(result).toEqual([memberOutput(full)]);
    // Only the interceptors of perform, the test and the step were used.
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('authData without the field (an `invoke` without `auth refresh`) uses /api/v1', async () => {
    const full = fullMember(6, []);
    api().get(`${PREFIX}/members/${full.id}`).reply(200, { data: full }, headers());
    expect(await appTester(findMember, makeBundle({ member_id: full.id }))).toEqual([
      memberOutput(full),
    ]);
  });

  it("a stored base that is not one of Sotion's is ignored: the key stays on Sotion's host", async () => {
    const evil = nock('https://evil.example').get(/.*/).reply(200, { data: site });
    api().get(`${PREFIX}/site`).reply(200, { data: site }, headers());
    const bundle = {
      ...makeBundle({}),
      authData: { apiKey: KEY, apiBaseUrl: 'https://evil.example/api/v1' },
    };
    expect(await appTester(testAuth, bundle)).toMatchObject({ connectionLabel: 'Example Docs' });
    expect(evil.isDone()).toBe(false);
    nock.cleanAll();
  });
});
