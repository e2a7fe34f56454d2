import nock from 'nock';
import { errors, type Bundle, type ZObject } from 'zapier-platform-core';
import { api as sotion } from '../../src/api';
import { backoffMs, isNetworkError, SotionClient } from '../../src/http/client';
import { withInfo } from '../../src/http/errors';
import { Deadline } from '../../src/http/deadline';
import {
  api,
  appTester,
  group,
  headers,
  KEY,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';
import { fullMember } from '../member-fixtures';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const G = uuid(7);
const M = uuid(3);
const connectionReset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

const getGroup = (id: string) => (z: ZObject, bundle: Bundle) =>
  new SotionClient(z, bundle).call(sotion.accessGroups.get, { params: { groupId: id } });

/** POST /access-groups, expecting no error status: a 409 is an error too. */
const postGroup = (z: ZObject, bundle: Bundle) =>
  new SotionClient(z, bundle).call(
    { ...sotion.accessGroups.create, expect: [] },
    { body: { name: 'VIP' } },
  );

/** A run's deadline whose remaining time the test sets: no clock involved. */
class ManualDeadline extends Deadline {
  left = 10_000;

  override remainingMs(): number {
    return this.left;
  }
}

describe('client: when a lost answer is asked again', () => {
  it('does not resend a write that is not safe to repeat, even when the caller accepts a 409', async () => {
    api()
      .post(`${PREFIX}/webhooks`, {
        url: 'https://hooks.example.com/1',
        events: ['member.created'],
      })
      .reply(503, '', headers('w1'));
    const run = await appTester(async (z: ZObject, bundle: Bundle) => {
      const client = new SotionClient(z, bundle);
      const error = await rejection(
        client.call(sotion.webhooks.create, {
          body: { url: 'https://hooks.example.com/1', events: ['member.created'] },
          acceptsConflict: true,
        }),
      );
      return {
        message: messageOf(error),
        sent: client.requestsSent,
        resent: client.resentAfterLostAnswer,
      };
    }, makeBundle({}));
    expect(run).toEqual({
      message:
        'Sotion had a problem (HTTP 503) while creating a webhook subscription, so the change may or may not have been made. Check in Sotion before replaying the step. (X-Request-Id: req-w1)',
      sent: 1,
      resent: 0,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('counts a write as resent only when it is sent again, not when its error is final', async () => {
    api()
      .post(`${PREFIX}/members/bulk`, { members: [] })
      .reply(422, { error: 'members must not be empty' }, headers('b1'));
    api()
      .patch(`${PREFIX}/members/${M}`, { email: 'ada@example.com' })
      .reply(503, '', headers('u1'));
    api()
      .patch(`${PREFIX}/members/${M}`, { email: 'ada@example.com' })
      .reply(200, { data: fullMember(3, [], { id: M }) }, headers('u2'));
    const run = await appTester(async (z: ZObject, bundle: Bundle) => {
      const client = new SotionClient(z, bundle);
      const error = await rejection(
        client.call(sotion.members.bulkCreate, { body: { members: [] } }),
      );
      const afterRefusal = client.resentAfterLostAnswer;
      const updated = await client.call(sotion.members.update, {
        params: { memberId: M },
        body: { email: 'ada@example.com' },
      });
      return {
        message: messageOf(error),
        updated: updated.requestId,
        afterRefusal,
        afterResend: client.resentAfterLostAnswer,
        sent: client.requestsSent,
      };
    }, makeBundle({}));
    expect(run).toEqual({
      message:
        'Sotion rejected the request while creating members in bulk (HTTP 422). Check the values in this step\'s fields. Sotion said: "members must not be empty". (X-Request-Id: req-b1)',
      updated: 'req-u2',
      afterRefusal: 0,
      afterResend: 1,
      sent: 3,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('waits the backoff (at least 250 ms) before asking again after a 5xx', async () => {
    const sentAt: number[] = [];
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(() => {
        sentAt.push(Date.now());
        return [503, '', headers('s1')];
      });
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(() => {
        sentAt.push(Date.now());
        return [200, { data: group(7) }, headers('s2')];
      });
    const result = await appTester(
      (z: ZObject, bundle: Bundle) =>
        new SotionClient(z, bundle).call(sotion.accessGroups.get, { params: { groupId: G } }),
      makeBundle({}),
    );
    expect(result.requestId).toBe('req-s2');
    expect(sentAt).toHaveLength(2);
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(245);
  });

  it('a 5xx with no time left for another attempt goes back to Zapier as a throttle (issue 17 §4)', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).reply(503, '', headers('t1'));
    const run = await appTester(async (z: ZObject, bundle: Bundle) => {
      const deadline = new ManualDeadline();
      // The longest first backoff is 499 ms: 1,200 ms left leave at most 950 ms after it.
      deadline.left = 1_200;
      const client = new SotionClient(z, bundle, deadline);
      const error = await rejection(
        client.call(sotion.accessGroups.get, { params: { groupId: G } }),
      );
      return { message: messageOf(error), sent: client.requestsSent };
    }, makeBundle({}));
    expect(run).toEqual({
      message: expect.stringMatching(
        /^The step ran out of time \(Zapier allows 30 seconds\) before reading access group \S+, so Zapier will run it again in about \d+ seconds\./,
      ),
      sent: 1,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('an aborted request reads as a time-out', async () => {
    const run = await appTester(async (z: ZObject, bundle: Bundle) => {
      const aborted = Object.assign(new Error('The user aborted a request.'), {
        name: 'AbortError',
        type: 'aborted',
      });
      let sent = 0;
      const abortingZ: ZObject = {
        ...z,
        request: async () => {
          sent += 1;
          throw aborted;
        },
      };
      const client = new SotionClient(abortingZ, bundle);
      const error = await rejection(
        client.call(sotion.members.createLoginLink, { params: { memberId: M }, body: {} }),
      );
      return { message: messageOf(error), code: JSON.parse(error.message).code, sent };
    }, makeBundle({}));
    expect(run).toEqual({
      message: `Sotion did not answer in time while creating a login link for member ${M}. The change may or may not have been made. Check in Sotion before replaying the step.`,
      code: 'timeout',
      sent: 1,
    });
  });
});

describe('client: when the run runs out of time', () => {
  it('a request refused for lack of time gives its place in the window back', async () => {
    api()
      .get(`${PREFIX}/site`)
      .reply(
        200,
        { data: { id: uuid(9), status: 'published', domain: null, slug: 's', title: null } },
        headers('o1', { 'x-ratelimit-remaining': '1' }),
      );
    const run = await appTester(async (z: ZObject, bundle: Bundle) => {
      const deadline = new ManualDeadline();
      const client = new SotionClient(z, bundle, deadline);
      await client.call(sotion.site.get, {});
      // One request is left in the window; the run has no time for it.
      deadline.left = 400;
      const first = await rejection(client.call(sotion.site.get, {}));
      const second = await rejection(client.call(sotion.site.get, {}));
      return {
        first: messageOf(first),
        second: messageOf(second),
        pending: client.gate.pending,
        sent: client.requestsSent,
      };
    }, makeBundle({}));
    const outOfTime = expect.stringMatching(
      /^The step ran out of time \(Zapier allows 30 seconds\) before reading your Sotion site, so Zapier will run it again in about \d+ seconds\./,
    );
    expect(run).toEqual({ first: outOfTime, second: outOfTime, pending: 0, sent: 1 });
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
});

describe('client: answers it cannot use', () => {
  it('a blank 2xx body is an answer of the wrong shape, not a body to ask for again', async () => {
    api().get(`${PREFIX}/site`).reply(200, '  \n ', headers('e1'));
    const error = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) => new SotionClient(z, bundle).call(sotion.site.get, {}),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      "Sotion answered HTTP 200 while reading your Sotion site, but the response did not have the documented shape: Invalid input: expected object, received undefined. Please report this to the integration's maintainers. (X-Request-Id: req-e1)",
    );
    expect(JSON.parse(error.message)).toMatchObject({ code: 'unexpected_response', status: 200 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("a body of the wrong shape quotes the schema's complaint", async () => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: { ...group(7), type: 'weird' } }, headers('e2'));
    const error = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) =>
          new SotionClient(z, bundle).call(sotion.accessGroups.get, { params: { groupId: G } }),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      `Sotion answered HTTP 200 while reading access group ${G}, but the response did not have the documented shape at "data.type": Invalid option: expected one of "custom"|"scope". Please report this to the integration's maintainers. (X-Request-Id: req-e2)`,
    );
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
});

describe('network failures', () => {
  it('recognises network failures from node-fetch and sockets', () => {
    const fetchError = Object.assign(new Error('x'), { name: 'FetchError' });
    expect(isNetworkError(fetchError)).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { type: 'request-timeout' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { type: 'body-timeout' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'EWHATEVER' }))).toBe(false);
    expect(isNetworkError(new Error('x'))).toBe(false);
    expect(isNetworkError('ECONNRESET')).toBe(false);
    expect(
      isNetworkError(
        withInfo(Object.assign(new Error('x'), { name: 'FetchError' }), { transient: true }),
      ),
    ).toBe(false);
  });
});

describe('client: retries', () => {
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

  it('a connection that keeps failing says how many attempts were made', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).times(4).replyWithError(connectionReset());
    const error = await rejection(appTester(getGroup(G), makeBundle({})));
    expect(messageOf(error)).toBe(
      `Sotion could not be reached (ECONNRESET) while reading access group ${G} after 4 attempts. Replaying the step is safe; try again in a few minutes.`,
    );
    expect(nock.isDone()).toBe(true);
  });
});

describe('client: what is refused before any request', () => {
  it('refuses a key that is not a v1 key before any request', async () => {
    const error = await rejection(appTester(getGroup(G), makeBundle({}, {}, 'sk_live_123')));
    expect(messageOf(error)).toMatch(/not a Sotion API v1 key: those start with "so_"/);
    expect(messageOf(error)).toMatch(/Site settings → Integrations → API Keys/);
  });

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
