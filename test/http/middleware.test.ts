import nock from 'nock';
import type { ZObject } from 'zapier-platform-core';
import { resolveBaseUrl } from '../../src/http/config';
import { throttleDelaySeconds } from '../../src/http/middleware';
import {
  api,
  appTester,
  BASE,
  headers,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
} from '../helpers';

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
