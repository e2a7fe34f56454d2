import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { api as sotion } from '../../src/api';
import { SotionClient } from '../../src/http/client';
import { resolveBaseUrl } from '../../src/http/config';
import { throttleDelaySeconds } from '../../src/http/middleware';
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
  uuid,
} from '../helpers';
import { useFastClock } from '../fast-clock';

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
