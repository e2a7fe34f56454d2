import nock from 'nock';
import { DETAILS_BUDGET_MS, detailsClient, missingReason } from '../../../src/zap/hooks/details';
import {
  api,
  appTester,
  group,
  headers,
  KEY,
  messageOf,
  PREFIX,
  rejection,
  uuid,
} from '../../helpers';
import { captureLogs, envelope, hookBundle, hookOp, member } from './helpers';

/** What a slim delivery lacks, fetched (src/zap/hooks/details.ts). */

const created = hookOp('member_created');

describe('slim deliveries', () => {
  it('a slim member payload is completed with one request; unknown fields are kept', async () => {
    const slim = envelope('member.auth', { memberId: uuid(3), action: 'login' });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(1));
    const result = await appTester(
      hookOp('member_logged_in_or_out').perform,
      hookBundle(slim),
      true,
    );
    expect(result[0]).toMatchObject({
      id: uuid(500),
      eventType: 'member.auth',
      memberId: uuid(3),
      email: 'm3@example.com',
      action: 'login',
      accessGroupIds: [uuid(7)],
    });
  });

  it('a member that is gone keeps what the delivery carried, missing fields null', async () => {
    const slim = envelope('member.updated', { id: uuid(3) });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const [item] = await appTester(hookOp('member_updated').perform, hookBundle(slim), true);
    expect(item).toMatchObject({
      memberId: uuid(3),
      email: null,
      status: null,
      accessGroupIds: [],
    });
    expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(created.sample).sort());
  });

  it('a nested member without its own id takes memberId from the event', async () => {
    const raw = envelope('member.updated', {
      memberId: uuid(3),
      member: { email: 'm3@example.com' },
    });
    const [item] = await appTester(hookOp('member_updated').perform, hookBundle(raw), true);
    expect(item).toMatchObject({ memberId: uuid(3), email: 'm3@example.com' });
  });

  it('a membership whose group is gone keeps the group id', async () => {
    const raw = envelope('access-group.member.removed', {
      memberId: uuid(3),
      accessGroupId: uuid(7),
      member: member(3),
    });
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const [item] = await appTester(
      hookOp('member_removed_from_access_group').perform,
      hookBundle(raw),
      true,
    );
    expect(item).toMatchObject({
      accessGroupId: uuid(7),
      accessGroupName: null,
      memberId: uuid(3),
    });
  });
});

