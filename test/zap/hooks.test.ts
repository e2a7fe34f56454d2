import nock from 'nock';
import { SHAPES } from '../../src/zap/hook-output';
import { headerOf, signatureProblem } from '../../src/zap/hooks';
import { memberSample } from '../../src/zap/samples';
import {
  api,
  appTester,
  group,
  headers,
  KEY,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';
import {
  captureLogs,
  envelope,
  hookBundle,
  hookOp,
  member,
  SECRET,
  sign,
  SUB_ID,
  TARGET,
} from './hook-helpers';

const created = hookOp('member_created');
const added = hookOp('member_added_to_access_group');

/** GET /webhooks?managedBy=zapier: no subscription left over for the hook URL. */
const noStale = () =>
  api()
    .get(`${PREFIX}/webhooks`)
    .query({ managedBy: 'zapier', limit: '100' })
    .reply(200, pageOf([]), headers(1));

describe('performSubscribe', () => {
  const hook = (n: number, url: string, over: Record<string, unknown> = {}) => ({
    id: uuid(n),
    name: `zapier: member.created ${n}`,
    url,
    events: ['member.created'],
    active: true,
    secretPrefix: 'whsec_0123',
    managedBy: 'zapier',
    createdAt: '2026-05-01T00:00:00.000Z',
    updatedAt: null,
    ...over,
  });
  const subscribeBundle = (meta: Record<string, unknown> = { zap: { id: '4242' } }) =>
    ({ authData: { apiKey: KEY }, inputData: {}, meta, targetUrl: TARGET }) as never;

  it('removes a stale subscription for the same URL (every page), then posts the one event', async () => {
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(200, pageOf([hook(1, 'https://hooks.zapier.com/other/')], uuid(1)), headers(1));
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100', after: uuid(1) })
      .reply(200, pageOf([hook(2, TARGET)]), headers(2));
    api()
      .delete(`${PREFIX}/webhooks/${uuid(2)}`)
      .reply(204, '', headers(3));
    api()
      .post(`${PREFIX}/webhooks`, {
        url: TARGET,
        events: ['member.created'],
        managedBy: 'zapier',
        name: 'Zapier: Member Created trigger of Zap 4242',
      })
      .reply(201, { data: { ...hook(3, TARGET), secret: SECRET } }, headers(4));
    const result = await appTester(created.performSubscribe, subscribeBundle());
    expect(result).toEqual({ id: uuid(3), secret: SECRET });
  });

  it('takes an already deleted stale subscription (404) as gone, and names the trigger without a Zap id', async () => {
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(200, pageOf([hook(2, TARGET)]), headers(1));
    api()
      .delete(`${PREFIX}/webhooks/${uuid(2)}`)
      .reply(404, { error: 'Not found' }, headers(2));
    api()
      .post(`${PREFIX}/webhooks`, {
        url: TARGET,
        events: ['access-group.member.added'],
        managedBy: 'zapier',
        name: 'Zapier: Member Added to Access Group trigger',
      })
      .reply(201, { data: { ...hook(3, TARGET), secret: SECRET } }, headers(3));
    const result = await appTester(added.performSubscribe, subscribeBundle({}));
    expect(result.id).toBe(uuid(3));
  });

  it('refuses to subscribe without a hook URL', async () => {
    const error = await rejection(
      appTester(created.performSubscribe, {
        authData: { apiKey: KEY },
        inputData: {},
        meta: {},
      } as never),
    );
    expect(messageOf(error)).toBe(
      'Zapier gave no hook URL to subscribe with. Turn the Zap off and on again.',
    );
  });

  it('the cap: names the limit, the subscriptions holding it, and the polling triggers', async () => {
    noStale();
    api()
      .post(`${PREFIX}/webhooks`)
      .reply(
        422,
        { error: 'This site already has 10 active webhook subscriptions.' },
        headers('cap'),
      );
    const all = Array.from({ length: 10 }, (_, i) =>
      hook(10 + i, `https://x.example/${i}`, { name: `Hook ${i}`, active: i !== 3 }),
    );
    api().get(`${PREFIX}/webhooks`).query({ limit: '100' }).reply(200, pageOf(all), headers(2));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toBe(
      'Sotion allows at most 10 active webhook subscriptions per site, and this site has 9: ' +
        '"Hook 0", "Hook 1", "Hook 2", "Hook 4", "Hook 5", "Hook 6", "Hook 7", "Hook 8", "Hook 9". ' +
        'Turn off a Zap that uses an instant Sotion trigger (or delete an unused webhook in ' +
        'Sotion under Site settings → Integrations), or use the polling triggers New Member or ' +
        'New Access Group, which need no subscription. (X-Request-Id: req-cap)',
    );
  });

  it.each([400, 403, 409])(
    'the cap answered with %i and no words: counted from GET /webhooks',
    async (status) => {
      noStale();
      api().post(`${PREFIX}/webhooks`).reply(status, '', headers(2));
      api()
        .get(`${PREFIX}/webhooks`)
        .query({ limit: '100' })
        .reply(
          200,
          pageOf(Array.from({ length: 10 }, (_, i) => hook(10 + i, `https://x.example/${i}`))),
          headers(3),
        );
      const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
      expect(messageOf(error)).toMatch(/^Sotion allows at most 10 active webhook subscriptions/);
      expect(messageOf(error)).toMatch(/New Member or New Access Group/);
    },
  );

  it('another 4xx keeps the pipeline wording', async () => {
    noStale();
    api()
      .post(`${PREFIX}/webhooks`)
      .reply(422, { error: 'url must start with https://' }, headers('bad'));
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ limit: '100' })
      .reply(200, pageOf([hook(1, 'https://x.example/')]), headers(3));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toBe(
      'Sotion rejected the request while creating a webhook subscription (HTTP 422). Check the ' +
        'values in this step\'s fields. Sotion said: "url must start with https://". ' +
        '(X-Request-Id: req-bad)',
    );
  });

  it('a 500 is not taken for the cap: no list request, the server error as it was', async () => {
    noStale();
    api().post(`${PREFIX}/webhooks`).reply(500, { error: 'boom' }, headers('five'));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toMatch(/HTTP 500/);
    expect(messageOf(error)).toMatch(/\(X-Request-Id: req-five\)$/);
    expect(nock.isDone()).toBe(true);
  });

  it('a 401 is not taken for the cap (no extra request)', async () => {
    noStale();
    api().post(`${PREFIX}/webhooks`).reply(401, { error: 'Invalid API key.' }, headers(2));
    const error = await rejection(appTester(created.performSubscribe, subscribeBundle()));
    expect(messageOf(error)).toMatch(/no longer accepts the API key/);
  });

  it('the signing secret is kept in subscribeData but never printed in the logs', async () => {
    noStale();
    api()
      .post(`${PREFIX}/webhooks`)
      .reply(201, { data: { ...hook(3, TARGET), secret: SECRET } }, headers(2));
    const { lines, result } = await captureLogs(() =>
      appTester(created.performSubscribe, subscribeBundle()),
    );
    expect(result).toEqual({ id: uuid(3), secret: SECRET });
    expect(lines).toMatch(/POST https:\/\/api\.sotion\.so\/api\/v1\/webhooks/);
    expect(lines).toMatch(/201/);
    expect(lines).not.toContain(SECRET);
    expect(lines).not.toContain(SECRET.slice(6));
  });
});

