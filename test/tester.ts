/**
 * The app tester and what a test needs beside it, without nock: the end-to-end tests import this
 * (test/helpers.ts, which the unit tests import, adds nock and re-exports all of it).
 */
import { createAppTester, type Bundle } from 'zapier-platform-core';
import App from '../index';
import authentication from '../src/zap/authentication';

export const KEY = 'so_live_unit_test_key_0123456789';

export const appTester = createAppTester(App);

/**
 * The z.cache the app tester keeps in memory for its runs: core's own property, which its
 * `clearZcacheBeforeUse` argument replaces the same way (test/tester.test.ts checks that
 * each test starts with it empty).
 */
export const testerCache = appTester as unknown as { zcacheTestObj: Record<string, string> };

/** Forgets what earlier steps of the connection remembered in z.cache, without running a step. */
export const clearCache = () => {
  testerCache.zcacheTestObj = {};
};

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

export const uuid = (n: number): string =>
  `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

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

afterEach(() => {
  // Each test starts without what an earlier test's step remembered in z.cache.
  clearCache();
});
