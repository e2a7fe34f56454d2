import { perform } from '../../creates/create_member';
import {
  api,
  appTester,
  group,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
} from '../helpers';
import { fullMember, listedMember, NAMELESS_FIXED_TIME } from '../member-fixtures';
import { memberOutput } from '../../src/zap/samples';
import { useFastClock } from '../fast-clock';

// The login links' own pacing (a slot every 1.2 s, 50 a minute) is waited out on a clock that skips
// the waiting (test/fast-clock.ts): the same waits, without the wait.
useFastClock();

const g1 = group(1);
const g2 = group(2);
const email = 'member11@example.com';
const existing = listedMember(11, {
  ...NAMELESS_FIXED_TIME,
  paid: false,
  status: 'blocked',
  displayName: 'Old',
});
const lookUp = (found: unknown[]) =>
  api().get(`${PREFIX}/members`).query({ email, limit: '1' }).reply(200, pageOf(found), headers());
const conflict = () =>
  api().post(`${PREFIX}/members`).reply(409, { error: 'exists' }, headers('c'));

describe('create_member', () => {
  it('a new member: one POST with the groups, atomic (1 request)', async () => {
    const created = fullMember(11, [1, 2], {
      ...NAMELESS_FIXED_TIME,
      paid: true,
      displayName: 'Ada',
    });
    api()
      .post(`${PREFIX}/members`, {
        email,
        displayName: 'Ada',
        paid: true,
        accessGroupIds: [g1.id, g2.id],
      })
      .reply(201, { data: created }, headers());
    const result = await appTester(
      perform,
      makeBundle({
        email: ' Member11@Example.com ',
        display_name: 'Ada',
        paid: 'true',
        access_group_ids: [g1.id, g2.id.toUpperCase()],
        if_email_exists: 'update',
      }),
    );
    expect(result).toEqual({
      ...memberOutput(created),
      alreadyExisted: false,
      updated: false,
      groupsAdded: [g1.id, g2.id],
      groupsAddedNames: [g1.name, g2.name],
      loginLinkSent: false,
    });
  });

  it('sends only the email when nothing else is given', async () => {
    api()
      .post(`${PREFIX}/members`, { email })
      .reply(201, { data: fullMember(11, [], NAMELESS_FIXED_TIME) }, headers());
    const result = await appTester(perform, makeBundle({ email, paid: '', display_name: ' ' }));
    expect([result.alreadyExisted, result.groupsAdded]).toEqual([false, []]);
  });

  it('an existing email is a clear error by default', async () => {
    conflict();
    const error = await rejection(appTester(perform, makeBundle({ email })));
    expect(messageOf(error)).toBe(
      `A member with the email ${email} already exists on this site (Sotion answered 409 Conflict). Set "If the Email Exists" to "Return the existing member" or "Update the existing member" to use that member instead. (X-Request-Id: req-c)`,
    );
  });

  it('"return_existing": the 409, the look-up, the member with its groups (3 requests)', async () => {
    const member = fullMember(11, [1], NAMELESS_FIXED_TIME);
    conflict();
    lookUp([listedMember(11, NAMELESS_FIXED_TIME)]);
    api().get(`${PREFIX}/members/${member.id}`).reply(200, { data: member }, headers());
    expect(
      await appTester(
        perform,
        makeBundle({ email, if_email_exists: 'return_existing', paid: true }),
      ),
    ).toEqual({
      ...memberOutput(member),
      alreadyExisted: true,
      updated: false,
      groupsAdded: [],
      groupsAddedNames: [],
      loginLinkSent: false,
    });
  });

  it('"update": PATCHes only what differs, unblocks, then adds only the missing groups', async () => {
    const patched = fullMember(11, [1], {
      ...NAMELESS_FIXED_TIME,
      paid: true,
      status: 'active',
      displayName: 'Old',
    });
    const final = fullMember(11, [1, 2], {
      ...NAMELESS_FIXED_TIME,
      paid: true,
      status: 'active',
      displayName: 'Old',
    });
    conflict();
    lookUp([existing]);
    api()
      .patch(`${PREFIX}/members/${existing.id}`, { paid: true, status: 'active' })
      .reply(200, { data: patched }, headers());
    api()
      .post(`${PREFIX}/access-groups/${g2.id}/members`, { memberId: existing.id })
      .reply(201, { data: final }, headers());
    const result = await appTester(
      perform,
      makeBundle({
        email,
        if_email_exists: 'update',
        paid: true,
        display_name: 'Old',
        unblock: true,
        access_group_ids: [g1.id, g2.id],
      }),
    );
    expect(result).toEqual({
      ...memberOutput(final),
      alreadyExisted: true,
      updated: true,
      groupsAdded: [g2.id],
      groupsAddedNames: [g2.name],
      loginLinkSent: false,
    });
  });

  it('"update" with nothing to change: no PATCH; a group add\'s answer lists the groups, so a group it shows is not posted (3 requests)', async () => {
    const final = fullMember(11, [1, 2], { ...NAMELESS_FIXED_TIME, status: 'blocked' });
    conflict();
    lookUp([existing]);
    api()
      .post(`${PREFIX}/access-groups/${g1.id}/members`, { memberId: existing.id })
      .reply(201, { data: final }, headers());
    const result = await appTester(
      perform,
      makeBundle({
        email,
        if_email_exists: 'update',
        paid: false,
        access_group_ids: [g1.id, g2.id],
      }),
    );
    expect([result.updated, result.groupsAdded, result.accessGroupIds, result.status]).toEqual([
      false,
      [g1.id],
      [g1.id, g2.id],
      'blocked',
    ]);
  });

  it('"update" where every group is already held reads the member for the output', async () => {
    const member = fullMember(11, [1], NAMELESS_FIXED_TIME);
    conflict();
    lookUp([listedMember(11, NAMELESS_FIXED_TIME)]);
    api().post(`${PREFIX}/access-groups/${g1.id}/members`).reply(409, '', headers());
    api().get(`${PREFIX}/members/${member.id}`).reply(200, { data: member }, headers());
    const result = await appTester(
      perform,
      makeBundle({ email, if_email_exists: 'update', access_group_ids: [g1.id] }),
    );
    expect([result.updated, result.groupsAdded, result.accessGroupIds]).toEqual([
      false,
      [],
      [g1.id],
    ]);
  });

  it('"update": a new display name alone is one PATCH; a group without a name shows its id', async () => {
    const patched = fullMember(11, [], {
      ...NAMELESS_FIXED_TIME,
      displayName: 'New',
      accessGroups: [{ id: g1.id }],
    });
    conflict();
    lookUp([listedMember(11, { ...NAMELESS_FIXED_TIME, paid: true, displayName: 'Old' })]);
    api()
      .patch(`${PREFIX}/members/${patched.id}`, { displayName: 'New' })
      .reply(200, { data: patched }, headers());
    const result = await appTester(
      perform,
      makeBundle({ email, if_email_exists: 'update', display_name: 'New', paid: true }),
    );
    expect([result.updated, result.accessGroups, result.accessGroupNames]).toEqual([
      true,
      [{ id: g1.id, name: null }],
      [g1.id],
    ]);
  });

  it('"update": an unexpected PATCH answer is an error', async () => {
    conflict();
    lookUp([existing]);
    api().patch(`${PREFIX}/members/${existing.id}`).reply(409, '', headers('p'));
    const error = await rejection(
      appTester(perform, makeBundle({ email, if_email_exists: 'update', paid: true })),
    );
    expect(messageOf(error)).toMatch(/^Sotion answered HTTP 409, which this step does not expect/);
  });

  it('a 409 whose member the look-up cannot find is an error saying to replay', async () => {
    conflict();
    lookUp([]);
    const error = await rejection(
      appTester(perform, makeBundle({ email, if_email_exists: 'update' })),
    );
    expect(messageOf(error)).toMatch(
      /exists \(409 Conflict\), but no member with that email was found.*replay the step\. \(X-Request-Id: req-c\)$/,
    );
  });

  it('with "return_existing" a lost POST is sent again and the 409 resolves to the member', async () => {
    const member = fullMember(11, [], NAMELESS_FIXED_TIME);
    api()
      .post(`${PREFIX}/members`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    conflict();
    lookUp([listedMember(11, NAMELESS_FIXED_TIME)]);
    api().get(`${PREFIX}/members/${member.id}`).reply(200, { data: member }, headers());
    const result = await appTester(
      perform,
      makeBundle({ email, if_email_exists: 'return_existing' }),
    );
    expect(result.alreadyExisted).toBe(true);
  });

  it('by default a lost POST is not resent: the error says how to replay safely', async () => {
    api()
      .post(`${PREFIX}/members`)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await rejection(appTester(perform, makeBundle({ email })));
    expect(messageOf(error)).toMatch(
      /may or may not have been made\. If the member was created, a replay stops on "email exists"; set "If the Email Exists" to "Return the existing member" or "Update the existing member" and replay the step\.$/,
    );
  });

  it('"Send Login Link Email" sends one after the member is saved', async () => {
    const created = fullMember(11, [], NAMELESS_FIXED_TIME);
    api().post(`${PREFIX}/members`, { email }).reply(201, { data: created }, headers());
    api()
      .post(`${PREFIX}/members/${created.id}/login-links`, { sendEmail: true })
      .reply(201, { data: { memberId: created.id, status: 'sent' } }, headers());
    const result = await appTester(perform, makeBundle({ email, send_login_link: 'true' }));
    expect(result.loginLinkSent).toBe(true);
  });

  it('a login link refused for the rate limit goes back to Zapier (the next try goes on from the created member)', async () => {
    const created = fullMember(11, [], NAMELESS_FIXED_TIME);
    api().post(`${PREFIX}/members`).reply(201, { data: created }, headers());
    api()
      .post(`${PREFIX}/members/${created.id}/login-links`)
      .reply(429, '', headers('t', { 'retry-after': '60' }));
    const error = await rejection(appTester(perform, makeBundle({ email, send_login_link: true })));
    expect(error.name).toBe('ThrottledError');
    expect(messageOf(error)).toMatch(
      /^Sotion's own limit for this kind of request was reached while creating a login link .*5 login links a minute for one member and 50 a minute for the whole site.*req-t\)$/,
    );
  });

  it('a login link refused for an existing (blocked) member says the member was saved', async () => {
    const member = fullMember(11, [], { ...NAMELESS_FIXED_TIME, status: 'blocked' });
    conflict();
    lookUp([listedMember(11, { ...NAMELESS_FIXED_TIME, status: 'blocked' })]);
    api().get(`${PREFIX}/members/${member.id}`).reply(200, { data: member }, headers());
    api()
      .post(`${PREFIX}/members/${member.id}/login-links`, { sendEmail: true })
      .reply(403, { error: 'Blocked members cannot get login links.' }, headers('b'));
    const error = await rejection(
      appTester(
        perform,
        makeBundle({ email, if_email_exists: 'return_existing', send_login_link: true }),
      ),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(
        `^The member ${email} was saved, but the login link email was not sent\\..*Blocked members cannot log in: unblock the member first`,
      ),
    );
  });

  it('a 403 without groups names the plan; with groups, the scope group', async () => {
    api().post(`${PREFIX}/members`).reply(403, '', headers());
    const plan = await rejection(appTester(perform, makeBundle({ email })));
    expect(messageOf(plan)).toMatch(
      new RegExp(
        `^Sotion refused to create the member ${email} \\(HTTP 403\\), and no scope group`,
      ),
    );
    api().post(`${PREFIX}/members`).reply(403, '', headers());
    const scope = await rejection(
      appTester(perform, makeBundle({ email, access_group_ids: g1.id })),
    );
    expect(messageOf(scope)).toMatch(/^One of the chosen access groups is a scope group/);
  });

  it.each([
    [{}, /^Email is required: enter an email such as ada@example.com\.$/],
    [{ email: 'ada@@x' }, /^Email must be an email such as ada@example.com; "ada@@x" is not/],
    [
      { email, if_email_exists: 'merge' },
      /^If the Email Exists must be one of its choices: "Stop with an error", "Return the existing member" or "Update the existing member"; it was "merge"\. Pick one from the dropdown\.$/,
    ],
    [
      { email, unblock: true },
      /^Unblock If Blocked applies only when "If the Email Exists" is "Update the existing member": choose it/,
    ],
    [{ email, access_group_ids: 'Premium Members' }, /^Access Groups must be Sotion IDs/],
    [{ email, display_name: 'x'.repeat(256) }, /^Display Name must be at most 255 characters/],
    [
      { email, display_name: 'Ada\u202Eecalevol' },
      /^Display Name contains U\+202E \(right-to-left override\)/,
    ],
    [{ email, send_login_link: 'sometimes' }, /^Send Login Link Email must be true or false/],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toMatch(message);
  });
});