describe('performUnsubscribe', () => {
  const bundle = (subscribeData: Record<string, unknown> | undefined) =>
    ({
      authData: { apiKey: KEY },
      inputData: {},
      meta: {},
      targetUrl: TARGET,
      subscribeData,
    }) as never;

  it('deletes the subscription', async () => {
    api().delete(`${PREFIX}/webhooks/${SUB_ID}`).reply(204, '', headers(1));
    expect(
      await appTester(created.performUnsubscribe, bundle({ id: SUB_ID, secret: SECRET })),
    ).toEqual({
      id: SUB_ID,
      deleted: true,
    });
  });

  it('takes 404 as already gone', async () => {
    api().delete(`${PREFIX}/webhooks/${SUB_ID}`).reply(404, { error: 'Not found' }, headers(1));
    expect(await appTester(created.performUnsubscribe, bundle({ id: SUB_ID }))).toEqual({
      id: SUB_ID,
      deleted: false,
    });
  });

  it('without a kept id, removes what Sotion holds for the hook URL', async () => {
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(
        200,
        pageOf([
          { id: uuid(6), name: 'odd', url: 'not a url', events: [], active: true },
          {
            id: uuid(5),
            name: 'n',
            url: TARGET,
            events: ['member.created'],
            active: true,
            managedBy: 'zapier',
          },
        ]),
        headers(1),
      );
    api()
      .delete(`${PREFIX}/webhooks/${uuid(5)}`)
      .reply(204, '', headers(2));
    expect(await appTester(created.performUnsubscribe, bundle(undefined))).toEqual({
      id: null,
      deleted: true,
    });
  });
});

