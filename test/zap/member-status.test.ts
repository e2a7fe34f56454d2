import { memberStatusStep } from '../../src/zap/member-status';
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
import { fullMember, listedMember, NAMELESS_FIXED_TIME } from '../member-fixtures';
import { memberOutput } from '../../src/zap/samples';

/** Block Member's and Unblock Member's performs (creates/block_member.ts, unblock_member.ts). */
const block = memberStatusStep('blocked').perform;
const unblock = memberStatusStep('active').perform;

const m = fullMember(2, [1], NAMELESS_FIXED_TIME);
const blocked = { ...m, status: 'blocked' as const };

describe('memberStatusStep: Block Member and Unblock Member', () => {
  it('by id: reads the member, then PATCHes the status (changed: true)', async () => {
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: m }, headers());
    api()
      .patch(`${PREFIX}/members/${m.id}`, { status: 'blocked' })
      .reply(200, { data: blocked }, headers());
    expect(await appTester(block, makeBundle({ member: m.id }))).toEqual({
      ...memberOutput(blocked),
      changed: true,
    });
  });

  it('by id: an already blocked member is one read and no PATCH (changed: false)', async () => {
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: blocked }, headers());
    expect(await appTester(block, makeBundle({ member: m.id }))).toEqual({
      ...memberOutput(blocked),
      changed: false,
    });
  });

  it('by email: the look-up says the status; a change is one PATCH more', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'member2@example.com', limit: '1' })
      .reply(
        200,
        pageOf([listedMember(2, { ...NAMELESS_FIXED_TIME, status: 'blocked' })]),
        headers(),
      );
    api()
      .patch(`${PREFIX}/members/${m.id}`, { status: 'active' })
      .reply(200, { data: m }, headers());
    expect(await appTester(unblock, makeBundle({ member: 'member2@example.com' }))).toEqual({
      ...memberOutput(m),
      changed: true,
    });
  });

  it('by email: already active reads the member for its groups (changed: false)', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'member2@example.com', limit: '1' })
      .reply(200, pageOf([listedMember(2, NAMELESS_FIXED_TIME)]), headers());
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: m }, headers());
    expect(await appTester(unblock, makeBundle({ member: 'member2@example.com' }))).toEqual({
      ...memberOutput(m),
      changed: false,
    });
  });

  it('an unknown id is an error naming it', async () => {
    api().get(`${PREFIX}/members/${m.id}`).reply(404, { error: 'Member not found' }, headers('n'));
    const error = await rejection(appTester(block, makeBundle({ member: m.id })));
    expect(messageOf(error)).toBe(
      `No member with the ID ${m.id} (from Member) exists on this Sotion site. Check the ID or pick the member.`,
    );
  });

  it('other read errors are not taken for "not found"', async () => {
    api().get(`${PREFIX}/members/${m.id}`).reply(401, { error: 'Invalid API key.' }, headers());
    const error = await rejection(appTester(block, makeBundle({ member: m.id })));
    expect(error.name).toBe('ExpiredAuthError');
  });

  it('an unknown email is an error naming it', async () => {
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'nobody@example.com', limit: '1' })
      .reply(200, pageOf([]), headers());
    const error = await rejection(appTester(unblock, makeBundle({ member: 'nobody@example.com' })));
    expect(messageOf(error)).toMatch(
      /^No member with the email nobody@example.com \(from Member\)/,
    );
  });

  it.each([[{}], [{ member: 'ada' }], [{ member: ['a', 'b'] }]])(
    'refuses %j before any request',
    async (input) => {
      const error = await rejection(appTester(block, makeBundle(input)));
      expect(messageOf(error)).toMatch(/^Member (is required|must be)/);
    },
  );
});

describe('memberStatusStep: answers the step does not expect', () => {
  it('a 409 on a status change is reported, not taken for success', async () => {
    api().get(`${PREFIX}/members/${m.id}`).reply(200, { data: m }, headers());
    api().patch(`${PREFIX}/members/${m.id}`).reply(409, '', headers('u'));
    const error = await rejection(appTester(block, makeBundle({ member: m.id })));
    expect(messageOf(error)).toBe(
      "Sotion answered HTTP 409, which this step does not expect here. Replay the step; if it happens again, report it to the integration's maintainers. (X-Request-Id: req-u)",
    );
  });
});
