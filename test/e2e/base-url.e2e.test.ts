/**
 * Sotion's base URL (reference §1.1/§5.1): the endpoint pages say /api/v1, the Authentication page
 * /v1. Against a sandbox serving each, connecting as Zapier does with session auth
 * (sessionConfig.perform, its result merged into authData, then the test) finds the base, and
 * every step of the connection uses it with no extra request.
 */
import { DEMO_KEY } from '../../sandbox/store';
import { perform as createAccessGroup } from '../../creates/create_access_group';
import { perform as findMember } from '../../searches/find_member';
import { findApiBase, testAuth } from '../../src/zap/authentication';
import { appTester, connect, messageOf, rejection } from '../tester';
import { demoSite, e2eBundle, useSandbox } from './harness';

describe.each([
  ['the documented /api/v1', undefined],
  ['only /v1 (the Authentication page)', '/v1'],
])('a Sotion API serving %s', (_name, apiPrefix) => {
  const sandbox = useSandbox(apiPrefix ? { apiPrefix } : {});
  const base = () => `${sandbox().origin}${apiPrefix ?? '/api/v1'}`;
  let authData: Record<string, string> = {};

  it('connecting: perform finds the base (the documented one first), the test labels the connection', async () => {
    sandbox().resetStats();
    const connected = await connect(e2eBundle({}));
    expect(connected.computed).toEqual({ apiBaseUrl: base() });
    expect(connected.tested).toMatchObject({ slug: 'demo-docs', connectionLabel: 'Demo Docs' });
    // perform's GET /site (after the documented base's 404 when only /v1 is served), the test's.
    expect(sandbox().stats.byRoute).toEqual(
      apiPrefix ? { 'GET /api/v1/site (not served)': 1, 'GET /site': 2 } : { 'GET /site': 2 },
    );
    // What Zapier keeps of the connection: the key and the computed field.
    authData = connected.authData;
    expect(authData).toEqual({ apiKey: DEMO_KEY, apiBaseUrl: base() });
  });

  it('checking the connection later: one GET /site at its base', async () => {
    sandbox().resetStats();
    expect(await appTester(testAuth, { ...e2eBundle({}), authData })).toMatchObject({
      connectionLabel: 'Demo Docs',
    });
    expect(sandbox().stats.byRoute).toEqual({ 'GET /site': 1 });
  });

  it('a key the sandbox does not know: perform says so, and does not try another base', async () => {
    sandbox().resetStats();
    const error = await rejection(
      appTester(findApiBase, e2eBundle({}, {}, 'so_sandbox_unknown_key')),
    );
    expect(messageOf(error)).toMatch(/^Sotion did not accept this API key \(HTTP 401\)/);
    expect(sandbox().stats.byRoute).toEqual(
      apiPrefix ? { 'GET /api/v1/site (not served)': 1, 'GET /site': 1 } : { 'GET /site': 1 },
    );
  });

  it('every step of the connection uses that base, with no extra request', async () => {
    sandbox().resetStats();
    const created = await appTester(createAccessGroup, {
      ...e2eBundle({ name: 'Base URL Buyers' }),
      authData,
    });
    const found = await appTester(findMember, {
      ...e2eBundle({ email: 'grace@example.com' }),
      authData,
    });
    expect(found).toHaveLength(1);
    expect(sandbox().stats.byRoute).toEqual({
      'POST /access-groups': 1,
      'GET /members?email': 1,
      'GET /members/:id': 1,
    });
    expect(demoSite(sandbox()).groups.find((g) => g.id === created.id)?.name).toBe(
      'Base URL Buyers',
    );
  });

  it('authData without the field (`invoke` without `auth refresh`) uses the documented base', async () => {
    sandbox().resetStats();
    const found = appTester(findMember, e2eBundle({ email: 'grace@example.com' }));
    if (apiPrefix) {
      // It has no base but the documented one, where nothing is served: the step fails (with
      // the 404 wording of the pipeline) until perform has found /v1.
      expect(messageOf(await rejection(found))).toMatch(/^Sotion could not find members\. /);
      expect(sandbox().stats.byRoute).toEqual({ 'GET /api/v1/members (not served)': 1 });
    } else {
      expect(await found).toHaveLength(1);
    }
  });

  it('outside the path it serves, the sandbox answers like a web server: no Sotion error body', async () => {
    const other = apiPrefix ? '/api/v1' : '/v1';
    const response = await fetch(`${sandbox().origin}${other}/site`, {
      headers: { authorization: `Bearer ${DEMO_KEY}` },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-request-id')).toBeNull();
    expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
    // Inside it, an unknown route is Sotion's own 404.
    const inside = await fetch(`${base()}/nothing-here`, {
      headers: { authorization: `Bearer ${DEMO_KEY}` },
    });
    expect([inside.status, await inside.json()]).toEqual([404, { error: 'Not found.' }]);
  });
});