describe('deliveries', () => {
  const data = member(3);
  const raw = envelope('member.created', data);

  it('a signed delivery gives one item: the member flattened, plus the event fields', async () => {
    const result = await appTester(created.perform, hookBundle(raw), true);
    const { id: _id, ...rest } = data;
    expect(result).toEqual([
      {
        ...rest,
        memberId: data.id,
        accessGroupIds: [uuid(7)],
        accessGroupNames: ['Group 7'],
        id: uuid(500),
        eventType: 'member.created',
        occurredAt: '2026-05-07T10:00:00.000Z',
      },
    ]);
    expect(Object.keys(result[0] ?? {}).sort()).toEqual(Object.keys(created.sample).sort());
  });

  it.each([
    'Http-X-Webhook-Signature',
    'HTTP-X-WEBHOOK-SIGNATURE',
    'http-x-webhook-signature',
    'X-Webhook-Signature',
    'x-webhook-signature',
  ])('finds the signature in header %s', async (name) => {
    const result = await appTester(created.perform, hookBundle(raw, { [name]: sign(raw) }), true);
    expect(result).toHaveLength(1);
  });

  it('reads the header helpers directly', () => {
    expect(headerOf({ 'Http-X-Webhook-Signature': ['sha256=ab'] }, 'X-Webhook-Signature')).toBe(
      'sha256=ab',
    );
    expect(headerOf({ 'X-Other': 'x' }, 'X-Webhook-Signature')).toBeUndefined();
    expect(headerOf(undefined, 'X-Webhook-Signature')).toBeUndefined();
    expect(
      signatureProblem(raw, sign(raw).toUpperCase().replace('SHA256', 'sha256'), SECRET),
    ).toBeUndefined();
    // The first string value of the header wins; other values are skipped.
    expect(
      headerOf(
        { 'X-Webhook-Signature': 5, 'Http-X-Webhook-Signature': 'sha256=ab' },
        'x-webhook-signature',
      ),
    ).toBe('sha256=ab');
    // Whitespace around the value is fine; anything else around it is not.
    expect(signatureProblem(raw, `  ${sign(raw)}  `, SECRET)).toBeUndefined();
    for (const header of [`x${sign(raw)}`, `${sign(raw)}zz`, `${sign(raw)} x`]) {
      expect(signatureProblem(raw, header, SECRET)).toBe(
        'the X-Webhook-Signature header is not of the form sha256=<hex>',
      );
    }
  });

  it.each([
    ['unsigned', {}, 'the delivery is not signed (no X-Webhook-Signature header)'],
    [
      'signed with another secret',
      { 'Http-X-Webhook-Signature': sign(raw, 'whsec_other') },
      'the signature does not match the body (signed with another secret, or altered)',
    ],
    [
      'a signature of another body',
      { 'Http-X-Webhook-Signature': sign(raw.replace('m3@', 'evil@')) },
      'the signature does not match the body (signed with another secret, or altered)',
    ],
    [
      'a truncated signature',
      { 'Http-X-Webhook-Signature': sign(raw).slice(0, 40) },
      'the signature does not match the body (signed with another secret, or altered)',
    ],
    [
      'another scheme',
      { 'Http-X-Webhook-Signature': `md5=${'0'.repeat(32)}` },
      'the X-Webhook-Signature header is not of the form sha256=<hex>',
    ],
  ])('%s: no run, and the log says why without the payload', async (_name, h, why) => {
    const { lines, result } = await captureLogs(() =>
      appTester(created.perform, hookBundle(raw, h as Record<string, string>), true),
    );
    expect(result).toEqual([]);
    expect(lines).toContain(`Sotion delivery for member_created ignored, no Zap run: ${why}.`);
    expect(lines).not.toContain(data.email);
    expect(lines).not.toContain(SECRET);
  });

  it('an altered body with the original signature starts no run', async () => {
    const altered = raw.replace('m3@example.com', 'evil@example.com');
    const result = await appTester(
      created.perform,
      hookBundle(altered, { 'Http-X-Webhook-Signature': sign(raw) }),
      true,
    );
    expect(result).toEqual([]);
  });

  it('no secret kept, no raw body, or a body that is not an event: no run', async () => {
    expect(
      await appTester(created.perform, hookBundle(raw, undefined, { id: SUB_ID }), true),
    ).toEqual([]);
    const noBody = { ...hookBundle(raw), rawRequest: { headers: {} } } as never;
    expect(await appTester(created.perform, noBody, true)).toEqual([]);
    for (const body of ['not json', '[1]', JSON.stringify({ type: 'member.created' })]) {
      expect(await appTester(created.perform, hookBundle(body), true)).toEqual([]);
    }
  });

  it('another event type starts no run', async () => {
    const other = envelope('member.updated', data);
    const { lines, result } = await captureLogs(() =>
      appTester(created.perform, hookBundle(other), true),
    );
    expect(result).toEqual([]);
    expect(lines).toContain(`event ${uuid(500)} is "member.updated", not "member.created"`);
  });

  it('a retried event (same id) starts no second run; the same event for another Zap does', async () => {
    expect(await appTester(created.perform, hookBundle(raw), true)).toHaveLength(1);
    expect(await appTester(created.perform, hookBundle(raw))).toEqual([]);
    const otherZap = hookBundle(raw, undefined, { id: uuid(901), secret: SECRET });
    expect(await appTester(created.perform, otherZap)).toHaveLength(1);
    const next = envelope('member.created', data, uuid(501));
    expect(await appTester(created.perform, hookBundle(next))).toHaveLength(1);
  });

  it('a run that fails is not remembered: the retry runs', async () => {
    const slim = envelope('member.created', { id: uuid(3) });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(403, { error: 'Plan expired' }, headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(2));
    const error = await rejection(appTester(created.perform, hookBundle(slim), true));
    expect(messageOf(error)).toMatch(/Sotion refused access to member .*Plan expired/);
    expect(messageOf(error)).not.toContain(SECRET);
    expect(await appTester(created.perform, hookBundle(slim))).toHaveLength(1);
  });

  it('set-if-absent: a concurrent run that claimed the event first wins', async () => {
    const z = {
      cache: {
        get: jest.fn(async () => null),
        set: jest.fn(async () => false),
      },
    };
    const result = await appTester(
      async (realZ, bundle) =>
        created.perform({ ...realZ, cache: z.cache } as never, bundle as never),
      hookBundle(raw),
      true,
    );
    expect(result).toEqual([]);
    expect(z.cache.set).toHaveBeenCalledWith(
      `sotion:hook:${SUB_ID}:${uuid(500)}`,
      1,
      259200,
      undefined,
      true,
    );
  });

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

  it('member.deleted and access-group.deleted keep the ids under memberId / accessGroupId', async () => {
    const m = envelope('member.deleted', { id: uuid(3), email: 'm3@example.com' });
    expect(await appTester(hookOp('member_deleted').perform, hookBundle(m), true)).toEqual([
      {
        id: uuid(500),
        eventType: 'member.deleted',
        occurredAt: '2026-05-07T10:00:00.000Z',
        memberId: uuid(3),
        email: 'm3@example.com',
      },
    ]);
    const g = envelope('access-group.deleted', { id: uuid(7), name: 'Group 7', extra: 1 });
    expect(await appTester(hookOp('access_group_deleted').perform, hookBundle(g), true)).toEqual([
      {
        id: uuid(500),
        eventType: 'access-group.deleted',
        occurredAt: '2026-05-07T10:00:00.000Z',
        accessGroupId: uuid(7),
        name: 'Group 7',
        extra: 1,
      },
    ]);
    const bare = envelope('member.deleted', {});
    const [item] = await appTester(hookOp('member_deleted').perform, hookBundle(bare), true);
    expect(item).toMatchObject({ memberId: null, email: null });
  });

  it('a group event: the group flattened; a slim one fetched', async () => {
    const g = group(7, { name: 'Premium' });
    const full = envelope('access-group.updated', g);
    const [item] = await appTester(hookOp('access_group_updated').perform, hookBundle(full), true);
    const { id: _id, ...rest } = g;
    expect(item).toEqual({
      ...rest,
      accessGroupId: g.id,
      id: uuid(500),
      eventType: 'access-group.updated',
      occurredAt: '2026-05-07T10:00:00.000Z',
    });
    const slim = envelope('access-group.created', { accessGroupId: g.id }, uuid(502));
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(200, { data: g }, headers(1));
    const [fetched] = await appTester(hookOp('access_group_created').perform, hookBundle(slim));
    expect(fetched).toMatchObject({ accessGroupId: g.id, name: 'Premium', memberCount: 0 });
    const gone = envelope('access-group.created', { id: g.id }, uuid(503));
    api().get(`${PREFIX}/access-groups/${g.id}`).reply(404, { error: 'Not found' }, headers(2));
    const [kept] = await appTester(hookOp('access_group_created').perform, hookBundle(gone));
    expect(kept).toMatchObject({ accessGroupId: g.id, name: null });
  });

  describe('membership events', () => {
    const g = group(7, { name: 'Group 7', memberCount: 1 });
    const expected = {
      id: uuid(500),
      eventType: 'access-group.member.added',
      occurredAt: '2026-05-07T10:00:00.000Z',
      memberId: uuid(3),
      email: 'm3@example.com',
      accessGroupIds: [uuid(7)],
      accessGroupId: uuid(7),
      accessGroupName: 'Group 7',
      accessGroupType: 'custom',
      accessGroupMemberCount: 1,
    };

    it('objects payload: both member and group, no request', async () => {
      const raw = envelope('access-group.member.added', {
        memberId: uuid(3),
        accessGroupId: uuid(7),
        member: member(3),
        accessGroup: g,
      });
      const [item] = await appTester(added.perform, hookBundle(raw), true);
      expect(item).toMatchObject(expected);
      expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(added.sample).sort());
    });

    it('ids payload: the member and the group fetched, one request each', async () => {
      const raw = envelope('access-group.member.added', {
        memberId: uuid(3),
        accessGroupId: uuid(7),
      });
      api()
        .get(`${PREFIX}/members/${uuid(3)}`)
        .reply(200, { data: member(3) }, headers(1));
      api()
        .get(`${PREFIX}/access-groups/${uuid(7)}`)
        .reply(200, { data: g }, headers(2));
      const [item] = await appTester(added.perform, hookBundle(raw), true);
      expect(item).toMatchObject(expected);
      expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(added.sample).sort());
    });

    it('the group filter: another group starts no run; a chosen one does', async () => {
      const raw = envelope('access-group.member.added', {
        memberId: uuid(3),
        accessGroupId: uuid(7),
        member: member(3),
        accessGroup: g,
      });
      const other = hookBundle(raw, undefined, undefined, { access_group_ids: [uuid(8)] });
      expect(await appTester(added.perform, other, true)).toEqual([]);
      const chosen = hookBundle(raw, undefined, undefined, {
        access_group_ids: `${uuid(8)}, ${uuid(7).toUpperCase()}`,
      });
      expect(await appTester(added.perform, chosen, true)).toHaveLength(1);
    });
  });
});

