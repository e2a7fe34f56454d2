/**
 * The app tester every test shares (test/tester.ts): each test starts with an empty z.cache. It
 * is emptied through the tester's own property rather than by running a step, so this checks
 * that the property is the one the tester's steps use. The tests run in order: the second reads
 * what the first wrote.
 */
import type { ZObject } from 'zapier-platform-core';
import { appTester, makeBundle, testerCache } from './tester';

const read = (z: ZObject) => z.cache.get('helpers-test');

describe('the app tester between tests', () => {
  it('keeps what a step wrote to z.cache for the next step of the same test', async () => {
    await appTester(async (z: ZObject) => z.cache.set('helpers-test', 'first'), makeBundle({}));
    expect(await appTester(read, makeBundle({}))).toBe('first');
    expect(testerCache.zcacheTestObj).toEqual({ 'helpers-test': '"first"' });
  });

  it('starts the next test with z.cache empty', async () => {
    expect(testerCache.zcacheTestObj).toEqual({});
    expect(await appTester(read, makeBundle({}))).toBeNull();
  });
});
