import { createHmac } from 'node:crypto';
import { OTHER_KEY } from '../../sandbox/store';
import { demoSite, groupByName, http, useReceiver, useSandbox } from './harness';

/** Each documented rule of ../shared/reference/sotion-api-v1.md, checked against the sandbox. */
describe('Sotion API v1 contract (sandbox)', () => {
  const sandbox = useSandbox({
    allowLoopbackHttpWebhooks: true,
    webhookRetryDelaysMs: [50, 50, 50],
  });
  type Json = Record<string, unknown> & {
    data: Record<string, unknown> & Array<Record<string, unknown>>;
  };
  const json = (r: { json: unknown }) => r.json as Json;

  it('§1.2 auth: missing key → 401 with the documented body; keys are per site', async () => {
    const missing = await http(sandbox(), 'GET', '/site', undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ error: 'Missing API key. Pass Authorization: Bearer so_...' });
    const demo = json(await http(sandbox(), 'GET', '/site'));
    const other = json(await http(sandbox(), 'GET', '/site', undefined, OTHER_KEY));
    expect(demo.data.slug).toBe('demo-docs');
    expect(other.data.slug).toBe('other-site');
  });

  it('§1.5 every response has rate-limit headers and a uuid X-Request-Id', async () => {
    for (const r of [
      await http(sandbox(), 'GET', '/site'),
      await http(sandbox(), 'GET', '/nope'),
      await http(sandbox(), 'GET', '/site', undefined, 'so_bad'),
    ]) {
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(r.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
      expect(r.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('§1.6 cursor pagination: limit 1–100 (default 50), hasMore/nextCursor', async () => {
    const site = demoSite(sandbox());
    for (let i = 0; i < 120; i += 1)
      await http(sandbox(), 'POST', '/access-groups', { name: `Page ${i}` });
    const first = json(await http(sandbox(), 'GET', '/access-groups'));
    expect(first.data).toHaveLength(50);
    expect(first.pagination).toEqual({ hasMore: true, nextCursor: first.data[49]!.id });
    const seen = new Set<unknown>();
    let after: unknown = null;
    for (;;) {
      const page = json(
        await http(
          sandbox(),
          'GET',
          `/access-groups?limit=100${after ? `&after=${String(after)}` : ''}`,
        ),
      );
      page.data.forEach((g) => seen.add(g.id));
      const pagination = page.pagination as { hasMore: boolean; nextCursor: string | null };
      if (!pagination.hasMore) {
        expect(pagination.nextCursor).toBeNull();
        break;
      }
      after = pagination.nextCursor;
    }
    expect(seen.size).toBe(site.groups.length);
    expect((await http(sandbox(), 'GET', '/access-groups?limit=0')).status).toBe(400);
    expect((await http(sandbox(), 'GET', '/access-groups?limit=101')).status).toBe(400);
    expect((await http(sandbox(), 'GET', '/access-groups?after=not-a-uuid')).status).toBe(400);
  });

  it('§2.2 access groups: 1–100 char names, unique (409), scope read-only (403), 404, 204 delete', async () => {
    expect((await http(sandbox(), 'POST', '/access-groups', { name: '' })).status).toBe(400);
    expect(
      (await http(sandbox(), 'POST', '/access-groups', { name: 'x'.repeat(101) })).status,
    ).toBe(400);
    expect(
      (
        await http(sandbox(), 'POST', '/access-groups', {
          name: 'ok',
          description: 'd'.repeat(501),
        })
      ).status,
    ).toBe(400);
    const created = await http(sandbox(), 'POST', '/access-groups', { name: 'Contract Group' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(/\/api\/v1\/access-groups\/[0-9a-f-]{36}$/);
    expect(json(created).data).toMatchObject({
      name: 'Contract Group',
      type: 'custom',
      memberCount: 0,
      description: null,
    });
    expect(
      (await http(sandbox(), 'POST', '/access-groups', { name: 'Contract Group' })).status,
    ).toBe(409);
    const id = String(json(created).data.id);
    expect((await http(sandbox(), 'PATCH', `/access-groups/${id}`, {})).status).toBe(400);
    expect(
      json(await http(sandbox(), 'PATCH', `/access-groups/${id}`, { description: 'now described' }))
        .data.description,
    ).toBe('now described');
    const scope = groupByName(demoSite(sandbox()), 'Course Students');
    expect(
      (await http(sandbox(), 'PATCH', `/access-groups/${scope.id}`, { name: 'x' })).status,
    ).toBe(403);
    expect((await http(sandbox(), 'DELETE', `/access-groups/${scope.id}`)).status).toBe(403);
    const deleted = await http(sandbox(), 'DELETE', `/access-groups/${id}`);
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    expect((await http(sandbox(), 'GET', `/access-groups/${id}`)).status).toBe(404);
  });

  it('§2.3/§2.4 members: normalised email, 409 duplicates, atomic groups, group members, cascades', async () => {
    const site = demoSite(sandbox());
    const premium = groupByName(site, 'Premium Members');
    const scope = groupByName(site, 'Course Students');
    const created = await http(sandbox(), 'POST', '/members', {
      email: '  New.Person@Example.COM ',
      accessGroupIds: [premium.id],
    });
    expect(created.status).toBe(201);
    const member = json(created).data;
    expect(member).toMatchObject({
      email: 'new.person@example.com',
      status: 'active',
      verified: false,
      paid: false,
    });
    expect(member.accessGroups).toEqual([
      { id: premium.id, name: 'Premium Members', type: 'custom' },
    ]);
    expect(
      (await http(sandbox(), 'POST', '/members', { email: 'new.person@example.com' })).status,
    ).toBe(409);
    const before = site.members.length;
    expect(
      (
        await http(sandbox(), 'POST', '/members', {
          email: 'scoped@example.com',
          accessGroupIds: [scope.id],
        })
      ).status,
    ).toBe(403);
    expect(site.members.length).toBe(before);
    const list = json(await http(sandbox(), 'GET', '/members?email=NEW.PERSON@example.com'));
    expect(list.data.map((m) => m.email)).toEqual(['new.person@example.com']);
    expect(list.data[0]).not.toHaveProperty('accessGroups');
    expect(
      (
        await http(sandbox(), 'POST', `/access-groups/${premium.id}/members`, {
          memberId: member.id,
        })
      ).status,
    ).toBe(409);
    expect(
      (await http(sandbox(), 'POST', `/access-groups/${scope.id}/members`, { memberId: member.id }))
        .status,
    ).toBe(403);
    const groupMembers = json(await http(sandbox(), 'GET', `/access-groups/${premium.id}/members`));
    const listed = groupMembers.data.find((m) => m.id === member.id);
    expect(Object.keys(listed ?? {}).sort()).toEqual([
      'displayName',
      'email',
      'id',
      'lastLoginAt',
      'paid',
      'registeredAt',
      'status',
      'verified',
    ]);
    expect(
      (await http(sandbox(), 'PATCH', `/members/${String(member.id)}`, { status: 'blocked' }))
        .status,
    ).toBe(200);
    const removed = await http(sandbox(), 'DELETE', `/members/${String(member.id)}`);
    expect(removed.status).toBe(204);
    expect(site.memberships[premium.id]).not.toContain(member.id);
    expect((await http(sandbox(), 'GET', `/members/${String(member.id)}`)).status).toBe(404);
  });

  it('§2.4 bulk: 1–500 members, 207 with per-item results and a summary, not atomic', async () => {
    expect((await http(sandbox(), 'POST', '/members/bulk', { members: [] })).status).toBe(400);
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ email: `b${i}@example.com` }));
    expect((await http(sandbox(), 'POST', '/members/bulk', { members: tooMany })).status).toBe(400);
    const result = await http(sandbox(), 'POST', '/members/bulk', {
      members: [
        { email: 'Bulk1@Example.com' },
        { email: 'ada@example.com' },
        { email: 'not-an-email' },
        { email: 'bulk1@example.com' },
      ],
    });
    expect(result.status).toBe(207);
    expect(json(result).data.map((d) => d.status)).toEqual([
      'created',
      'conflict',
      'error',
      'conflict',
    ]);
    expect(json(result).summary).toEqual({ total: 4, created: 1, failed: 3 });
    expect((json(result).data[0]!.member as { email: string }).email).toBe('bulk1@example.com');
  });

  it('§2.4 login links: email by default, a 24 h url on request, 5 per member per minute', async () => {
    const ada = demoSite(sandbox()).members.find((m) => m.email === 'ada@example.com')!;
    const sent = await http(sandbox(), 'POST', `/members/${ada.id}/login-links`, {});
    expect(json(sent).data).toEqual({ memberId: ada.id, status: 'sent' });
    const link = json(
      await http(sandbox(), 'POST', `/members/${ada.id}/login-links`, { sendEmail: false }),
    ).data;
    expect(link).toMatchObject({
      memberId: ada.id,
      status: 'created',
      url: expect.stringMatching(/^https:\/\//),
    });
    expect(Date.parse(String(link.expiresAt)) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    for (let i = 0; i < 3; i += 1)
      await http(sandbox(), 'POST', `/members/${ada.id}/login-links`, {});
    expect((await http(sandbox(), 'POST', `/members/${ada.id}/login-links`, {})).status).toBe(429);
  });

  describe('§2.5 webhooks', () => {
    const receiver = useReceiver((n) => (n === 0 ? 500 : 200));
    const received = receiver.received;

    it('https only, at most 10 active, secret once, signed deliveries with retries, 404 on a second delete', async () => {
      expect(
        (
          await http(sandbox(), 'POST', '/webhooks', {
            url: 'http://example.com/hook',
            events: ['member.created'],
          })
        ).status,
      ).toBe(422);
      expect(
        (
          await http(sandbox(), 'POST', '/webhooks', {
            url: 'https://example.com/hook',
            events: [],
          })
        ).status,
      ).toBe(400);
      const url = receiver.url();
      const hook = json(
        await http(sandbox(), 'POST', '/webhooks', {
          url,
          events: ['member.created'],
          managedBy: 'zapier',
        }),
      ).data;
      expect(hook).toMatchObject({
        name: 'zapier: member.created',
        active: true,
        managedBy: 'zapier',
      });
      expect(String(hook.secretPrefix)).toBe(String(hook.secret).slice(0, 10));
      const fetched = json(await http(sandbox(), 'GET', `/webhooks/${String(hook.id)}`)).data;
      expect(fetched).not.toHaveProperty('secret');
      expect(
        json(await http(sandbox(), 'GET', '/webhooks?managedBy=zapier')).data.map((w) => w.id),
      ).toEqual([hook.id]);

      await http(sandbox(), 'POST', '/members', { email: 'hooked@example.com' });
      await receiver.until(2);
      expect(received).toHaveLength(2);
      const [first, second] = received;
      expect(second!.body).toBe(first!.body);
      const expected = `sha256=${createHmac('sha256', String(hook.secret)).update(first!.body).digest('hex')}`;
      expect(first!.headers['x-webhook-signature']).toBe(expected);
      expect(JSON.parse(first!.body)).toMatchObject({
        type: 'member.created',
        version: '1',
        data: { email: 'hooked@example.com' },
      });

      for (let i = 0; i < 9; i += 1) {
        expect(
          (
            await http(sandbox(), 'POST', '/webhooks', {
              url: 'https://example.com/h',
              events: ['access-group.created'],
            })
          ).status,
        ).toBe(201);
      }
      expect(
        (
          await http(sandbox(), 'POST', '/webhooks', {
            url: 'https://example.com/h',
            events: ['access-group.created'],
          })
        ).status,
      ).toBe(422);
      expect((await http(sandbox(), 'DELETE', `/webhooks/${String(hook.id)}`)).status).toBe(204);
      expect((await http(sandbox(), 'DELETE', `/webhooks/${String(hook.id)}`)).status).toBe(404);
    });
  });

  it('§1.7 rate limit: 429 when exceeded, with Retry-After or only the reset header', async () => {
    const { origin } = sandbox();
    const config = (body: unknown) =>
      fetch(`${origin}/__sandbox/config`, { method: 'POST', body: JSON.stringify(body) });
    await config({ faults: { throttleBurst: 1 } });
    const limited = await http(sandbox(), 'GET', '/site');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    await config({ behaviour: { throttle: 'reset-only' }, faults: { throttleBurst: 1 } });
    const resetOnly = await http(sandbox(), 'GET', '/site');
    expect([
      resetOnly.status,
      resetOnly.headers.get('retry-after'),
      resetOnly.headers.get('x-ratelimit-remaining'),
    ]).toEqual([429, null, '0']);
    await config({ behaviour: { throttle: 'retry-after' }, rateLimit: 2 });
    await http(sandbox(), 'GET', '/site');
    await http(sandbox(), 'GET', '/site');
    expect((await http(sandbox(), 'GET', '/site')).status).toBe(429);
    // A limit raised while running applies at once.
    await config({ rateLimit: 100_000 });
    expect((await http(sandbox(), 'GET', '/site')).status).toBe(200);
  });
});
