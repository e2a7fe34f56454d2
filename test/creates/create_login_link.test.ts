import { perform } from '../../creates/create_login_link';
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

// The login links' own pacing (a slot every 1.2 s, 50 a minute) and Retry-After waits are waited
// out on a clock that skips the waiting (test/fast-clock.ts): the same waits, without the wait.
useFastClock();

const m = listedMember(9, NAMELESS_FIXED_TIME);
const URL = 'https://docs.example.com/_auth?token=secret-token-0123456789abcdef';
const link = { memberId: m.id, status: 'created', url: URL, expiresAt: '2026-05-08T09:00:00.000Z' };

/** Runs `run` with core's logs on stdout and returns every line core printed. */
const coreLogs = async (
  run: () => Promise<unknown>,
): Promise<{ lines: string[]; error?: unknown }> => {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  process.env.LOG_TO_STDOUT = 'true';
  process.env.DETAILED_LOG_TO_STDOUT = 'true';
  try {
    await run();
    return { lines };
  } catch (error) {
    return { lines, error };
  } finally {
    delete process.env.LOG_TO_STDOUT;
    delete process.env.DETAILED_LOG_TO_STDOUT;
    spy.mockRestore();
  }
};

describe('create_login_link', () => {
  it('by id: one POST with sendEmail false; the url is in the output and not in core logs', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: false })
      .reply(201, { data: link }, headers());
    let result: unknown;
    const { lines } = await coreLogs(async () => {
      result = await appTester(perform, makeBundle({ member: m.id }));
    });
    expect(result).toEqual({ memberId: m.id, email: null, url: URL, expiresAt: link.expiresAt });
    const http = lines.filter((line) => line.includes('/login-links'));
    expect(http.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('<probably streaming data>');
    expect(lines.join('\n')).not.toContain('secret-token');
  });

  it('by email: a look-up, then the POST; a 200 is accepted as well', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([m]), headers());
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`, { sendEmail: false })
      .reply(200, { data: { ...link, expiresAt: undefined } }, headers());
    expect(await appTester(perform, makeBundle({ member: m.email }))).toEqual({
      memberId: m.id,
      email: m.email,
      url: URL,
      expiresAt: null,
    });
  });

  it('a 429 whose message names login links is a throttle that explains the login-link limits', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .reply(
        429,
        { error: 'Too many login-links' },
        headers('t', { 'retry-after': '60', 'x-ratelimit-remaining': '0' }),
      );
    const { lines, error } = await coreLogs(() => appTester(perform, makeBundle({ member: m.id })));
    expect((error as Error).name).toBe('ThrottledError');
    expect(messageOf(error)).toBe(
      `Sotion's own limit for this kind of request was reached while creating a login link for member ${m.id} (Sotion allows 5 login links a minute for one member and 50 a minute for the whole site, emailed or not); Zapier will try again in about 60 seconds. (X-Request-Id: req-t)`,
    );
    expect(lines.join('\n')).toContain('<probably streaming data>');
  });

  it('a bare 429 while the site limit has room (X-RateLimit-Remaining above 0) names the login-link limit', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .reply(429, '', headers('t', { 'retry-after': '60', 'x-ratelimit-remaining': '12' }));
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toMatch(
      /^Sotion's own limit .*\(Sotion allows 5 login links a minute/,
    );
  });

  it.each([
    ['the site limit used up', { error: 'Too many requests.' }, { 'x-ratelimit-remaining': '0' }],
    ['nothing to tell', '', { 'x-ratelimit-remaining': '' }],
  ])(
    'a 429 that does not show the login-link limit (%s) is worded as the site rate limit',
    async (_name, body, extra) => {
      api()
        .post(`${PREFIX}/members/${m.id}/login-links`)
        .reply(429, body, headers('t', { 'retry-after': '60', ...extra }));
      const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
      expect((error as Error).name).toBe('ThrottledError');
      expect(messageOf(error)).toBe(
        `Sotion's rate limit for this site was reached while creating a login link for member ${m.id}; Zapier will try again in about 60 seconds. (X-Request-Id: req-t)`,
      );
    },
  );

  it('a blocked member: the 403 says to unblock first, with what Sotion said', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .reply(403, { error: 'Blocked members cannot get login links.' }, headers('b'));
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toBe(
      `Sotion refused a login link for member ${m.id}. Blocked members cannot log in: unblock the member first (Unblock Member), then send the link again. Sotion said: "Blocked members cannot get login links.". (X-Request-Id: req-b)`,
    );
  });

  it('an unknown id is an error naming it', async () => {
    api().post(`${PREFIX}/members/${m.id}/login-links`).reply(404, '', headers('n'));
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toBe(
      `No member with the ID ${m.id} (from Member) exists on this Sotion site. It may have been deleted; check the member. (X-Request-Id: req-n)`,
    );
  });

  it('is never sent twice: a lost answer is an error saying a replay makes a new link', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toBe(
      `Sotion could not be reached (ECONNRESET) while creating a login link for member ${m.id}. The change may or may not have been made. Replaying the step makes a new link (an earlier one, if made, stays valid).`,
    );
  });

  it('an answer without a url is an error (and a 5xx is not retried)', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .reply(201, { data: { memberId: m.id, status: 'sent' } }, headers());
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toMatch(/^Sotion answered without a login link URL for member/);
    api().post(`${PREFIX}/members/${m.id}/login-links`).reply(502, 'Bad gateway', headers('5'));
    const failed = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(failed)).toMatch(
      /^Sotion had a problem \(HTTP 502\).*Sotion said: "Bad gateway"/,
    );
  });

  it('a body that is not JSON is an error without the body', async () => {
    api()
      .post(`${PREFIX}/members/${m.id}/login-links`)
      .reply(201, `<html>${URL}</html>`, headers());
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toMatch(/but the body was not JSON/);
    expect(messageOf(error)).not.toContain('secret-token');
  });

  it('refuses a member that is neither an email nor an id before any request', async () => {
    const error = await rejection(appTester(perform, makeBundle({ member: 'ada' })));
    expect(messageOf(error)).toMatch(/^Member must be a member's email or Sotion member ID/);
  });
});
