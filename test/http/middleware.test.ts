import nock from 'nock';
import { createAppTester, type Bundle, type ZObject } from 'zapier-platform-core';
import App from '../../index';
import { api as sotion } from '../../src/api';
import { SotionClient } from '../../src/http/client';
import { resolveBaseUrl } from '../../src/http/config';
import { errorInfo } from '../../src/http/errors';
import { addSotionHeaders, throttleDelaySeconds, withJitter } from '../../src/http/middleware';
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

const G = uuid(7);

const getGroup = (id: string) => (z: ZObject, bundle: Bundle) =>
  new SotionClient(z, bundle).call(sotion.accessGroups.get, { params: { groupId: id } });

/** POST /access-groups, expecting no error status: a 409 is an error too. */
const postGroup = (z: ZObject, bundle: Bundle) =>
  new SotionClient(z, bundle).call(
    { ...sotion.accessGroups.create, expect: [] },
    { body: { name: 'VIP' } },
  );

describe('request pipeline middleware', () => {
  it('sends the key to the base URL itself, without a path or query', async () => {
    expect(resolveBaseUrl()).toBe(BASE + PREFIX);
    api().get(PREFIX).reply(200, { ok: true }, headers('b1'));
    const status = await appTester(
      async (z: ZObject) => (await z.request({ url: BASE + PREFIX })).status,
      makeBundle({}),
    );
    expect(status).toBe(200);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a Retry-After of "0.0" is a delay of zero seconds, ahead of X-RateLimit-Reset', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    const h: Record<string, string> = {
      'retry-after': '0.0',
      'x-ratelimit-reset': String(now / 1000 + 120),
    };
    expect(throttleDelaySeconds({ getHeader: (k: string) => h[k] }, now)).toBe(0);
  });

  it('a request described only in part is worded as undescribed, and its partial list of expected statuses is ignored', async () => {
    api().get(`${PREFIX}/site`).reply(422, { error: 'bad' }, headers('m1'));
    const error = await rejection(
      appTester(
        (z: ZObject) =>
          z.request({
            url: `${BASE}${PREFIX}/site`,
            middlewareData: { action: 'reading', expect: [422] },
          }),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      'Sotion rejected the request while calling the Sotion API (HTTP 422). Check the values in this step\'s fields. Sotion said: "bad". (X-Request-Id: req-m1)',
    );
    expect(nock.pendingMocks()).toEqual([]);
  });
});

const bundle = (inputData: Record<string, unknown> = {}) => ({
  authData: { apiKey: KEY },
  inputData: inputData as never,
});
const deleteGroup = (groupId: string) => (z: ZObject, b: Bundle) =>
  new SotionClient(z, b).call(sotion.accessGroups.delete, { params: { groupId } });
const getSite = (z: ZObject, b: Bundle) => new SotionClient(z, b).call(sotion.site.get, {});
const updateMember = (z: ZObject, b: Bundle) =>
  new SotionClient(z, b).call(sotion.members.update, {
    params: { memberId: uuid(3) },
    body: { email: 'ada@example.com' },
  });
const createMember = (z: ZObject, b: Bundle) =>
  new SotionClient(z, b).call(sotion.members.create, { body: { email: 'ada@example.com' } });

