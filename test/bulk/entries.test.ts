import nock from 'nock';
import { perform } from '../../creates/bulk_add_members';
import { MAX_DISPLAY_NAME } from '../../src/api/members';
import {
  api,
  appTester,
  headers,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';

type SentMember = { email: string; displayName?: string; paid?: boolean };

/** One POST /members/bulk with exactly these members, all created. */
const expectBulk = (members: SentMember[]) =>
  api()
    .post(`${PREFIX}/members/bulk`, { members })
    .reply(
      207,
      {
        data: members.map((m, i) => ({
          email: m.email,
          status: 'created',
          member: {
            id: uuid(7000 + i),
            email: m.email,
            displayName: m.displayName ?? null,
            status: 'active',
            verified: false,
            paid: false,
            registeredAt: null,
            lastLoginAt: null,
            createdAt: '2026-11-01T00:00:00.000Z',
            updatedAt: '2026-11-01T00:00:00.000Z',
          },
        })),
        summary: { total: members.length, created: members.length, failed: 0 },
      },
      headers('bulk'),
    );

describe('bulk_add_members: reading the input', () => {
  it('a name written in Emails (`Name <address>`) is sent as the display name', async () => {
    expectBulk([
      { email: 'ada@example.com', displayName: 'Ada Lovelace' },
      { email: 'grace@example.com' },
    ]);
    const out = await appTester(
      perform,
      makeBundle({ emails: ['Ada Lovelace <ada@example.com>, grace@example.com'] }),
    );
    expect(out.createdEmails).toEqual(['ada@example.com', 'grace@example.com']);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it(`a Display Name of exactly ${MAX_DISPLAY_NAME} characters is sent`, async () => {
    const name = 'n'.repeat(MAX_DISPLAY_NAME);
    expectBulk([{ email: 'ada@example.com', displayName: name }]);
    const out = await appTester(
      perform,
      makeBundle({ members: [{ email: 'ada@example.com', display_name: name }] }),
    );
    expect(out.createdEmails).toEqual(['ada@example.com']);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it(`a Display Name of ${MAX_DISPLAY_NAME + 1} characters stops the step before any request`, async () => {
    const name = 'n'.repeat(MAX_DISPLAY_NAME + 1);
    const error = await rejection(
      appTester(
        perform,
        makeBundle({ members: [{ email: 'ada@example.com', display_name: name }] }),
      ),
    );
    expect(messageOf(error)).toBe(
      `Display Name of line item 1 must be at most ${MAX_DISPLAY_NAME} characters; it has 256 ` +
        `("${'n'.repeat(80)}… (256 characters)"). Shorten it and try again.`,
    );
  });

  it.each([
    [
      { members: [{ email: 'ada@example.com', display_name: 'Ada\u202Eecalevol' }] },
      'line item 1',
      'U+202E (right-to-left override) at character 4',
    ],
    [
      { emails: ['a@x.io', 'Grace\u200BHopper <grace@example.com>'] },
      'email list entry 2',
      'U+200B (zero-width space) at character 6',
    ],
    [
      { members: [{ email: 'Ada\u0000 <ada@example.com>' }] },
      'line item 1',
      'U+0000 (NUL) at character 4',
    ],
  ])(
    'an invisible character in a display name stops the step before any request: %j',
    async (input, source, what) => {
      const error = await rejection(appTester(perform, makeBundle(input)));
      expect(messageOf(error)).toBe(
        `Display Name of ${source} contains ${what}, an invisible character that can hide or ` +
          'reorder text, so nothing was sent. Remove it and try again (a Formatter step can clean ' +
          'a mapped value).',
      );
    },
  );

  it('empty Members (sent as "") with Emails filled in adds the emails', async () => {
    expectBulk([{ email: 'ada@example.com' }]);
    const out = await appTester(perform, makeBundle({ members: '', emails: ['ada@example.com'] }));
    expect(out.createdEmails).toEqual(['ada@example.com']);
    expect(out.total).toBe(1);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a line item that is null is refused with a message naming it', async () => {
    const error = await rejection(
      appTester(perform, makeBundle({ members: [null], emails: ['ada@example.com'] })),
    );
    expect(messageOf(error)).toBe('Members line item 1 must have an Email; it was null.');
  });
});
