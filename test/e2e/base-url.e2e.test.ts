/**
 * Sotion's base URL (reference §1.1/§5.1): the endpoint pages say /api/v1, the Authentication page
 * /v1. Against a sandbox serving each, the connection test finds the base, and every step of the
 * connection uses it with no extra request.
 */
import { DEMO_KEY } from '../../sandbox/store';
import { perform as createAccessGroup } from '../../creates/create_access_group';
import { perform as findMember } from '../../searches/find_member';
import { testAuth } from '../../src/zap/authentication';
import { appTester, messageOf, rejection } from '../helpers';
import { demoSite, e2eBundle, useSandbox } from './harness';

describe.each([
  ['the documented /api/v1', undefined],
  ['only /v1 (the Authentication page)', '/v1'],
])('a Sotion API serving %s', (_name, apiPrefix) => {
  const sandbox = useSandbox(apiPrefix ? { apiPrefix } : {});
  const base = () => `${sandbox().origin}${apiPrefix ?? '/api/v1'}`;
  let authData: Record<string, string> = {};

  it('the connection test finds the base (the documented one first) and returns it', async () => {
    sandbox().resetStats();
    const result = await appTester(testAuth, e2eBundle({}));
    expect(result).toMatchObject({
      slug: 'demo-docs',
      connectionLabel: 'Demo Docs',
      apiBaseUrl: base(),
    });
    expect(sandbox().stats.byRoute).toEqual(
      apiPrefix ? { 'GET /api/v1/site (not served)': 1, 'GET /site': 1 } : { 'GET /site': 1 },
    );
    // What Zapier keeps of a computed auth field.
    authData = { apiKey: DEMO_KEY, apiBaseUrl: String(result.apiBaseUrl) };
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

  it('a connection made before the field existed uses the documented base', async () => {
    sandbox().resetStats();
    const found = appTester(findMember, e2eBundle({ email: 'grace@example.com' }));
    if (apiPrefix) {
      // It has no base but the documented one, where nothing is served: the step fails (with
      // the 404 wording of the pipeline) until a connection test stores /v1.
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