describe('performList', () => {
  const listBundle = (inputData: Record<string, unknown> = {}) =>
    ({ authData: { apiKey: KEY }, inputData, meta: {} }) as never;
  const keysOf = (items: Array<Record<string, unknown>>) =>
    items.map((item) => Object.keys(item).sort());

  it('member triggers: the newest members with their groups, shaped like a delivery', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3), member(2)]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(2));
    api()
      .get(`${PREFIX}/members/${uuid(2)}`)
      .reply(200, { data: member(2, { lastLoginAt: '2026-05-05T00:00:00.000Z' }) }, headers(3));
    const op = hookOp('member_logged_in_or_out');
    const items = await appTester(op.performList, listBundle());
    expect(items.map((i) => [i.memberId, i.eventType, i.occurredAt])).toEqual([
      [uuid(3), 'member.auth', '2026-05-02T00:00:00.000Z'],
      [uuid(2), 'member.auth', '2026-05-05T00:00:00.000Z'],
    ]);
    expect(keysOf(items)).toEqual([Object.keys(op.sample).sort(), Object.keys(op.sample).sort()]);
  });

  it('member deleted: recent members as id and email', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3)]), headers(1));
    const op = hookOp('member_deleted');
    const items = await appTester(op.performList, listBundle());
    expect(items).toEqual([
      {
        id: uuid(3),
        eventType: 'member.deleted',
        occurredAt: '2026-05-02T00:00:00.000Z',
        memberId: uuid(3),
        email: 'm3@example.com',
      },
    ]);
    expect(keysOf(items)).toEqual([Object.keys(op.sample).sort()]);
  });

  it.each(['access_group_created', 'access_group_deleted'])(
    '%s: the newest groups',
    async (key) => {
      api()
        .get(`${PREFIX}/access-groups`)
        .query({ limit: '100' })
        .reply(200, pageOf([group(1), group(2)]), headers(1));
      const op = hookOp(key);
      const items = await appTester(op.performList, listBundle());
      expect(items.map((i) => i.accessGroupId)).toEqual([uuid(2), uuid(1)]);
      expect(keysOf(items)).toEqual([Object.keys(op.sample).sort(), Object.keys(op.sample).sort()]);
    },
  );

  it('membership: newest members, each with its first group', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3), member(2)]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3) }, headers(2));
    api()
      .get(`${PREFIX}/members/${uuid(2)}`)
      .reply(200, { data: member(2, { accessGroups: [] }) }, headers(3));
    api()
      .get(`${PREFIX}/access-groups/${uuid(7)}`)
      .reply(200, { data: group(7) }, headers(4));
    const items = await appTester(added.performList, listBundle());
    expect(items.map((i) => [i.id, i.memberId, i.accessGroupId, i.accessGroupName])).toEqual([
      [`${uuid(3)}:${uuid(7)}`, uuid(3), uuid(7), 'Group 7'],
    ]);
    expect(keysOf(items)).toEqual([Object.keys(added.sample).sort()]);
  });

  it('membership with the group filter: members of the chosen groups', async () => {
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([{ ...member(4), createdAt: undefined }]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(4)}`)
      .reply(200, { data: member(4, { accessGroups: [] }) }, headers(2));
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}`)
      .reply(200, { data: group(8) }, headers(3));
    const items = await appTester(added.performList, listBundle({ access_group_ids: [uuid(8)] }));
    expect(items.map((i) => [i.memberId, i.accessGroupId])).toEqual([[uuid(4), uuid(8)]]);
  });
});

