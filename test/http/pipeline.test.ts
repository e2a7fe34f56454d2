import nock from 'nock';
import { createAppTester, errors, type Bundle, type ZObject } from 'zapier-platform-core';
import App from '../../index';
import { backoffMs, SotionClient } from '../../src/http/client';
import { Deadline } from '../../src/http/deadline';
import { resolveBaseUrl } from '../../src/http/config';
import { errorInfo } from '../../src/http/errors';
import { addSotionHeaders, throttleDelaySeconds, withJitter } from '../../src/http/middleware';
import { api as sotion } from '../../src/api';
import {
  api,
  appTester,
  BASE,
  group,
  headers,
  KEY,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const getGroup = (id: string) => (z: ZObject, bundle: Bundle) =>
  new SotionClient(z, bundle).call(sotion.accessGroups.get, { params: { groupId: id } });

const postGroup = (z: ZObject, bundle: Bundle) =>
  new SotionClient(z, bundle).call(
    { ...sotion.accessGroups.create, expect: [] },
    { body: { name: 'VIP' } },
  );

const G = uuid(7);
const connectionReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('request pipeline: headers', () => {
  it('sends the bearer key, JSON accept/content-type and the user agent on every request', async () => {
    api()
      .matchHeader('content-type', 'application/json')
      .post(`${PREFIX}/access-groups`, { name: 'VIP' })
      .reply(201, { data: group(1, { name: 'VIP' }) }, headers());
    const result = await appTester(postGroup, makeBundle({}));
    expect(result).toEqual({
      ok: true,
      status: 201,
      requestId: 'req-1',
      data: { data: group(1, { name: 'VIP' }) },
    });
  });

  it('trims whitespace around a pasted key', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers());
    await appTester(getGroup(G), makeBundle({}, {}, `  ${KEY}\n`));
  });

  it('never sends the key to a host other than the Sotion API', async () => {
    const seen: Record<string, string | string[] | undefined> = {};
    nock('https://example.com')
      .get('/elsewhere')
      .reply(function () {
        Object.assign(seen, this.req.headers);
        return [200, '{}'];
      });
    await appTester(
      async (z: ZObject) => z.request({ url: 'https://example.com/elsewhere' }),
      makeBundle({}),
    );
    expect(seen.authorization).toBeUndefined();
  });

  it('refuses a key that is not a v1 key before any request', async () => {
    const error = await rejection(appTester(getGroup(G), makeBundle({}, {}, 'sk_live_123')));
    expect(messageOf(error)).toMatch(/not a Sotion API v1 key: those start with "so_"/);
    expect(messageOf(error)).toMatch(/Site settings → Integrations → API Keys/);
  });
});

