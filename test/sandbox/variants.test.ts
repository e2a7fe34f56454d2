/**
 * The sandbox's behaviour variants and hostile faults, over real loopback HTTP with plain fetch:
 * what upcoming client features are tested against.
 */
import { createHmac } from 'node:crypto';
import { EVENTS } from '../../sandbox/store';
import { configure, demoSite, groupByName, http, useReceiver, useSandbox } from '../e2e/harness';

type Json = { data: Record<string, unknown> & Array<Record<string, unknown>> } & Record<
  string,
  unknown
>;
const json = (r: { json: unknown }) => r.json as Json;

const sandbox = useSandbox();
const restore = () =>
  configure(sandbox(), {
    behaviour: {
      removeNotInGroup: 404,
      loginLinkStatus: 201,
      groupCreatedAt: 'set',
      membershipPayload: 'objects',
      throttle: 'retry-after',
    },
    faults: { emptyPagesLoop: false, rejectEmails: [] },
    rateLimit: 100_000,
    rateWindowSeconds: 60,
  });
afterEach(restore);

describe('behaviour variants', () => {
  it('removeNotInGroup: 404 by default, an idempotent 204 as the variant', async () => {
    const site = demoSite(sandbox());
    const beta = groupByName(site, 'Beta Testers');
    const grace = site.members.find((m) => m.email === 'grace@example.com')!;
    const path = `/access-groups/${beta.id}/members/${grace.id}`;
    expect((await http(sandbox(), 'DELETE', path)).status).toBe(404);
    await configure(sandbox(), { behaviour: { removeNotInGroup: 204 } });
    expect((await http(sandbox(), 'DELETE', path)).status).toBe(204);
    // A member who is not there at all is still a 404.
    const unknown = `/access-groups/${beta.id}/members/00000000-0000-4000-8000-000000000000`;
    expect((await http(sandbox(), 'DELETE', unknown)).status).toBe(404);
  });

  it('loginLinkStatus: 201 or 200; the link is never printed by the sandbox', async () => {
    const printed: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
      }),
    );
    try {
      const grace = demoSite(sandbox()).members.find((m) => m.email === 'grace@example.com')!;
      const path = `/members/${grace.id}/login-links`;
      const first = await http(sandbox(), 'POST', path, { sendEmail: false });
      expect(first.status).toBe(201);
      await configure(sandbox(), { behaviour: { loginLinkStatus: 200 } });
      const second = await http(sandbox(), 'POST', path, { sendEmail: false });
      expect(second.status).toBe(200);
      expect(second.headers.get('location')).toBe(`/api/v1${path}`);
      const url = String(json(second).data.url);
      expect(url).toMatch(/^https:\/\//);
      const state = await (await fetch(`${sandbox().origin}/__sandbox/state`)).text();
      const stats = await (await fetch(`${sandbox().origin}/__sandbox/stats`)).text();
      for (const text of [state, stats, ...printed]) expect(text).not.toContain(url);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("groupCreatedAt: 'null' serves every group's timestamps as null", async () => {
    await configure(sandbox(), { behaviour: { groupCreatedAt: 'null' } });
    const list = json(await http(sandbox(), 'GET', '/access-groups')).data;
    expect(list.length).toBeGreaterThan(0);
    for (const g of list) expect([g.createdAt, g.updatedAt]).toEqual([null, null]);
    const created = json(
      await http(sandbox(), 'POST', '/access-groups', { name: 'No Dates' }),
    ).data;
    expect([created.createdAt, created.updatedAt]).toEqual([null, null]);
    await configure(sandbox(), { behaviour: { groupCreatedAt: 'set' } });
    const again = json(await http(sandbox(), 'GET', `/access-groups/${String(created.id)}`)).data;
    expect(typeof again.createdAt).toBe('string');
  });
});

describe('hostile faults', () => {
  it('emptyPagesLoop: empty pages with hasMore and a fresh cursor, for ever or N times', async () => {
    await configure(sandbox(), { faults: { emptyPagesLoop: true } });
    const cursors = new Set<string>();
    let path = '/members?limit=10';
    for (let i = 0; i < 5; i += 1) {
      const page = json(await http(sandbox(), 'GET', path));
      expect(page.data).toEqual([]);
      const pagination = page.pagination as { hasMore: boolean; nextCursor: string };
      expect(pagination.hasMore).toBe(true);
      cursors.add(pagination.nextCursor);
      path = `/access-groups?after=${pagination.nextCursor}`;
    }
    expect(cursors.size).toBe(5);
    await configure(sandbox(), { faults: { emptyPagesLoop: 2 } });
    expect(json(await http(sandbox(), 'GET', '/webhooks')).data).toEqual([]);
    expect(json(await http(sandbox(), 'GET', '/access-groups')).data).toEqual([]);
    expect(json(await http(sandbox(), 'GET', '/access-groups')).data.length).toBeGreaterThan(0);
    // Only list endpoints: a single group is served as usual.
    await configure(sandbox(), { faults: { emptyPagesLoop: true } });
    const premium = groupByName(demoSite(sandbox()), 'Premium Members');
    expect(json(await http(sandbox(), 'GET', `/access-groups/${premium.id}`)).data.id).toBe(
      premium.id,
    );
  });

  it('rejectEmails: the whole bulk batch is refused with 422 at the first match; so is POST /members', async () => {
    await configure(sandbox(), { faults: { rejectEmails: ['@refused.example'] } });
    const before = demoSite(sandbox()).members.length;
    const bulk = await http(sandbox(), 'POST', '/members/bulk', {
      members: [
        { email: 'fine1@example.org' },
        { email: ' Who@Refused.example' },
        { email: 'x@refused.example' },
      ],
    });
    expect([bulk.status, bulk.json]).toEqual([
      422,
      { error: 'Invalid email at members[1]: Who@Refused.example' },
    ]);
    const single = await http(sandbox(), 'POST', '/members', { email: 'one@refused.example' });
    expect([single.status, single.json]).toEqual([
      422,
      { error: 'Invalid email: one@refused.example' },
    ]);
    await configure(sandbox(), { faults: { rejectEmails: '^bad\\d+@' } });
    const regex = await http(sandbox(), 'POST', '/members/bulk', {
      members: [{ email: 'good@example.org' }, { email: 'bad7@example.org' }],
    });
    expect([regex.status, regex.json]).toEqual([
      422,
      { error: 'Invalid email at members[1]: bad7@example.org' },
    ]);
    expect(demoSite(sandbox()).members.length).toBe(before);
    expect(sandbox().stats.faults.rejectedEmail).toBeGreaterThanOrEqual(3);
  });
});

describe('rate limit', () => {
  it('N per fractional window; X-RateLimit-* on every answer; reset-only 429s carry no Retry-After', async () => {
    await configure(sandbox(), {
      rateLimit: 3,
      rateWindowSeconds: 0.5,
      behaviour: { throttle: 'reset-only' },
    });
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await http(sandbox(), 'GET', '/site'));
    const unauthorised = await http(sandbox(), 'GET', '/site', undefined, 'so_nope');
    for (const a of [...answers, unauthorised]) {
      expect(a.headers.get('x-ratelimit-limit')).toBe('3');
      expect(a.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
      // Unix seconds, rounded up from the window's end.
      const reset = Number(a.headers.get('x-ratelimit-reset'));
      expect(reset * 1000).toBeGreaterThanOrEqual(Date.now());
      expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 2000);
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual([
      '2',
      '1',
      '0',
      '0',
    ]);
    expect(answers[3]!.headers.get('retry-after')).toBeNull();
    await new Promise((r) => setTimeout(r, 600));
    expect((await http(sandbox(), 'GET', '/site')).status).toBe(200);

    await configure(sandbox(), { rateLimit: 1, behaviour: { throttle: 'retry-after' } });
    await http(sandbox(), 'GET', '/site');
    const limited = await http(sandbox(), 'GET', '/site');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(0);
  });

  it('POST /__sandbox/config refuses unknown options and bad values', async () => {
    const post = (body: unknown) =>
      fetch(`${sandbox().origin}/__sandbox/config`, { method: 'POST', body: JSON.stringify(body) });
    const bad = await post({ behaviour: { groupOrder: 'random' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'behaviour.groupOrder must be one of newest, oldest, name (got "random")',
    });
    expect((await post({ rateWindowSeconds: 0 })).status).toBe(400);
    expect(sandbox().behaviour.groupOrder).toBe('oldest');
  });
});

describe('webhook deliveries for every mutating route', () => {
  const receiver = useReceiver();
  const received = receiver.received;
  const events = async (count: number) =>
    (await receiver.until(count)).map(
      (r) => JSON.parse(r.body) as Record<string, unknown> & { data: Record<string, unknown> },
    );

  it('signed envelopes {id, type, timestamp, version, siteId, data}; membership data by variant', async () => {
    const url = receiver.url();
    expect(
      (await http(sandbox(), 'POST', '/webhooks', { url, events: ['member.created'] })).status,
    ).toBe(422);
    await configure(sandbox(), { allowLoopbackHttpWebhooks: true });
    const hook = json(
      await http(sandbox(), 'POST', '/webhooks', {
        url,
        events: EVENTS.filter((e) => e !== 'member.auth'),
      }),
    ).data;
    const id = (r: { json: unknown }) => String(json(r).data.id);
    const group = id(await http(sandbox(), 'POST', '/access-groups', { name: 'Hooked' }));
    await http(sandbox(), 'PATCH', `/access-groups/${group}`, { description: 'd' });
    const member = id(
      await http(sandbox(), 'POST', '/members', {
        email: 'hook1@example.org',
        accessGroupIds: [group],
      }),
    );
    await http(sandbox(), 'POST', '/members/bulk', {
      members: [{ email: 'hook2@example.org' }],
      accessGroupIds: [group],
    });
    await http(sandbox(), 'PATCH', `/members/${member}`, { status: 'blocked' });
    await http(sandbox(), 'DELETE', `/access-groups/${group}/members/${member}`);
    await configure(sandbox(), { behaviour: { membershipPayload: 'ids' } });
    await http(sandbox(), 'POST', `/access-groups/${group}/members`, { memberId: member });
    await http(sandbox(), 'DELETE', `/members/${member}`);
    await http(sandbox(), 'DELETE', `/access-groups/${group}`);

    const got = await events(11);
    expect(got.map((e) => e.type)).toEqual([
      'access-group.created',
      'access-group.updated',
      'member.created',
      'access-group.member.added',
      'member.created',
      'access-group.member.added',
      'member.updated',
      'access-group.member.removed',
      'access-group.member.added',
      'member.deleted',
      'access-group.deleted',
    ]);
    const site = demoSite(sandbox());
    for (const [i, e] of got.entries()) {
      expect(Object.keys(e)).toEqual(['id', 'type', 'timestamp', 'version', 'siteId', 'data']);
      expect([e.version, e.siteId]).toEqual(['1', site.site.id]);
      const signature = createHmac('sha256', String(hook.secret))
        .update(received[i]!.body)
        .digest('hex');
      expect(received[i]!.headers['x-webhook-signature']).toBe(`sha256=${signature}`);
      expect(received[i]!.headers['x-webhook-id']).toBe(e.id);
    }
    expect(got[2]!.data).toMatchObject({
      email: 'hook1@example.org',
      accessGroups: [{ id: group }],
    });
    expect(got[6]!.data).toMatchObject({ id: member, status: 'blocked' });
    expect(got[3]!.data).toMatchObject({
      memberId: member,
      accessGroupId: group,
      member: { id: member },
      accessGroup: { id: group, name: 'Hooked' },
    });
    expect(got[8]!.data).toEqual({ memberId: member, accessGroupId: group });
  });
});