describe('samples', () => {
  it('every shape has a sample with exactly its output fields', () => {
    for (const [shape, { sample, outputFields }] of Object.entries(SHAPES)) {
      const keys = new Set(outputFields.map((f) => f.key.split('[]')[0]));
      expect([shape, Object.keys(sample('x')).sort()]).toEqual([shape, [...keys].sort()]);
    }
    expect(SHAPES.member.sample('member.created')).toMatchObject({
      memberId: memberSample.id,
      eventType: 'member.created',
    });
  });
});

describe('lenient edges', () => {
  const bare = (inputData: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    ({ authData: { apiKey: KEY }, inputData, meta: {}, ...extra }) as never;

  it('the cap said in words with no active subscription listed, and no request id', async () => {
    noStale();
    api().post(`${PREFIX}/webhooks`).reply(422, { error: 'Webhook limit reached' });
    api().get(`${PREFIX}/webhooks`).query({ limit: '100' }).reply(200, pageOf([]), headers(2));
    const error = await rejection(
      appTester(created.performSubscribe, bare({}, { targetUrl: TARGET })),
    );
    expect(messageOf(error)).toMatch(
      /and this site has 0: none listed\. .*which need no subscription\.$/,
    );
  });

  it('unsubscribe with neither a kept id nor a hook URL does nothing', async () => {
    expect(
      await appTester(created.performUnsubscribe, bare({}, { subscribeData: { id: 5 } })),
    ).toEqual({ id: null, deleted: false });
  });

  it('an envelope without timestamp or data object; a member without any id', async () => {
    const raw = JSON.stringify({ id: 'e1', type: 'member.updated', data: 'text' });
    const [item] = await appTester(hookOp('member_updated').perform, hookBundle(raw), true);
    expect(item).toMatchObject({ id: 'e1', occurredAt: null, memberId: null, email: null });
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

  it('a group nested under accessGroup; a deleted group without fields; no group id at all', async () => {
    const nested = envelope('access-group.updated', { accessGroup: group(7), note: 'x' });
    const [item] = await appTester(
      hookOp('access_group_updated').perform,
      hookBundle(nested),
      true,
    );
    expect(item).toMatchObject({ accessGroupId: uuid(7), name: 'Group 7', note: 'x' });
    const empty = envelope('access-group.deleted', {});
    const [gone] = await appTester(hookOp('access_group_deleted').perform, hookBundle(empty), true);
    expect(gone).toMatchObject({ accessGroupId: null, name: null });
    const none = envelope('access-group.created', { description: 'd' });
    const [noId] = await appTester(hookOp('access_group_created').perform, hookBundle(none), true);
    expect(noId).toMatchObject({ accessGroupId: null, name: null, description: 'd' });
  });

  it('dedupe without a subscription id falls back to the hook URL, then to a fixed key', async () => {
    const raw = envelope('member.created', member(3));
    const noId = hookBundle(raw, undefined, { secret: SECRET });
    expect(await appTester(created.perform, noId, true)).toHaveLength(1);
    expect(await appTester(created.perform, noId)).toEqual([]);
    const noUrl = { ...(noId as object), targetUrl: undefined } as never;
    expect(await appTester(created.perform, noUrl)).toHaveLength(1);
  });

  it('set-if-absent: a key that appeared between the check and the claim is a retry', async () => {
    const get = jest.fn().mockResolvedValueOnce(null).mockResolvedValueOnce(1);
    const set = jest.fn(async () => true);
    const result = await appTester(
      async (realZ, bundle) =>
        created.perform({ ...realZ, cache: { get, set } } as never, bundle as never),
      hookBundle(envelope('member.created', member(3))),
      true,
    );
    expect(result).toEqual([]);
    expect(set).not.toHaveBeenCalled();
  });

  it('performList: member created uses updatedAt; objects without timestamps; members without groups', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(3)]), headers(1));
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(200, { data: member(3, { updatedAt: null, createdAt: null }) }, headers(2));
    const [item] = await appTester(created.performList, bare());
    expect(item).toMatchObject({ memberId: uuid(3), occurredAt: null });

    const groups = [uuid(8), uuid(9)];
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}/members`)
      .query({ limit: '3' })
      .reply(200, pageOf([member(4), member(5), member(6)]), headers(3));
    for (const n of [4, 5, 6]) {
      api()
        .get(`${PREFIX}/members/${uuid(n)}`)
        .reply(200, { data: member(n, { accessGroups: [] }) }, headers(n));
    }
    api()
      .get(`${PREFIX}/access-groups/${uuid(8)}`)
      .reply(200, { data: group(8) }, headers(9));
    const items = await appTester(added.performList, bare({ access_group_ids: groups }));
    expect(items.map((i) => i.memberId)).toEqual([uuid(4), uuid(5), uuid(6)]);
  });
});
