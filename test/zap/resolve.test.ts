import type { Bundle, ZObject } from 'zapier-platform-core';
import { SotionClient } from '../../src/http/client';
import { findMemberId, memberOrNothing, resolveMemberId } from '../../src/zap/resolve';
import {
  api,
  appTester,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';

const person = (n: number, email: string) => ({
  id: uuid(n),
  email,
  displayName: null,
  status: 'active',
  verified: true,
  paid: false,
  registeredAt: null,
  lastLoginAt: null,
  createdAt: null,
  updatedAt: null,
});

describe('member resolution', () => {
  it('an id costs no request', async () => {
    const id = await appTester(
      (z: ZObject, b: Bundle) => findMemberId(new SotionClient(z, b), { id: uuid(5) }),
      makeBundle({}),
    );
    expect(id).toBe(uuid(5));
  });

  it('an email costs one exact look-up, and only a member with that email counts', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'ada@example.com', limit: '1' })
      .reply(200, pageOf([person(1, 'ada@example.com')]), headers('m1'));
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'bob@example.com', limit: '1' })
      .reply(200, pageOf([person(2, 'bobby@example.com')]), headers('m2'));
    const found = await appTester(
      (z: ZObject, b: Bundle) => findMemberId(new SotionClient(z, b), { email: 'ada@example.com' }),
      makeBundle({}),
    );
    expect(found).toBe(uuid(1));
    const error = await rejection(
      appTester(
        (z: ZObject, b: Bundle) =>
          resolveMemberId(new SotionClient(z, b), { email: 'bob@example.com' }, 'Member'),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      'No member with the email bob@example.com (from Member) exists on this Sotion site. Check the email, or add the member first (Create Member).',
    );
    expect(JSON.parse(error.message)).toMatchObject({ code: 'member_not_found', status: 404 });
  });

  it('resolveMemberId returns the id it finds', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'ada@example.com', limit: '1' })
      .reply(200, pageOf([person(1, 'ada@example.com')]), headers('m1'));
    const id = await appTester(
      (z: ZObject, b: Bundle) =>
        resolveMemberId(new SotionClient(z, b), { email: 'ada@example.com' }, 'Member'),
      makeBundle({}),
    );
    expect(id).toBe(uuid(1));
  });

  it('memberOrNothing: the member, nothing for a 404, and any other failure as it is', async () => {
    const read = (n: number) => (z: ZObject, b: Bundle) =>
      memberOrNothing(new SotionClient(z, b), uuid(n));
    const member = { ...person(1, 'ada@example.com'), accessGroups: [] };
    api()
      .get(`${PREFIX}/members/${uuid(1)}`)
      .reply(200, { data: member }, headers('g1'));
    expect(await appTester(read(1), makeBundle({}))).toEqual(member);
    api()
      .get(`${PREFIX}/members/${uuid(2)}`)
      .reply(404, { error: 'Not found' }, headers('g2'));
    expect(await appTester(read(2), makeBundle({}))).toBeUndefined();
    api()
      .get(`${PREFIX}/members/${uuid(3)}`)
      .reply(403, { error: 'Forbidden' }, headers('g3'));
    const error = await rejection(appTester(read(3), makeBundle({})));
    expect(messageOf(error)).toContain('(X-Request-Id: req-g3)');
    expect(JSON.parse(error.message)).toMatchObject({ status: 403 });
  });
});