describe('pipeline edges', () => {
  // Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
  useFastClock();

  it('403 on deleting a scope group explains the rule without mentioning members', async () => {
    const id = uuid(1);
    api().delete(`${PREFIX}/access-groups/${id}`).reply(403, '', headers('d1'));
    const error = await rejection(appTester(deleteGroup(id), bundle()));
    expect(messageOf(error)).toBe(
      `Access group ${id} is a scope group (managed from a Notion collection), and scope groups are read-only via the API. Choose a custom access group instead. (X-Request-Id: req-d1)`,
    );
  });

  it('an unexpected 4xx keeps its status in the code; a response without X-Request-Id names none', async () => {
    api().get(`${PREFIX}/site`).reply(418, { error: 'teapot' });
    const error = await rejection(appTester(getSite, bundle()));
    expect(JSON.parse(error.message)).toMatchObject({ code: 'http_418', status: 418 });
    expect(messageOf(error)).toBe(
      'Sotion rejected the request while reading your Sotion site (HTTP 418). Check the values in this step\'s fields. Sotion said: "teapot".',
    );
  });

  it('a bare 429 waits 60 seconds before Zapier retries', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '3000';
    try {
      api().get(`${PREFIX}/site`).reply(429, '');
      const error = await rejection(appTester(getSite, bundle()));
      expect(JSON.parse(error.message).message).toMatch(/about 60 seconds/);
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });

  it('a 409 the endpoint does not expect, without a body, still names the request', async () => {
    api()
      .post(`${PREFIX}/access-groups/${uuid(1)}/members`)
      .reply(409, '', headers('x'));
    const error = await rejection(
      appTester(
        (z: ZObject, b: Bundle) =>
          new SotionClient(z, b).call(
            { ...sotion.groupMembers.add, expect: [] },
            { params: { groupId: uuid(1) }, body: { memberId: uuid(2) } },
          ),
        bundle(),
      ),
    );
    expect(messageOf(error)).toBe(
      `Sotion answered 409 Conflict while adding member ${uuid(2)} to access group ${uuid(1)}: it already exists. (X-Request-Id: req-x)`,
    );
  });

  it("a 409 the endpoint expects is handed back with Sotion's words, the key redacted", async () => {
    api()
      .patch(`${PREFIX}/members/${uuid(3)}`, { email: 'ada@example.com' })
      .reply(409, { error: `taken; key ${KEY}` }, headers('y'));
    const outcome = await appTester(updateMember, bundle());
    expect(outcome).toEqual({
      ok: false,
      status: 409,
      requestId: 'req-y',
      apiMessage: 'taken; key [redacted key]',
    });
  });

  it('a network error without a code is named by its kind, with no request id', async () => {
    api().post(`${PREFIX}/members`, { email: 'ada@example.com' }).replyWithError('boom');
    const error = await rejection(appTester(createMember, bundle()));
    expect(messageOf(error)).toMatch(
      /^Sotion could not be reached \(\w+\) while creating a member\. The change may or may not have been made\. Check in Sotion before replaying the step\.$/,
    );
  });
});

describe('404 wording', () => {
  // Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
  useFastClock();

  const add404 = async (body: unknown) => {
    api()
      .post(`${PREFIX}/access-groups/${uuid(1)}/members`, { memberId: uuid(2) })
      .reply(404, body as string, headers('nf'));
    return messageOf(
      await rejection(
        appTester(
          (z: ZObject, b: Bundle) =>
            new SotionClient(z, b).call(sotion.groupMembers.add, {
              params: { groupId: uuid(1) },
              body: { memberId: uuid(2) },
            }),
          bundle(),
        ),
      ),
    );
  };
  const rest =
    'It may have been deleted, or the ID may belong to another site (each API key sees only ' +
    'its own site). Check the ID or pick it from the dropdown.';

  it.each([
    [{ error: 'Access group not found.' }, `access group ${uuid(1)}`],
    [{ error: { code: 'not_found', message: 'Member not found' } }, `member ${uuid(2)}`],
  ])('a group add names what Sotion says is missing: %j', async (body, what) => {
    const said = typeof body.error === 'string' ? body.error : body.error.message;
    expect(await add404(body)).toBe(
      `Sotion could not find ${what}. ${rest} Sotion said: "${said}". (X-Request-Id: req-nf)`,
    );
  });

  it.each([
    [{ error: 'Not found' }, ' Sotion said: "Not found".'],
    [{ error: 'Access group member not found' }, ' Sotion said: "Access group member not found".'],
    ['', ''],
  ])('a group add whose answer does not show which names both: %j', async (body, said) => {
    expect(await add404(body)).toBe(
      `Sotion could not find access group ${uuid(1)}, or member ${uuid(2)}. ${rest}${said} (X-Request-Id: req-nf)`,
    );
  });
});

