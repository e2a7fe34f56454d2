import nock from 'nock';
import { createAppTester, version as coreVersion, type Bundle } from 'zapier-platform-core';
import App from '../index';
import authentication from '../src/zap/authentication';
import { APP_VERSION } from '../src/http/config';
import type { AccessGroup } from '../src/api/schemas';

export const BASE = 'https://api.sotion.so';
export const PREFIX = '/api/v1';
export const KEY = 'so_live_unit_test_key_0123456789';

export const appTester = createAppTester(App);

/**
 * The z.cache the app tester keeps in memory for its runs: core's own property, which its
 * `clearZcacheBeforeUse` argument replaces the same way (test/helpers.test.ts checks that
 * each test starts with it empty).
 */
export const testerCache = appTester as unknown as { zcacheTestObj: Record<string, string> };

/** Forgets what earlier steps of the connection remembered in z.cache, without running a step. */
export const clearCache = () => {
  testerCache.zcacheTestObj = {};
};

/** A nock scope that only matches requests carrying exactly the headers the pipeline adds. */
export const api = (key: string = KEY) =>
  nock(BASE, {
    reqheaders: {
      authorization: `Bearer ${key}`,
      accept: 'application/json',
      // Core prefixes "Zapier, " to whatever User-Agent the integration sets.
      'user-agent': `Zapier, sotion-zapier/${APP_VERSION} zapier-platform-core/${coreVersion}`,
    },
  });

/**
 * A bundle as Zapier delivers it. Input arrives untyped at run time (booleans as "true"/"false",
 * numbers as text, fields missing), whatever the field definitions infer, so tests send it raw.
 */
export const makeBundle = (
  inputData: Record<string, unknown>,
  meta: Partial<Bundle['meta']> = {},
  apiKey: string = KEY,
) => ({ authData: { apiKey }, inputData: inputData as never, meta });

/**
 * A connection made the way Zapier makes one with session auth: sessionConfig.perform, its
 * result merged into authData (where Zapier keeps computed fields), then the connection test
 * with that authData. Returns both.
 */
export const connect = async <B extends ReturnType<typeof makeBundle>>(bundle: B) => {
  const computed = await appTester(authentication.sessionConfig.perform, bundle);
  const authData: Record<string, string> = { ...bundle.authData, ...computed };
  const tested = await appTester(authentication.test, { ...bundle, authData });
  return { computed, authData, tested };
};

export const rid = (n: number | string) => `req-${n}`;

/** Headers every Sotion response carries. */
export const headers = (n: number | string = 1, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-request-id': rid(n),
  'x-ratelimit-limit': '100',
  'x-ratelimit-remaining': '99',
  'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
  ...extra,
});

/** A list response body as Sotion sends it: one page, and a cursor when more follow. */
export const pageOf = <T>(items: T[], nextCursor: string | null = null) => ({
  data: items,
  pagination: { hasMore: nextCursor !== null, nextCursor },
});

let seq = 0;
export const uuid = (n: number): string =>
  `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export const group = (n: number, over: Partial<AccessGroup> = {}): AccessGroup => ({
  id: uuid(n),
  name: `Group ${n}`,
  description: null,
  type: 'custom',
  memberCount: 0,
  createdAt: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
  updatedAt: null,
  ...over,
});

export const nextId = () => {
  seq += 1;
  return seq;
};

/** Parses the JSON message core's z.errors.Error carries. */
export const messageOf = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(text) as { message?: string };
    return parsed.message ?? text;
  } catch {
    return text;
  }
};

/** Runs a promise that must reject and returns the error. */
export const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
};

afterEach(async () => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  // Each test starts without what an earlier test's step remembered in z.cache.
  clearCache();
  if (pending.length) throw new Error(`Requests expected but not made: ${pending.join(', ')}`);
});