describe('request pipeline: error mapping', () => {
  it('401 becomes ExpiredAuthError asking to reconnect (never RefreshAuthError), without the key', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(401, { error: `Invalid key ${KEY}` }, headers('a1'));
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(error.name).toBe('ExpiredAuthError');
    expect(error.message).toMatch(/^Sotion no longer accepts the API key of this connection/);
    // Session auth: core throws RefreshAuthError for the 401 before afterResponse, so the
    // answer's body and X-Request-Id never reach the integration (Zapier's HTTP log has them).
    expect(error.message).not.toMatch(/X-Request-Id|Sotion said/);
    expect(error.message).not.toContain(KEY);
    expect(errorInfo(error)).toEqual({ status: 401 });
  });

  it('403 on a write to a group says scope groups are read-only', async () => {
    api()
      .post(`${PREFIX}/access-groups/${G}/members`, { memberId: uuid(9) })
      .reply(403, { error: 'Forbidden' }, headers('f1'));
    const error = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) =>
          new SotionClient(z, bundle).call(sotion.groupMembers.add, {
            params: { groupId: G },
            body: { memberId: uuid(9) },
          }),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(
        `Access group ${G} is a scope group .* read-only via the API: members cannot be added or removed\\. Choose a custom access group instead\\. Sotion said: "Forbidden"\\. \\(X-Request-Id: req-f1\\)`,
      ),
    );
  });

  it('403 on creating members names the scope-group rule; other 403s name the plan or key', async () => {
    api().post(`${PREFIX}/members/bulk`, {}).reply(403, '', headers('f2'));
    api().get(`${PREFIX}/site`).reply(403, '', headers('f3'));
    const bulk = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) =>
          new SotionClient(z, bundle).call(sotion.members.bulkCreate, { body: {} }),
        makeBundle({}),
      ),
    );
    expect(messageOf(bulk)).toMatch(
      /only custom access groups can be given to members through the API.*req-f2/,
    );
    const site = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) => new SotionClient(z, bundle).call(sotion.site.get, {}),
        makeBundle({}),
      ),
    );
    expect(messageOf(site)).toMatch(/refused access to your Sotion site\. The site's plan.*req-f3/);
  });

  it('404 names what was not found', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(404, { error: { code: 'not_found', message: 'No such group' } }, headers('n1'));
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(messageOf(error)).toBe(
      `Sotion could not find access group ${G}. It may have been deleted, or the ID may belong to another site (each API key sees only its own site). Check the ID or pick it from the dropdown. Sotion said: "No such group". (X-Request-Id: req-n1)`,
    );
  });

  it('400/422 say the request was rejected and quote Sotion', async () => {
    api().post(`${PREFIX}/access-groups`).reply(422, { error: 'name too long' }, headers('v1'));
    const error = await rejection(appTester(postGroup, makeBundle({})));
    expect(messageOf(error)).toMatch(
      /rejected the request while creating an access group \(HTTP 422\).*"name too long".*req-v1/,
    );
    expect(JSON.parse(error.message).code).toBe('invalid_request');
    api().post(`${PREFIX}/access-groups`).reply(400, { error: 'bad json' }, headers('v2'));
    const bad = await rejection(appTester(postGroup, makeBundle({})));
    expect(JSON.parse(bad.message).code).toBe('invalid_request');
  });

  it('409 is handed to the caller when the endpoint expects it; otherwise it is a conflict error', async () => {
    api().post(`${PREFIX}/access-groups`).reply(409, { error: 'exists' }, headers('c1'));
    const error = await rejection(appTester(postGroup, makeBundle({})));
    expect(messageOf(error)).toBe(
      'Sotion answered 409 Conflict while creating an access group: it already exists. Sotion said: "exists". (X-Request-Id: req-c1)',
    );
    api().post(`${PREFIX}/access-groups`).reply(409, '', headers('c2'));
    const result = await appTester(
      (z: ZObject, bundle: Bundle) =>
        new SotionClient(z, bundle).call(sotion.accessGroups.create, { body: { name: 'VIP' } }),
      makeBundle({}),
    );
    expect(result).toEqual({ ok: false, status: 409, requestId: 'req-c2', apiMessage: undefined });
  });
});

