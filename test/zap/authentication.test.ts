import App from '../../index';
import authentication, { siteLabel, testAuth } from '../../src/zap/authentication';
import nock from 'nock';
import { perform as findMember } from '../../searches/find_member';
import { memberOutput } from '../../src/zap/samples';
import {
  api,
  appTester,
  BASE,
  headers,
  KEY,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { fullMember } from '../member-fixtures';

const site = {
  id: '5b0f7c1e-8a2d-4c3b-9e4f-1a2b3c4d5e6f',
  status: 'published',
  domain: 'docs.example.com',
  slug: 'my-site',
  title: 'Example Docs',
};

describe('authentication', () => {
  it('is a custom API-key auth with one password field, a help link and the computed base URL', () => {
    expect(App.authentication?.type).toBe('custom');
    expect(authentication.fields).toHaveLength(2);
    // Optional: connections made before it existed have no value and use the documented base.
    expect(authentication.fields[1]).toEqual({
      key: 'apiBaseUrl',
      label: 'API Base URL',
      type: 'string',
      required: false,
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

  it('tests the key with GET /site and labels the connection with the site title', async () => {
    api().get(`${PREFIX}/site`).reply(200, { data: site }, headers());
    const result = await appTester(testAuth, makeBundle({}));
    expect(result).toEqual({
      ...site,
      apiBaseUrl: `${BASE}${PREFIX}`,
      connectionLabel: 'Example Docs',
    });
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
  ])('refuses %j before any request', async (key, pattern) => {
    const error = await rejection(appTester(testAuth, makeBundle({}, {}, key)));
    expect(messageOf(error)).toMatch(pattern);
    expect(messageOf(error)).toMatch(/Site settings → Integrations → API Keys/);
  });

  it('a 401 during the test says the key is invalid, revoked or rolled (not "reconnect")', async () => {
    api()
      .get(`${PREFIX}/site`)
      .reply(401, { error: 'Missing API key. Pass Authorization: Bearer so_...' }, headers('a9'));
    const error = await rejection(appTester(testAuth, makeBundle({})));
    expect(error.name).not.toBe('ExpiredAuthError');
    expect(messageOf(error)).toMatch(
      /^Sotion did not accept this API key \(HTTP 401\): it is invalid, revoked, or was rolled to a new value\. Create a key .*\(X-Request-Id: req-a9\)$/,
    );
    expect(messageOf(error)).not.toContain(KEY);
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
    'a 404 with %s at /api/v1: tries /v1, keeps it, and sent the key only to those two',
    async (_what, body, replyHeaders) => {
      api().get(`${PREFIX}/site`).reply(404, body, replyHeaders);
      api().get('/v1/site').reply(200, { data: site }, headers('v1'));
      const result = await appTester(testAuth, makeBundle({}));
      expect(result).toEqual({
        ...site,
        apiBaseUrl: `${BASE}/v1`,
        connectionLabel: 'Example Docs',
      });
    },
  );

  it.each([
    [
      'a Sotion 404',
      404,
      { error: 'Site not found.' },
      /^Sotion could not find your Sotion site\./,
    ],
    ['a Sotion 404 (object form)', 404, { error: { code: 'not_found' } }, /could not find/],
    ['a 401', 401, { error: 'Invalid API key.' }, /^Sotion did not accept this API key/],
  ])('%s at /api/v1 is the answer: no request to /v1', async (_what, status, body, pattern) => {
    api().get(`${PREFIX}/site`).reply(status, body, headers('s1'));
    const v1 = api().get('/v1/site').reply(200, { data: site }, headers('v1'));
    const error = await rejection(appTester(testAuth, makeBundle({})));
    expect(messageOf(error)).toMatch(pattern);
    expect(messageOf(error)).toMatch(/\(X-Request-Id: req-s1\)$/);
    expect(v1.isDone()).toBe(false);
    nock.cleanAll();
  });

  it('neither base answers as Sotion: one message naming both addresses', async () => {
    api().get(`${PREFIX}/site`).reply(404, '<h1>Not Found</h1>', { 'x-request-id': 'cdn-1' });
    api().get('/v1/site').reply(404, 'Not Found');
    const error = await rejection(appTester(testAuth, makeBundle({})));
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
      const error = await rejection(appTester(testAuth, makeBundle({})));
      expect(messageOf(error)).toBe(
        "Sotion's API did not answer the connection test: GET https://staging.example.com/v1/site " +
          "answered HTTP 404 without Sotion's error body, so Sotion's API is not there. Try " +
          'again later; if it keeps happening, contact Sotion support with these addresses.',
      );
    } finally {
      delete process.env.SOTION_API_BASE_URL;
    }
  });

  it('a connection that found /v1 tests /v1 first: one request', async () => {
    api().get('/v1/site').reply(200, { data: site }, headers());
    const bundle = { ...makeBundle({}), authData: { apiKey: KEY, apiBaseUrl: `${BASE}/v1` } };
    expect(await appTester(testAuth, bundle)).toMatchObject({ apiBaseUrl: `${BASE}/v1` });
  });

  it('every later request uses the stored base, with no extra request', async () => {
    api().get(`${PREFIX}/site`).reply(404, 'Not Found');
    api().get('/v1/site').reply(200, { data: site }, headers());
    const connected = await appTester(testAuth, makeBundle({}));
    // Zapier keeps a computed field's value in authData.
    const authData = { apiKey: KEY, apiBaseUrl: connected.apiBaseUrl };
    const full = fullMember(5, [1]);
    api().get(`/v1/members/${full.id}`).reply(200, { data: full }, headers());
    const result = await appTester(findMember, {
      ...makeBundle({ member_id: full.id }),
      authData,
    });
    expect(result).toEqual([memberOutput(full)]);
    // Only the two interceptors of the test and the one of the step were used.
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a connection without the field (made before it existed) stays on /api/v1', async () => {
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
    expect(await appTester(testAuth, bundle)).toMatchObject({ apiBaseUrl: `${BASE}${PREFIX}` });
    expect(evil.isDone()).toBe(false);
    nock.cleanAll();
  });
});
