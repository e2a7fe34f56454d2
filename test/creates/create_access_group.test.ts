import { perform } from '../../creates/create_access_group';
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

describe('create_access_group', () => {
  it('posts the trimmed name and description and returns the group', async () => {
    const created = group(1, { name: 'Premium Members', description: 'Paying members' });
    api()
      .post(`${PREFIX}/access-groups`, { name: 'Premium Members', description: 'Paying members' })
      .reply(
        201,
        { data: created },
        { ...headers('g1'), location: `/api/v1/access-groups/${created.id}` },
      );
    const result = await appTester(
      perform,
      makeBundle({ name: '  Premium Members ', description: 'Paying members\n' }),
    );
    expect(result).toEqual({ ...created, alreadyExisted: false });
  });

  it('omits an empty description and accepts a 200 as well as a 201', async () => {
    api()
      .post(`${PREFIX}/access-groups`, { name: 'VIP' })
      .reply(200, { data: group(2, { name: 'VIP' }) }, headers());
    const result = await appTester(perform, makeBundle({ name: 'VIP', description: '   ' }));
    expect(result.name).toBe('VIP');
  });

  it.each([
    [{ name: '' }, 'Name is required: enter 1 to 100 characters, such as "Premium Members".'],
    [{ name: '   ' }, 'Name is required: enter 1 to 100 characters, such as "Premium Members".'],
    [
      { name: 'x'.repeat(101) },
      'Name must be at most 100 characters; it has 101. Shorten it and try again.',
    ],
    [
      { name: 'ok', description: 'd'.repeat(501) },
      'Description must be at most 500 characters; it has 501. Shorten it and try again.',
    ],
    [
      { name: 'ok', if_name_taken: 'merge' },
      'If the Name Is Taken must be one of its choices: "Stop with an error" or "Return the existing group"; it was "merge". Pick one from the dropdown.',
    ],
    [{ name: { nested: true } }, 'Name must be text; it was {"nested":true}.'],
    // Moved from the abuse suite: they need no sandbox (nock refuses any request, so a request
    // would change the message).
    [{ name: ' \t\n ' }, 'Name is required: enter 1 to 100 characters, such as "Premium Members".'],
    [{ name: null }, 'Name is required: enter 1 to 100 characters, such as "Premium Members".'],
    [{ name: ['a', 'b'] }, 'Name must be text; it was ["a","b"].'],
    [
      { name: 'ok', if_name_taken: 'overwrite' },
      'If the Name Is Taken must be one of its choices: "Stop with an error" or "Return the existing group"; it was "overwrite". Pick one from the dropdown.',
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toBe(message);
  });

  it('counts characters, not UTF-16 units: 100 emoji are a valid name', async () => {
    const name = '🎉'.repeat(100);
    api()
      .post(`${PREFIX}/access-groups`, { name })
      .reply(201, { data: group(3, { name }) }, headers());
    await appTester(perform, makeBundle({ name }));
  });

  it('a taken name is a clear error by default', async () => {
    api()
      .post(`${PREFIX}/access-groups`, { name: 'VIP' })
      .reply(409, { error: 'Conflict' }, headers('c1'));
    const error = await rejection(appTester(perform, makeBundle({ name: 'VIP' })));
    expect(messageOf(error)).toBe(
      'An access group named "VIP" already exists on this site (Sotion answered 409 Conflict). Choose another name, or set "If the Name Is Taken" to "Return the existing group". (X-Request-Id: req-c1)',
    );
  });

  it('with "return the existing group" finds it across pages and returns it', async () => {
    const vip = group(150, { name: 'VIP' });
    api().post(`${PREFIX}/access-groups`, { name: 'VIP' }).reply(409, '', headers('c2'));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1), group(2)], group(2).id), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: group(2).id })
      .reply(200, pageOf([vip]), headers());
    const result = await appTester(
      perform,
      makeBundle({ name: 'VIP', if_name_taken: 'return_existing' }),
    );
    expect(result).toEqual({ ...vip, alreadyExisted: true });
  });

  it('falls back to a single case-insensitive match', async () => {
    const vip = group(4, { name: 'vip ' });
    api().post(`${PREFIX}/access-groups`, { name: 'VIP' }).reply(409, '', headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1), vip]), headers());
    const result = await appTester(
      perform,
      makeBundle({ name: 'VIP', if_name_taken: 'return_existing' }),
    );
    expect(result.id).toBe(vip.id);
  });

  it('says so when Sotion reports a conflict but lists no such group', async () => {
    api().post(`${PREFIX}/access-groups`, { name: 'VIP' }).reply(409, '', headers('c3'));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)]), headers());
    const error = await rejection(
      appTester(perform, makeBundle({ name: 'VIP', if_name_taken: 'return_existing' })),
    );
    expect(messageOf(error)).toMatch(
      /already exists \(409 Conflict\), but no group with that name .*req-c3/,
    );
  });

  it('with "return the existing group" a lost POST is sent again and the 409 resolves to the group', async () => {
    const vip = group(5, { name: 'VIP' });
    api()
      .post(`${PREFIX}/access-groups`, { name: 'VIP' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    api().post(`${PREFIX}/access-groups`, { name: 'VIP' }).reply(409, '', headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([vip]), headers());
    const result = await appTester(
      perform,
      makeBundle({ name: 'VIP', if_name_taken: 'return_existing' }),
    );
    expect(result).toEqual({ ...vip, alreadyExisted: true });
  });

  it.each([
    [
      'a reset',
      (scope: ReturnType<typeof api>) =>
        scope
          .post(`${PREFIX}/access-groups`)
          .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
      /^Sotion could not be reached \(ECONNRESET\) while creating an access group\. The change may or may not have been made\. /,
    ],
    [
      'a 503',
      (scope: ReturnType<typeof api>) =>
        scope.post(`${PREFIX}/access-groups`).reply(503, { error: 'busy' }, headers('lost')),
      /^Sotion had a problem \(HTTP 503\) while creating an access group, so the change may or may not have been made\. .*\(X-Request-Id: req-lost\)$/,
    ],
  ])(
    'under the default, a lost answer (%s) points to "Return the existing group", never "replay is safe"',
    async (_name, reply, pattern) => {
      reply(api());
      const error = await rejection(appTester(perform, makeBundle({ name: 'VIP' })));
      const message = messageOf(error);
      expect(message).toMatch(pattern);
      expect(message).toContain(
        'A replay stops on "name taken" if the group was created; set "If the Name Is Taken" to ' +
          '"Return the existing group" and replay the step.',
      );
      expect(message).not.toMatch(/safe|replay the step in a few minutes/);
    },
  );

  it('by default a lost answer is not sent again blindly: one POST, and the error says how to replay', async () => {
    // One interceptor: a resend would find none and fail with another message (ERR_NOCK_NO_MATCH).
    api()
      .post(`${PREFIX}/access-groups`, { name: 'VIP' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const error = await rejection(appTester(perform, makeBundle({ name: 'VIP' })));
    expect(messageOf(error)).toBe(
      'Sotion could not be reached (ECONNRESET) while creating an access group. The change may or may not have been made. A replay stops on "name taken" if the group was created; set "If the Name Is Taken" to "Return the existing group" and replay the step.',
    );
  });

  it('an exact name wins over a case-insensitive one listed before it', async () => {
    const folded = group(6, { name: 'vip' });
    const exact = group(7, { name: 'VIP' });
    api().post(`${PREFIX}/access-groups`, { name: 'VIP' }).reply(409, '', headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([folded], folded.id), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: folded.id })
      .reply(200, pageOf([exact]), headers());
    const result = await appTester(
      perform,
      makeBundle({ name: 'VIP', if_name_taken: 'return_existing' }),
    );
    expect(result).toEqual({ ...exact, alreadyExisted: true });
  });

  it('two case-insensitive matches and no exact one: it does not guess', async () => {
    api().post(`${PREFIX}/access-groups`, { name: 'VIP' }).reply(409, '', headers('two'));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(8, { name: 'vip' }), group(9, { name: 'Vip ' })]), headers());
    const error = await rejection(
      appTester(perform, makeBundle({ name: 'VIP', if_name_taken: 'return_existing' })),
    );
    expect(messageOf(error)).toBe(
      'Sotion says an access group named "VIP" already exists (409 Conflict), but no group with that name is in its list of access groups. It may have just been renamed or deleted; replay the step. (X-Request-Id: req-two)',
    );
  });
});
