import { perform } from '../../creates/delete_member';
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

const m = listedMember(3, NAMELESS_FIXED_TIME);

describe('delete_member', () => {
  it('by id: one DELETE', async () => {
    api().delete(`${PREFIX}/members/${m.id}`).reply(204, '', headers());
    expect(await appTester(perform, makeBundle({ member: m.id }))).toEqual({
      id: m.id,
      email: null,
      deleted: true,
    });
  });

  it('by email: a look-up, then the DELETE', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: m.email, limit: '1' })
      .reply(200, pageOf([m]), headers());
    api().delete(`${PREFIX}/members/${m.id}`).reply(204, '', headers());
    expect(await appTester(perform, makeBundle({ member: m.email.toUpperCase() }))).toEqual({
      id: m.id,
      email: m.email,
      deleted: true,
    });
  });

  it('not found is an error by default, saying how to make a replay succeed', async () => {
    api()
      .delete(`${PREFIX}/members/${m.id}`)
      .reply(404, { error: 'Member not found' }, headers('g'));
    const error = await rejection(appTester(perform, makeBundle({ member: m.id })));
    expect(messageOf(error)).toBe(
      `No member with the ID ${m.id} (from Member) exists on this Sotion site. If an earlier run (or a replay) deleted it, set "If Not Found" to "Succeed with Deleted: false". (X-Request-Id: req-g)`,
    );
  });

  it('with "succeed", a 404 is deleted: false', async () => {
    api().delete(`${PREFIX}/members/${m.id}`).reply(404, '', headers());
    expect(await appTester(perform, makeBundle({ member: m.id, if_not_found: 'succeed' }))).toEqual(
      { id: m.id, email: null, deleted: false },
    );
  });

  it('with "succeed", an unknown email is deleted: false without a DELETE', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'gone@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    expect(
      await appTester(perform, makeBundle({ member: 'gone@example.com', if_not_found: 'succeed' })),
    ).toEqual({ id: null, email: 'gone@example.com', deleted: false });
  });

  it('an unknown email is an error by default', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'gone@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    const error = await rejection(appTester(perform, makeBundle({ member: 'gone@example.com' })));
    expect(messageOf(error)).toMatch(/^No member with the email gone@example.com \(from Member\)/);
  });

  it('a lost answer is retried (DELETE is idempotent), and the 404 of the retry reads as gone', async () => {
    api()
      .delete(`${PREFIX}/members/${m.id}`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    api().delete(`${PREFIX}/members/${m.id}`).reply(404, '', headers());
    expect(await appTester(perform, makeBundle({ member: m.id, if_not_found: 'succeed' }))).toEqual(
      { id: m.id, email: null, deleted: false },
    );
  });

  it.each([
    [
      { member: m.id, if_not_found: 'ignore' },
      /^If Not Found must be one of its choices: "Stop with an error" or "Succeed with Deleted: false"; it was "ignore"\./,
    ],
    [{ member: '' }, /^Member is required/],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toMatch(message);
  });
});
