import App from '../../index';
import authentication, { siteLabel, testAuth } from '../../src/zap/authentication';
import { api, appTester, headers, KEY, makeBundle, messageOf, PREFIX, rejection } from '../helpers';

const site = {
  id: '5b0f7c1e-8a2d-4c3b-9e4f-1a2b3c4d5e6f',
  status: 'published',
  domain: 'docs.example.com',
  slug: 'my-site',
  title: 'Example Docs',
};

describe('authentication', () => {
  it('is a custom API-key auth with one password field and a help link', () => {
    expect(App.authentication?.type).toBe('custom');
    expect(authentication.fields).toHaveLength(1);
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
    expect(result).toEqual({ ...site, connectionLabel: 'Example Docs' });
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
