/** Sotion's base URL: the bases sessionConfig.perform tries, the one a connection keeps, and the key. */
import { baseCandidates, baseUrlOf } from '../../src/http/config';
import { isSotionError } from '../../src/http/errors';
import { addSotionHeaders } from '../../src/http/middleware';
import { BASE, KEY, makeBundle, PREFIX } from '../helpers';

describe('base URL candidates', () => {
  it('the documented /api/v1 first, then /v1; an override takes the documented base’s place', () => {
    expect(baseCandidates({})).toEqual([`${BASE}/api/v1`, `${BASE}/v1`]);
    expect(baseCandidates({ SOTION_API_BASE_URL: 'http://127.0.0.1:4010/api/v1/' })).toEqual([
      'http://127.0.0.1:4010/api/v1',
      'http://127.0.0.1:4010/v1',
    ]);
    // An override elsewhere than …/api/v1 is the only base.
    expect(baseCandidates({ SOTION_API_BASE_URL: 'https://staging.example.com/v1' })).toEqual([
      'https://staging.example.com/v1',
    ]);
  });

  it('a connection keeps the base it found, if it is one of the candidates', () => {
    expect(baseUrlOf(undefined, {})).toBe(`${BASE}/api/v1`);
    expect(baseUrlOf({ apiKey: KEY }, {})).toBe(`${BASE}/api/v1`);
    expect(baseUrlOf({ apiBaseUrl: `${BASE}/v1` }, {})).toBe(`${BASE}/v1`);
    expect(baseUrlOf({ apiBaseUrl: ` ${BASE}/v1/ ` }, {})).toBe(`${BASE}/v1`);
    expect(baseUrlOf({ apiBaseUrl: `${BASE}/v1///` }, {})).toBe(`${BASE}/v1`);
    expect(baseUrlOf({ apiBaseUrl: '' }, {})).toBe(`${BASE}/api/v1`);
    expect(baseUrlOf({ apiBaseUrl: 42 }, {})).toBe(`${BASE}/api/v1`);
    // Never an address of its own: only Sotion's bases (or the override's) are used.
    expect(baseUrlOf({ apiBaseUrl: 'https://evil.example/v1' }, {})).toBe(`${BASE}/api/v1`);
    expect(baseUrlOf({ apiBaseUrl: `${BASE}/v2` }, {})).toBe(`${BASE}/api/v1`);
    const sandbox = { SOTION_API_BASE_URL: 'http://127.0.0.1:4010/api/v1' };
    expect(baseUrlOf({ apiBaseUrl: 'http://127.0.0.1:4010/v1' }, sandbox)).toBe(
      'http://127.0.0.1:4010/v1',
    );
    // A base found against Sotion is not used while an override points elsewhere.
    expect(baseUrlOf({ apiBaseUrl: `${BASE}/v1` }, sandbox)).toBe('http://127.0.0.1:4010/api/v1');
  });
});

describe('the key goes only to Sotion’s bases', () => {
  const headersFor = async (url: string, authData: Record<string, string> = {}) => {
    const bundle = { ...makeBundle({}), authData: { apiKey: KEY, ...authData } };
    return (await addSotionHeaders({ url, headers: {} }, {} as never, bundle as never)).headers;
  };

  it.each([`${BASE}${PREFIX}/site`, `${BASE}/v1/site`, `${BASE}/v1?limit=1`, `${BASE}/v1`])(
    'to %s',
    async (url) => {
      expect(await headersFor(url)).toMatchObject({ Authorization: `Bearer ${KEY}` });
      expect(await headersFor(url, { apiBaseUrl: `${BASE}/v1` })).toMatchObject({
        Authorization: `Bearer ${KEY}`,
      });
    },
  );

  it.each([
    'https://example.com/v1/site',
    'https://evil.example/api/v1/site',
    `${BASE}/v2/site`,
    `${BASE}/v1.evil.example/site`,
    `${BASE}/site`,
    'https://api.sotion.so.evil.example/v1/site',
    'http://api.sotion.so/v1/site',
  ])('never to %s, whatever base the connection stored', async (url) => {
    expect(await headersFor(url)).toEqual({});
    expect(await headersFor(url, { apiBaseUrl: url.replace(/\/site$/, '') })).toEqual({});
  });
});

describe("Sotion's error body", () => {
  it.each([
    ['{"error":"Not found."}', true],
    ['{"error":{"code":"not_found","message":"Not found."}}', true],
    ['{"error":{"code":"not_found"}}', true],
    ['{"error":{"message":"Gone"}}', true],
    ['{"error":""}', false],
    ['{"error":{}}', false],
    ['{"error":null}', false],
    ['{"message":"Not Found","statusCode":404}', false],
    ['["error"]', false],
    ['"error"', false],
    ['null', false],
    ['Not Found', false],
    ['<!DOCTYPE html><h1>404</h1>', false],
    ['', false],
  ])('%s → %s', (body, expected) => {
    expect(isSotionError(body)).toBe(expected);
  });
});
