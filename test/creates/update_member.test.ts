import { perform } from '../../creates/update_member';
import {
  api,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  appTester,
} from '../helpers';
import { fullMember, listedMember, NAMELESS_FIXED_TIME } from '../member-fixtures';
import { memberOutput } from '../../src/zap/samples';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const m = fullMember(1, [1], NAMELESS_FIXED_TIME);

describe('update_member', () => {
  it('by id: one PATCH with only the fields given, and the member back', async () => {
    api()
      .patch(`${PREFIX}/members/${m.id}`, { paid: true, status: 'blocked' })
      .reply(200, { data: { ...m, paid: true, status: 'blocked' } }, headers());
    const result = await appTester(
      perform,
      makeBundle({ member: m.id, paid: 'true', status: 'blocked', display_name: '  ' }),
    );
    expect(result).toEqual(memberOutput({ ...m, paid: true, status: 'blocked' }));
  });

  it('by email: one look-up, then the PATCH; a new email is normalised', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'member1@example.com', limit: '1' })
      .reply(200, pageOf([listedMember(1, NAMELESS_FIXED_TIME)]), headers());
    api()
      .patch(`${PREFIX}/members/${m.id}`, { email: 'ada@lovelace.dev', displayName: 'Ada' })
      .reply(200, { data: { ...m, email: 'ada@lovelace.dev', displayName: 'Ada' } }, headers());
    const result = await appTester(
      perform,
      makeBundle({
        member: 'Member1@Example.com',
        new_email: ' Ada@Lovelace.dev',
        display_name: 'Ada',
      }),
    );
    expect(result.email).toBe('ada@lovelace.dev');
  });

  it('clearing the display name is explicit: null is sent', async () => {
    api()
      .patch(`${PREFIX}/members/${m.id}`, { displayName: null, paid: false })
      .reply(200, { data: m }, headers());
    await appTester(
      perform,
      makeBundle({ member: m.id, clear_display_name: 'true', paid: 'false' }),
    );
  });

  it('a new email that another member has is a clear error naming it', async () => {
    api()
      .patch(`${PREFIX}/members/${m.id}`, { email: 'taken@example.com' })
      .reply(409, { error: 'A member with email taken@example.com already exists.' }, headers('c'));
    const error = await rejection(
      appTester(perform, makeBundle({ member: m.id, new_email: 'taken@example.com' })),
    );
    expect(messageOf(error)).toBe(
      `Another member already has the email taken@example.com (Sotion answered 409 Conflict), so member ${m.id} was not changed. Choose another email, or delete or change that member first. (X-Request-Id: req-c)`,
    );
  });

  it('an email no member has is an error naming it, after one look-up', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'nobody@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    const error = await rejection(
      appTester(perform, makeBundle({ member: 'nobody@example.com', paid: true })),
    );
    expect(messageOf(error)).toBe(
      'No member with the email nobody@example.com (from Member) exists on this Sotion site. Check the email, or add the member first (Create Member).',
    );
  });

  it('a 403 says the plan or the key refused it', async () => {
    api().patch(`${PREFIX}/members/${m.id}`).reply(403, { error: 'Forbidden' }, headers('f'));
    const error = await rejection(appTester(perform, makeBundle({ member: m.id, paid: true })));
    expect(messageOf(error)).toMatch(
      new RegExp(
        `^Sotion refused to change member ${m.id} \\(HTTP 403\\), and no scope group was involved: the site's plan may not allow it`,
      ),
    );
  });

  it.each([
    [{ member: '' }, /^Member is required/],
    [{ member: 'not-an-email' }, /^Member must be a member's email or Sotion member ID/],
    [
      { member: m.id },
      /^Nothing to update: fill in at least one of New Email, Display Name, Clear Display Name, Paid or Status\./,
    ],
    [{ member: m.id, display_name: '', paid: '', status: '' }, /^Nothing to update/],
    [{ member: m.id, clear_display_name: 'false' }, /^Nothing to update/],
    [
      { member: m.id, display_name: 'Ada', clear_display_name: true },
      /^Display Name \("Ada"\) and Clear Display Name are both set; choose one\./,
    ],
    [
      { member: m.id, new_email: 'ada@@x' },
      /^New Email must be an email such as ada@example.com; "ada@@x" is not/,
    ],
    [
      { member: m.id, status: 'deleted' },
      /^Status must be one of its choices: "Active" or "Blocked"; it was "deleted"\./,
    ],
    [{ member: m.id, paid: 'maybe' }, /^Paid must be true or false/],
    [
      { member: m.id, display_name: 'x'.repeat(256) },
      /^Display Name must be at most 255 characters/,
    ],
    [
      { member: m.id, display_name: 'Ada\u200B' },
      /^Display Name contains U\+200B \(zero-width space\)/,
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toMatch(message);
  });
});
