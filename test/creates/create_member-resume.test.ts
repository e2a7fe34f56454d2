import nock from 'nock';
import { errors } from 'zapier-platform-core';
import { perform } from '../../creates/create_member';
import { api, appTester, group, headers, makeBundle, pageOf, PREFIX, rejection } from '../helpers';
import { memberOutput } from '../../src/zap/samples';
import { fullMember, listedMember, NAMELESS_FIXED_TIME } from '../member-fixtures';
import { useFastClock } from '../fast-clock';

// The Retry-After a replay waits for, and the login links' pacing, are waited out on a clock that
// skips the waiting (test/fast-clock.ts): the same waits, at the same moments on the clock.
useFastClock();

const gold = group(1);
const email = 'member12@example.com';
const input = { email, paid: 'true', access_group_ids: [gold.id], if_email_exists: 'update' };

/**
 * Issue 17 §1: a returning buyer's try that goes back to Zapier in the middle of its update
 * (its turn on the site's rate limit comes later) goes on from what it confirmed: the next try
 * sends neither the create nor the look-up again.
 */
describe('create_member: a try that went back to Zapier goes on from what it confirmed', () => {
  beforeEach(() => {
    process.env.SOTION_RUN_BUDGET_MS = '2000';
  });
  afterEach(() => {
    delete process.env.SOTION_RUN_BUDGET_MS;
    nock.cleanAll();
  });

  it('the create and the look-up are not sent again; the update and the group add are', async () => {
    const existing = listedMember(12, { ...NAMELESS_FIXED_TIME, paid: false });
    const soon = String(Math.ceil(Date.now() / 1000) + 2);
    api().post(`${PREFIX}/members`).reply(409, { error: 'exists' }, headers('c1'));
    api()
      .get(`${PREFIX}/members`)
      .query({ email, limit: '1' })
      .reply(200, pageOf([existing]), headers('g1'));
    // Other runs used up the window: the update has to wait beyond this try's time.
    api()
      .patch(`${PREFIX}/members/${existing.id}`, { paid: true })
      .reply(
        429,
        { error: 'Too many requests.' },
        headers('p1', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': soon }),
      );
    const first = await rejection(appTester(perform, makeBundle(input)));
    expect(first).toBeInstanceOf(errors.ThrottledError);
    expect(nock.pendingMocks()).toEqual([]);

    // Zapier runs the step again after the delay it asked for (whole seconds, so the try comes
    // back up to a second early and waits; a try of the usual length has the time for the rest).
    await new Promise((resolve) => setTimeout(resolve, JSON.parse(first.message).delay * 1000));
    process.env.SOTION_RUN_BUDGET_MS = '10000';
    const paid = fullMember(12, [], { ...NAMELESS_FIXED_TIME, paid: true });
    const done = fullMember(12, [1], { ...NAMELESS_FIXED_TIME, paid: true });
    api()
      .patch(`${PREFIX}/members/${existing.id}`, { paid: true })
      .reply(200, { data: paid }, headers('p2'));
    api()
      .post(`${PREFIX}/access-groups/${gold.id}/members`, { memberId: existing.id })
      .reply(201, { data: done }, headers('a2'));
    const result = await appTester(perform, makeBundle(input));
    expect(result).toEqual({
      ...memberOutput(done),
      alreadyExisted: true,
      updated: true,
      groupsAdded: [gold.id],
      groupsAddedNames: [gold.name],
      loginLinkSent: false,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('after a 409, a try that went back goes on with the look-up: the create is not sent again', async () => {
    const existing = listedMember(12, { ...NAMELESS_FIXED_TIME, paid: false });
    const soon = String(Math.ceil(Date.now() / 1000) + 2);
    api().post(`${PREFIX}/members`).reply(409, { error: 'exists' }, headers('c1'));
    // Other runs used up the window: the look-up has to wait beyond this try's time.
    api()
      .get(`${PREFIX}/members`)
      .query({ email, limit: '1' })
      .reply(
        429,
        { error: 'Too many requests.' },
        headers('g1', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': soon }),
      );
    const first = await rejection(appTester(perform, makeBundle(input)));
    expect(first).toBeInstanceOf(errors.ThrottledError);
    expect(nock.pendingMocks()).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, JSON.parse(first.message).delay * 1000));
    process.env.SOTION_RUN_BUDGET_MS = '10000';
    const done = fullMember(12, [1], { ...NAMELESS_FIXED_TIME, paid: true });
    api()
      .get(`${PREFIX}/members`)
      .query({ email, limit: '1' })
      .reply(200, pageOf([existing]), headers('g2'));
    api()
      .patch(`${PREFIX}/members/${existing.id}`, { paid: true })
      .reply(
        200,
        { data: fullMember(12, [], { ...NAMELESS_FIXED_TIME, paid: true }) },
        headers('p2'),
      );
    api()
      .post(`${PREFIX}/access-groups/${gold.id}/members`, { memberId: existing.id })
      .reply(201, { data: done }, headers('a2'));
    const result = await appTester(perform, makeBundle(input));
    expect(result).toEqual({
      ...memberOutput(done),
      alreadyExisted: true,
      updated: true,
      groupsAdded: [gold.id],
      groupsAddedNames: [gold.name],
      loginLinkSent: false,
    });
    // No second POST /members: nock would have refused it (no interceptor left for it).
    expect(nock.pendingMocks()).toEqual([]);
  });
});
