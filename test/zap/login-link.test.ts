import type { Bundle, ZObject } from 'zapier-platform-core';
import { SotionClient } from '../../src/http/client';
import { errorInfo } from '../../src/http/errors';
import type { MemberRef } from '../../src/zap/fields';
import { loginLinkStep, requestLoginLink } from '../../src/zap/login-link';
import {
  api,
  appTester,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { listedMember } from '../member-fixtures';
import { useFastClock } from '../fast-clock';

// The login-link lane (a link every 1.2 s), back-off and Retry-After waits run on a clock that
// skips the waiting.
useFastClock();

const m = listedMember(4);
const sent = { memberId: m.id, status: 'sent' };
const HINT = 'Replaying the step sends another email.';

const request = (ref: MemberRef, sendEmail: boolean) => (z: ZObject, bundle: Bundle) =>
  requestLoginLink(new SotionClient(z, bundle), m.id, {
    sendEmail,
    ref,
    label: 'Member',
    lostAnswerHint: HINT,
  });

describe('requestLoginLink', () => {
  it('POSTs the member’s login link with sendEmail as asked, and returns the link', async () => {
    api()
      .matchHeader('content-type', 'application/json')
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: true })
      .reply(201, { data: sent }, headers('l1'));
    expect(await appTester(request({ id: m.id }, true), makeBundle({}))).toEqual(sent);
    const link = {
      memberId: m.id,
      status: 'created',
      url: 'https://docs.example.com/_auth?token=t',
      expiresAt: null,
    };
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: false })
      .reply(201, { data: link }, headers('l2'));
    expect(await appTester(request({ id: m.id }, false), makeBundle({}))).toEqual(link);
  });

  it('a 404 names the member as the step was given it, with the request id', async () => {
    api().post(`${PREFIX}/members/${m.id}/login-links`).reply(404, '', headers('n1'));
    const error = await rejection(appTester(request({ email: m.email }, true), makeBundle({})));
    expect(messageOf(error)).toBe(
      `No member with the email ${m.email} (from Member) exists on this Sotion site. It may have been deleted; check the member. (X-Request-Id: req-n1)`,
    );
    expect(JSON.parse(error.message).code).toBe('member_not_found');
  });

  it('other errors are not taken for "not found", and a lost answer says what a replay does', async () => {
    api().post(`${PREFIX}/members/${m.id}/login-links`).reply(422, { error: 'bad' }, headers('v1'));
    const refused = await rejection(appTester(request({ id: m.id }, true), makeBundle({})));
    expect(errorInfo(refused)?.status).toBe(422);
    expect(messageOf(refused)).toMatch(/^Sotion rejected the request while creating a login link/);
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const lost = await rejection(appTester(request({ id: m.id }, true), makeBundle({})));
    expect(messageOf(lost)).toBe(
      `Sotion could not be reached (ECONNRESET) while creating a login link for member ${m.id}. The change may or may not have been made. ${HINT}`,
    );
  });
});

describe('loginLinkStep', () => {
  const step = loginLinkStep({
    sendEmail: true,
    helpText: 'The member. Example: `ada@example.com`.',
    lostAnswerHint: HINT,
    output: (_z, located, link) => ({ located, link }),
  });

  it('has the one Member field, with the help text the step gives', () => {
    expect(step.inputFields).toEqual([
      expect.objectContaining({
        key: 'member',
        label: 'Member',
        required: true,
        helpText: 'The member. Example: `ada@example.com`.',
      }),
    ]);
  });

  it('looks a member up by email, then requests the link; the step makes the output of both', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([m]), headers());
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: true })
      .reply(201, { data: sent }, headers());
    expect(await appTester(step.perform, makeBundle({ member: m.email }))).toEqual({
      located: { id: m.id, email: m.email, record: m },
      link: sent,
    });
  });

  it('by id, sends the request straight away', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: true })
      .reply(201, { data: sent }, headers());
    expect(await appTester(step.perform, makeBundle({ member: m.id }))).toEqual({
      located: { id: m.id, email: null },
      link: sent,
    });
  });
});
