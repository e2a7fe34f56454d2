import nock from 'nock';
import { headerOf, signatureProblem } from '../../../src/zap/hooks/delivery';
import { api, appTester, group, headers, messageOf, PREFIX, rejection, uuid } from '../../helpers';
import { captureLogs, envelope, hookBundle, hookOp, member, SECRET, sign, SUB_ID } from './helpers';

/** Signature, event type, dedupe and filter of a delivery (src/zap/hooks/delivery.ts). */

const created = hookOp('member_created');
const added = hookOp('member_added_to_access_group');

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
        detailsComplete: true,
        detailsMissingReason: null,
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
});

describe('dedupe edges', () => {
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
});

describe('retried deliveries', () => {
  it('a retry of a slim delivery sends no request: only the first delivery fetches the member', async () => {
    const raw = envelope('member.updated', { id: uuid(3) });
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .once()
      .reply(200, { data: member(3) }, headers(1));
    const first = await appTester(hookOp('member_updated').perform, hookBundle(raw), true);
    expect(first).toHaveLength(1);
    expect(nock.pendingMocks()).toEqual([]);
    const { lines, result } = await captureLogs(() =>
      appTester(hookOp('member_updated').perform, hookBundle(raw)),
    );
    expect(result).toEqual([]);
    expect(lines).toContain(
      `Sotion delivery for member_updated ignored, no Zap run: event ${uuid(500)} was already ` +
        'delivered (a retry).',
    );
    expect(lines).not.toMatch(/GET https:\/\/api\.sotion\.so/);
  });
});

describe('the group filter of membership triggers', () => {
  const G = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';
  const added = hookOp('member_added_to_access_group');
  const delivery = (groupId: string) =>
    envelope('access-group.member.added', {
      memberId: uuid(3),
      accessGroupId: groupId,
      member: member(3),
      accessGroup: group(7, { id: groupId }),
    });

  it('matches a chosen group whose id has letters, in the case Sotion sends or another', async () => {
    const chosen = { access_group_ids: [G] };
    const lower = hookBundle(delivery(G), undefined, undefined, chosen);
    const [item] = await appTester(added.perform, lower, true);
    expect(item).toMatchObject({ memberId: uuid(3), accessGroupId: G });
    const upper = hookBundle(delivery(G.toUpperCase()), undefined, undefined, chosen);
    const [again] = await appTester(added.perform, upper, true);
    expect(again).toMatchObject({ memberId: uuid(3), accessGroupId: G.toUpperCase() });
  });
});

describe('the group filter, with both objects in the delivery', () => {
  const g = group(7, { name: 'Group 7', memberCount: 1 });

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