describe('request pipeline: 429', () => {
  const slowBudget = () => {
    process.env.SOTION_RUN_BUDGET_MS = '3000';
  };
  afterEach(() => {
    delete process.env.SOTION_RUN_BUDGET_MS;
  });

  it("runs our afterResponse (not core 18+'s early conversion): delay from X-RateLimit-Reset plus jitter", async () => {
    slowBudget();
    const reset = Math.floor(Date.now() / 1000) + 120;
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(
        429,
        { error: 'slow down' },
        headers('t1', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }),
      );
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(error.name).toBe('ThrottledError');
    const body = JSON.parse(error.message) as { message: string; delay: number };
    expect(body.message).toMatch(
      /^Sotion's rate limit was reached while reading access group .* about 1(19|20) seconds\. \(X-Request-Id: req-t1\)$/,
    );
    expect(body.delay).toBeGreaterThanOrEqual(120);
    expect(body.delay).toBeLessThanOrEqual(120 + 1 + 30);
  });

  it('prefers Retry-After when Sotion sends it', async () => {
    slowBudget();
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(429, '', headers('t2', { 'retry-after': '45' }));
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    const body = JSON.parse(error.message) as { message: string; delay: number };
    expect(body.message).toMatch(/about 45 seconds/);
    expect(body.delay).toBeGreaterThanOrEqual(46);
  });

  it("with core's default flag the early middleware would win and lose the X-RateLimit-Reset delay", async () => {
    const coreDefault = createAppTester({ ...App, flags: { cleanInputData: false } });
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(
        429,
        '',
        headers('t3', { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 120) }),
      );
    const error = await rejection(coreDefault(getGroup(G), makeBundle({})));
    expect(JSON.parse(error.message)).toEqual({
      message: 'The server returned 429 (Too Many Requests)',
      delay: null,
    });
  });

  it('waits out a short throttle inside the run and retries, even a POST (a 429 was not processed)', async () => {
    api()
      .post(`${PREFIX}/access-groups`)
      .reply(429, '', headers('t4', { 'retry-after': '0' }));
    api()
      .post(`${PREFIX}/access-groups`, { name: 'VIP' })
      .reply(201, { data: group(1) }, headers('t5'));
    const result = await appTester(postGroup, makeBundle({}));
    expect(result.requestId).toBe('req-t5');
  });

  it('pauses before a request when the last response said no requests are left', async () => {
    const resetSoon = String(Math.ceil(Date.now() / 1000) + 1);
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(
        200,
        { data: group(7) },
        headers('p1', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetSoon }),
      );
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('p2'));
    const started = Date.now();
    await appTester(async (z: ZObject, bundle: Bundle) => {
      const client = new SotionClient(z, bundle);
      await client.call(sotion.accessGroups.get, { params: { groupId: G } });
      await client.call(sotion.accessGroups.get, { params: { groupId: G } });
    }, makeBundle({}));
    expect(Date.now()).toBeGreaterThanOrEqual(Number(resetSoon) * 1000);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('hands a long exhausted window back to Zapier as ThrottledError without sending', async () => {
    const resetLate = String(Math.ceil(Date.now() / 1000) + 300);
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(
        200,
        { data: group(7) },
        headers('p3', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetLate }),
      );
    const error = await rejection(
      appTester(async (z: ZObject, bundle: Bundle) => {
        const client = new SotionClient(z, bundle);
        await client.call(sotion.accessGroups.get, { params: { groupId: G } });
        await client.call(sotion.accessGroups.get, { params: { groupId: G } });
      }, makeBundle({})),
    );
    expect(error.name).toBe('ThrottledError');
    expect(JSON.parse(error.message).message).toMatch(
      /used up until its window resets in about (299|300|301) seconds/,
    );
  });

  it('computes delays from Retry-After dates and resets in the past', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    const get = (h: Record<string, string>) => ({ getHeader: (k: string) => h[k] });
    expect(throttleDelaySeconds(get({ 'retry-after': 'Sun, 22 Nov 2026 10:00:30 GMT' }), now)).toBe(
      30,
    );
    expect(throttleDelaySeconds(get({ 'x-ratelimit-reset': String(now / 1000 - 5) }), now)).toBe(0);
    expect(throttleDelaySeconds(get({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(throttleDelaySeconds(get({}), now)).toBeUndefined();
    expect(withJitter(10, () => 0)).toBe(11);
    expect(withJitter(400, () => 0.999)).toBe(400 + 1 + 29);
    // A quarter of the delay, between 5 and 30 seconds, of jitter.
    expect(withJitter(40, () => 0.999)).toBe(40 + 1 + 9);
    // A negative or infinite Retry-After is no number of seconds to wait.
    expect(throttleDelaySeconds(get({ 'retry-after': '-5' }), now)).toBe(0);
    expect(throttleDelaySeconds(get({ 'retry-after': 'Infinity' }), now)).toBeUndefined();
  });

  it('sends the key with a query on the base URL itself, and never to a look-alike host', async () => {
    const base = resolveBaseUrl();
    const headersFor = async (url: string) =>
      (await addSotionHeaders({ url, headers: {} }, {} as never, makeBundle({}) as never)).headers;
    expect(await headersFor(`${base}?limit=1`)).toMatchObject({ Authorization: `Bearer ${KEY}` });
    expect(await headersFor(`${base}.evil.example/x`)).toEqual({});
  });
});

describe('request pipeline: retries, timeouts and bad bodies', () => {
  it('backs off 250 ms doubled per attempt, plus up to 250 ms of jitter', () => {
    expect([1, 2, 3].map((attempt) => backoffMs(attempt, () => 0))).toEqual([250, 500, 1000]);
    expect([1, 2, 3].map((attempt) => backoffMs(attempt, () => 0.9999))).toEqual([499, 749, 1249]);
  });

  it('retries a GET after 5xx and connection resets, then succeeds', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).reply(503, 'busy', headers('r1'));
    api().get(`${PREFIX}/access-groups/${G}`).replyWithError(connectionReset());
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('r3'));
    const result = await appTester(getGroup(G), makeBundle({}));
    expect(result.data.data.id).toBe(G);
  });

  it('gives up after 4 attempts with a clear 5xx error', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).times(4).reply(500, { error: 'boom' }, headers('r9'));
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(messageOf(error)).toBe(
      `Sotion had a problem (HTTP 500) while reading access group ${G}. This is usually temporary: replay the step in a few minutes, and contact Sotion support with the request id if it keeps happening. Sotion said: "boom". (X-Request-Id: req-r9)`,
    );
  });

  it('does not resend a POST after a 5xx or a reset', async () => {
    api().post(`${PREFIX}/access-groups`).reply(502, '<html>bad gateway</html>', headers('r4'));
    const error = await rejection(appTester(postGroup, makeBundle({})));
    expect(messageOf(error)).toMatch(/HTTP 502\) while creating an access group.*req-r4/);
    api().post(`${PREFIX}/access-groups`).replyWithError(connectionReset());
    const reset = await rejection(appTester(postGroup, makeBundle({})));
    expect(messageOf(reset)).toBe(
      'Sotion could not be reached (ECONNRESET) while creating an access group. The change may or may not have been made. Check in Sotion before replaying the step.',
    );
    expect(JSON.parse(reset.message)).toMatchObject({ code: 'network_error' });
  });

  it('a slow answer that used up the run goes back to Zapier as a throttle (a read is safe to run again)', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '1500';
    try {
      api()
        .get(`${PREFIX}/access-groups/${G}`)
        .delay(1500)
        .reply(200, { data: group(7) }, headers());
      const error = await rejection(appTester(getGroup(G), makeBundle({})));
      // The one attempt used the whole budget: no time is left to try again, so Zapier does.
      expect(error).toBeInstanceOf(errors.ThrottledError);
      expect(messageOf(error)).toMatch(
        new RegExp(
          `^The step ran out of time \\(Zapier allows 30 seconds\\) before reading access group ${G}, so Zapier will run it again in about \\d+ seconds\\.`,
        ),
      );
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });

  it('refuses to start a request when the run has no time left', async () => {
    const error = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) =>
          new SotionClient(z, bundle, new Deadline(100)).call(sotion.site.get, {}),
        makeBundle({}),
      ),
    );
    // Work left undone for lack of time goes back to Zapier, which runs the step again.
    expect(error).toBeInstanceOf(errors.ThrottledError);
    expect(messageOf(error)).toMatch(
      /^The step ran out of time \(Zapier allows 30 seconds\) before reading your Sotion site, so Zapier will run it again in about \d+ seconds\. If it keeps happening, Sotion is answering slowly\.$/,
    );
    expect(JSON.parse(error.message).delay).toBeGreaterThanOrEqual(6);
  });

  it('a GET whose body is cut short is asked again', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).reply(200, '{"data": {"id"', headers('j0'));
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('j00'));
    const result = await appTester(getGroup(G), makeBundle({}));
    expect(result.requestId).toBe('req-j00');
  });

  it('a GET whose body keeps coming back cut short stops after 4 attempts', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).times(4).reply(200, '{"data": {"id"', headers('j4'));
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(messageOf(error)).toMatch(
      /^Sotion answered HTTP 200 while reading access group .*not JSON/,
    );
    expect(nock.isDone()).toBe(true);
  });

  it('a connection that keeps failing says how many attempts were made', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).times(4).replyWithError(connectionReset());
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(messageOf(error)).toBe(
      `Sotion could not be reached (ECONNRESET) while reading access group ${G} after 4 attempts. Replaying the step is safe; try again in a few minutes.`,
    );
    expect(nock.isDone()).toBe(true);
  });

  it('a 2xx body that is not JSON is a clear error with the status', async () => {
    api().post(`${PREFIX}/access-groups`).reply(200, '{"data": [', headers('j1'));
    const error = await rejection(appTester(postGroup, makeBundle({})));
    expect(messageOf(error)).toBe(
      `Sotion answered HTTP 200 while creating an access group, but the body was not JSON. This is usually a temporary problem at Sotion or a proxy in between; replay the step later. (X-Request-Id: req-j1)`,
    );
  });

  it('a body of the wrong shape names the field instead of passing undefined on', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: { ...group(7), type: 'weird' } }, headers('j2'));
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(messageOf(error)).toMatch(/did not have the documented shape at "data\.type".*req-j2/);
    api().get(`${PREFIX}/site`).reply(200, '', headers('j3'));
    const empty = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) => new SotionClient(z, bundle).call(sotion.site.get, {}),
        makeBundle({}),
      ),
    );
    expect(messageOf(empty)).toMatch(
      /HTTP 200 while reading your Sotion site, but the response did not have the documented shape: .*req-j3/,
    );
  });

  // Sotion echoing the key (or another site's key) back in an error body must never put it in a
  // message Zapier shows: every status the pipeline maps, each request to the documented base URL.
  it.each([400, 401, 403, 404, 409, 418, 422, 429, 500, 503])(
    'HTTP %i: the base URL is the documented one and no error message contains a key',
    async (status) => {
      const other = 'so_live_other_site_key_abcdef';
      api()
        .post(`${PREFIX}/access-groups`)
        .reply(
          status,
          { error: `key ${KEY} (also ${other}) was used` },
          headers('leak', { 'retry-after': '120' }),
        );
      const error = await rejection(appTester(postGroup, makeBundle({})));
      const text = `${error.message} ${String(error.stack)}`;
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(other);
      // A 429 says when to come back, not what Sotion said; every other status quotes Sotion,
      // but a 401, which core (session auth) turns into RefreshAuthError before afterResponse:
      // neither its body nor its X-Request-Id reaches the integration.
      if (status === 401) {
        expect(messageOf(error)).not.toMatch(/Sotion said|X-Request-Id/);
        return;
      }
      if (status === 429) expect(messageOf(error)).not.toContain('Sotion said');
      else
        expect(messageOf(error)).toContain(
          'Sotion said: "key [redacted key] (also so_[redacted]) was used".',
        );
      expect(messageOf(error)).toContain('(X-Request-Id: req-leak)');
      expect(nock.isDone()).toBe(true);
    },
  );

  it('a non-JSON error body carrying the key is redacted too; a resolved URL is on BASE', async () => {
    api().post(`${PREFIX}/access-groups`).reply(422, `no: ${KEY}`, headers('leak2'));
    const error = await rejection(appTester(postGroup, makeBundle({})));
    expect(messageOf(error)).toBe(
      'Sotion rejected the request while creating an access group (HTTP 422). Check the values in this step\'s fields. Sotion said: "no: [redacted key]". (X-Request-Id: req-leak2)',
    );
    expect(BASE + PREFIX).toBe(resolveBaseUrl({}));
  });
});

describe('request pipeline: the key is never sent as data', () => {
  it('refuses a query that carries the connection key, before sending', async () => {
    const error = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) =>
          new SotionClient(z, bundle).call(sotion.members.list, { query: { q: KEY } }),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      "A value of this step contains the connection's API key, so it was not sent to Sotion (reading members). Check which fields are mapped into this step.",
    );
  });

  it('refuses a body or query that carries the connection key, before sending', async () => {
    const error = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) =>
          new SotionClient(z, bundle).call(sotion.accessGroups.create, {
            body: { name: `x ${KEY}` },
          }),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      "A value of this step contains the connection's API key, so it was not sent to Sotion (creating an access group). Check which fields are mapped into this step.",
    );
  });
});
