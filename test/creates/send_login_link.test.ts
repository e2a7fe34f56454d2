import { perform } from '../../creates/send_login_link';
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
import { listedMember, NAMELESS_FIXED_TIME } from '../member-fixtures';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const m = listedMember(10, NAMELESS_FIXED_TIME);

describe('send_login_link', () => {
  it('by id: one POST with sendEmail true', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: true })
      .reply(201, { data: { memberId: m.id, status: 'sent' } }, headers());
    expect(await appTester(perform, makeBundle({ member: m.id }))).toEqual({
      memberId: m.id,
      email: null,
      status: 'sent',
    });
  });

  it('by email: a look-up, then the POST', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([m]), headers());
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: true })
      .reply(200, { data: { memberId: m.id, status: 'sent' } }, headers());
    expect(await appTester(perform, makeBundle({ member: m.email }))).toEqual({
      memberId: m.id,
      email: m.email,
      status: 'sent',
    });
  });

  it('a lost answer is not resent, and the error says a replay emails again', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toMatch(
      /may or may not have been made\. Sotion may have emailed the link already; replaying the step emails the member again\.$/,
    );
  });

  it('a short Retry-After is waited out in the run (a 429 was not processed)', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .reply(429, '', headers(1, { 'retry-after': '0' }));
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: true })
      .reply(201, { data: { memberId: m.id, status: 'sent' } }, headers());
    expect((await appTester(perform, makeBundle({ member: m.id }))).status).toBe('sent');
  });

  it('an unknown email is an error before any POST', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'x@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    const error = await rejection(appTester(perform, makeBundle({ member: 'x@example.com' })));
    expect(messageOf(error)).toMatch(/^No member with the email x@example.com/);
  });
});
