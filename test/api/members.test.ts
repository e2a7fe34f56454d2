import type { Bundle, ZObject } from 'zapier-platform-core';
import { addMemberToGroup, findMemberByEmail, getMember } from '../../src/api/members';
import { SotionClient } from '../../src/http/client';
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
import { fullMember, listedMember } from '../member-fixtures';

const G = uuid(7);
const run = <T>(call: (client: SotionClient) => Promise<T>) =>
  appTester((z: ZObject, bundle: Bundle) => call(new SotionClient(z, bundle)), makeBundle({}));

describe('findMemberByEmail', () => {
  it('asks for one member by the normalized email and returns the one with that email', async () => {
    const m = listedMember(1, { email: 'Ada@Example.com' });
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([m]), headers());
    expect(await run((client) => findMemberByEmail(client, '  ADA@example.COM '))).toEqual(m);
  });

  it('a member with another email (a filter Sotion did not apply exactly) is no match', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([listedMember(2)], 'more'), headers());
    expect(await run((client) => findMemberByEmail(client, 'ada@example.com'))).toBeUndefined();
    api()
      .get(`${PREFIX}/members`)
      .query({ limit: '1', email: 'ada@example.com' })
      .reply(200, pageOf([]), headers());
    expect(await run((client) => findMemberByEmail(client, 'ada@example.com'))).toBeUndefined();
  });
});

describe('getMember', () => {
  it('reads the member with its access groups', async () => {
    const m = fullMember(3, [1, 2]);
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: m }, headers());
    expect(await run((client) => getMember(client, m.id))).toEqual(m);
  });
});

describe('addMemberToGroup', () => {
  it('POSTs the member id to the group and returns the member when it was added', async () => {
    const m = fullMember(3, [7]);
    api()
      .matchHeader('content-type', 'application/json')
      .post(`${PREFIX}/access-groups/${G}/members`, { memberId: m.id })
      .reply(201, { data: m }, headers());
    expect(await run((client) => addMemberToGroup(client, G, m.id))).toEqual(m);
  });

  it('a 409 (already in the group) is success without a member', async () => {
    api()
      .post(`${PREFIX}/access-groups/${G}/members`, { memberId: uuid(3) })
      .reply(409, { error: 'already a member' }, headers());
    expect(await run((client) => addMemberToGroup(client, G, uuid(3)))).toBeUndefined();
  });

  it('a 404 is an error, not success', async () => {
    api()
      .post(`${PREFIX}/access-groups/${G}/members`, { memberId: uuid(3) })
      .reply(404, { error: 'Access group not found' }, headers('n1'));
    const error = await rejection(run((client) => addMemberToGroup(client, G, uuid(3))));
    expect(messageOf(error)).toMatch(
      /^Sotion could not find access group .*\(X-Request-Id: req-n1\)$/,
    );
  });
});