describe('rate-limit headers: each one without the other', () => {
  // Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
  useFastClock();

  const site = { id: uuid(9), status: 'published', domain: null, slug: 's', title: null };
  const inSeconds = (s: number) => String(Math.floor(Date.now() / 1000) + s);
  /** Serves GET /site once per header set, then runs that many reads on one client. */
  const readsWith = async (answers: Array<Record<string, string>>) => {
    for (const [i, extra] of answers.entries())
      api()
        .get(`${PREFIX}/site`)
        .reply(200, { data: site }, { 'x-request-id': `rl${i}`, ...extra });
    const started = Date.now();
    const ids = await appTester(async (z: ZObject, b: Bundle) => {
      const client = new SotionClient(z, b);
      const seen: Array<string | undefined> = [];
      for (let i = 0; i < answers.length; i += 1)
        seen.push((await client.call(sotion.site.get, {})).requestId);
      return seen;
    }, bundle());
    return { ids, elapsed: Date.now() - started };
  };

  // Core's getHeader answers null for a missing header. Read as a number, null is 0: a reset
  // without Remaining then looked like "no requests left" (a wait, or a ThrottledError).
  it('X-RateLimit-Reset without X-RateLimit-Remaining does not pause, even with the reset a minute ahead', async () => {
    const { ids, elapsed } = await readsWith([{ 'x-ratelimit-reset': inSeconds(60) }, {}]);
    expect(ids).toEqual(['rl0', 'rl1']);
    expect(elapsed).toBeLessThan(1000);
  });

  it('X-RateLimit-Reset a few seconds ahead without Remaining does not wait for it', async () => {
    const { elapsed } = await readsWith([{ 'x-ratelimit-reset': inSeconds(2) }, {}]);
    expect(elapsed).toBeLessThan(1000);
  });

  it('X-RateLimit-Remaining 0 without X-RateLimit-Reset does not pause', async () => {
    const { ids, elapsed } = await readsWith([{ 'x-ratelimit-remaining': '0' }, {}]);
    expect(ids).toEqual(['rl0', 'rl1']);
    expect(elapsed).toBeLessThan(1000);
  });

  it('Remaining 0 with the reset a second or two ahead pauses until the reset, once', async () => {
    const reset = inSeconds(2);
    const { ids } = await readsWith([
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      {},
      {},
    ]);
    expect(ids).toEqual(['rl0', 'rl1', 'rl2']);
    // Sent only after the window reset, and the pause is not repeated for the third read.
    expect(Date.now()).toBeGreaterThanOrEqual(Number(reset) * 1000);
    expect(Date.now()).toBeLessThan(Number(reset) * 1000 + 1000);
  });

  it('a Remaining of 0 uses the reset an earlier answer gave when this one has none', async () => {
    const reset = inSeconds(2);
    await readsWith([
      { 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': reset },
      { 'x-ratelimit-remaining': '0' },
      {},
    ]);
    expect(Date.now()).toBeGreaterThanOrEqual(Number(reset) * 1000);
  });

  it('responses missing one or both rate-limit headers, or with a reset already past, do not pause', async () => {
    const { ids, elapsed } = await readsWith([
      { 'x-ratelimit-reset': inSeconds(60) },
      {},
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1000' },
      { 'x-ratelimit-remaining': '', 'x-ratelimit-reset': 'soon' },
      {},
    ]);
    expect(ids).toEqual(['rl0', 'rl1', 'rl2', 'rl3', 'rl4']);
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('middleware: the headers of a request', () => {
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

  it('sends the key with a query on the base URL itself, and never to a look-alike host', async () => {
    const base = resolveBaseUrl();
    const headersFor = async (url: string) =>
      (await addSotionHeaders({ url, headers: {} }, {} as never, makeBundle({}) as never)).headers;
    expect(await headersFor(`${base}?limit=1`)).toMatchObject({ Authorization: `Bearer ${KEY}` });
    expect(await headersFor(`${base}.evil.example/x`)).toEqual({});
  });
});

describe('middleware: error mapping', () => {
  // Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
  useFastClock();

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

describe('middleware: 429 delays handed to Zapier', () => {
  useFastClock();

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
});