describe('objects that are gone from Sotion', () => {
  it('the log says which member is gone and that the output keeps the delivery', async () => {
    const raw = envelope('member.updated', { id: uuid(3), action: 'x' });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const { lines, result } = await captureLogs(() =>
      appTester(hookOp('member_updated').perform, hookBundle(raw), true),
    );
    expect(result).toHaveLength(1);
    expect(lines).toContain(
      `Member ${uuid(3)} is gone from Sotion; the output keeps what the delivery carried.`,
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('the log says which access group is gone', async () => {
    const raw = envelope('access-group.updated', { id: uuid(7) });
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(404, { error: 'Not found' }, headers(1));
    const { lines, result } = await captureLogs(() =>
      appTester(hookOp('access_group_updated').perform, hookBundle(raw), true),
    );
    expect(result).toHaveLength(1);
    expect(lines).toContain(
      `Access group ${uuid(7)} is gone from Sotion; the output keeps what the delivery carried.`,
    );
  });
});

/**
 * Issue 17 §3: an instant trigger must not lose an event to the rate limit. Zapier retries a
 * hook run once; a delivery whose details cannot be read in time starts its Zap run with what
 * it carried, and says so.
 */
describe('details that cannot be read in time', () => {
  const added = hookOp('member_added_to_access_group');
  const idsOnly = envelope('access-group.member.added', {
    memberId: uuid(3),
    accessGroupId: uuid(7),
  });
  /** A 429 as Sotion sends it: nothing left until the window resets a minute from now. */
  const throttled = (n: number, retryAfter = '60') =>
    headers(n, { 'retry-after': retryAfter, 'x-ratelimit-remaining': '0' });
  const TOO_MANY = { error: 'Too many requests.' };
  /** The fields of a membership item when only the delivery's ids are known. */
  const idsKept = {
    id: uuid(500),
    eventType: 'access-group.member.added',
    occurredAt: '2026-05-07T10:00:00.000Z',
    memberId: uuid(3),
    email: null,
    accessGroupIds: [],
    accessGroupId: uuid(7),
    accessGroupName: null,
  };
  afterEach(() => {
    delete process.env.SOTION_RUN_BUDGET_MS;
  });

  it('a membership delivery of ids whose reads are both throttled starts the run with the ids', async () => {
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(429, TOO_MANY, throttled(1));
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(429, TOO_MANY, throttled(2));
    const { lines, result, error } = await captureLogs(() =>
      appTester(added.perform, hookBundle(idsOnly), true),
    );
    expect(error).toBeUndefined();
    const reason =
      `Member ${uuid(3)} and access group ${uuid(7)} could not be read in time: Sotion's rate ` +
      'limit was used up. (X-Request-Id: req-1, req-2)';
    expect(result).toEqual([
      expect.objectContaining({
        ...idsKept,
        detailsComplete: false,
        detailsMissingReason: reason,
      }),
    ]);
    expect(Object.keys(result?.[0] ?? {}).sort()).toEqual(Object.keys(added.sample).sort());
    expect(lines).toContain(
      'Sotion delivery for member_added_to_access_group: event ' +
        `${uuid(500)} starts its Zap run without all details. ${reason}`,
    );
    // Each read was asked once: a minute's wait for the window is not for a hook run.
    expect(nock.pendingMocks()).toEqual([]);
    // The event started its run: Sotion's retry of it starts none.
    expect(await appTester(added.perform, hookBundle(idsOnly))).toEqual([]);
  });

  it('one read throttled, the other answered: the member complete, the group missing', async () => {
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(1));
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(429, TOO_MANY, throttled(2));
    const [item] = await appTester(added.perform, hookBundle(idsOnly), true);
    expect(item).toMatchObject({
      memberId: uuid(3),
      email: 'm3@example.com',
      accessGroupId: uuid(7),
      accessGroupName: null,
      detailsComplete: false,
      detailsMissingReason:
        `Access group ${uuid(7)} could not be read in time: Sotion's rate limit was used up. ` +
        '(X-Request-Id: req-2)',
    });
  });

  it('a 5xx the budget cannot outlast: the status and request id in the reason', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '1200';
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(503, { error: 'Unavailable' }, headers(1));
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(503, { error: 'Unavailable' }, headers(2));
    const [item] = await appTester(added.perform, hookBundle(idsOnly), true);
    expect(item).toMatchObject({
      ...idsKept,
      detailsComplete: false,
      detailsMissingReason:
        `Member ${uuid(3)} and access group ${uuid(7)} could not be read in time: Sotion ` +
        'answered HTTP 503. (X-Request-Id: req-1, req-2)',
    });
  });

  it('a lost connection: Sotion did not answer', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '1200';
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const slim = envelope('member.created', { id: uuid(3) });
    const [item] = await appTester(created.perform, hookBundle(slim), true);
    expect(item).toMatchObject({
      memberId: uuid(3),
      email: null,
      detailsComplete: false,
      detailsMissingReason: `Member ${uuid(3)} could not be read in time: Sotion did not answer.`,
    });
  });

  it('an answer that is not JSON, past the budget: said so, with its status', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '1200';
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, '<html>proxy</html>', headers(1));
    const slim = envelope('member.created', { id: uuid(3) });
    const [item] = await appTester(created.perform, hookBundle(slim), true);
    expect(item).toMatchObject({
      detailsComplete: false,
      detailsMissingReason:
        `Member ${uuid(3)} could not be read in time: Sotion's answer (HTTP 200) was not JSON. ` +
        '(X-Request-Id: req-1)',
    });
  });

  it('a short wait for the window fits the budget: the read is sent again and completes', async () => {
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(429, TOO_MANY, throttled(1, '0'));
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(200, { data: group(7) }, headers(2));
    const slim = envelope('access-group.updated', { id: uuid(7) });
    const [item] = await appTester(hookOp('access_group_updated').perform, hookBundle(slim), true);
    expect(item).toMatchObject({
      accessGroupId: uuid(7),
      name: 'Group 7',
      detailsComplete: true,
      detailsMissingReason: null,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a refusal a retry would not fix still fails the run (a revoked key)', async () => {
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(401, { error: 'Invalid API key.' }, headers(1));
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(200, { data: group(7) }, headers(2));
    const error = await rejection(appTester(added.perform, hookBundle(idsOnly), true));
    expect(messageOf(error)).toMatch(/no longer accepts the API key/);
  });

  it('the budget of the reads is short, whatever the run budget', () => {
    expect(DETAILS_BUDGET_MS).toBe(6_000);
    const z = { console: { log: () => undefined } } as never;
    const bundle = { authData: { apiKey: KEY } } as never;
    const before = Date.now();
    const { deadline } = detailsClient(z, bundle);
    expect(deadline.endsAt - deadline.startedAt).toBe(6_000);
    expect(deadline.startedAt).toBeGreaterThanOrEqual(before);
    process.env.SOTION_RUN_BUDGET_MS = '1500';
    const small = detailsClient(z, bundle).deadline;
    expect(small.endsAt - small.startedAt).toBe(1_500);
  });
});

describe('missingReason', () => {
  it('one sentence per cause, objects joined, request ids when Sotion answered', () => {
    expect(missingReason([undefined, undefined])).toBeUndefined();
    expect(
      missingReason([
        { what: 'member m1', cause: 'gone', status: 404, requestId: 'r1' },
        { what: 'access group g1', cause: 'gone', status: 404 },
        { what: 'member m2', cause: 'unanswered' },
      ]),
    ).toBe(
      'Member m1 and access group g1 are gone from Sotion (deleted since the event). ' +
        '(X-Request-Id: r1) Member m2 could not be read in time: Sotion did not answer.',
    );
    expect(
      missingReason([
        { what: 'member', cause: 'unnamed' },
        { what: 'access group', cause: 'unnamed' },
      ]),
    ).toBe('The delivery names no member or access group.');
    expect(
      missingReason([
        { what: 'member m1', cause: 'unanswered', status: 502 },
        { what: 'access group g1', cause: 'unanswered', status: 503 },
      ]),
    ).toBe(
      'Member m1 could not be read in time: Sotion answered HTTP 502. Access group g1 could ' +
        'not be read in time: Sotion answered HTTP 503.',
    );
  });
});
