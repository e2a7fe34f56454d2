import type { Bundle, ZObject } from 'zapier-platform-core';
import { SotionClient } from '../../src/http/client';
import { wordingValues } from '../../src/http/endpoint';
import { containsKey } from '../../src/http/errors';
import { appTester, KEY, makeBundle, messageOf, rejection } from '../helpers';

/** Makes the run's client, as every operation does before reading its input. */
const makeClient = async (z: ZObject, bundle: Bundle) => {
  new SotionClient(z, bundle);
};

const refusal = (where: string) =>
  `A value of this step contains the connection's API key (in ${where}), so nothing was sent to Sotion. Check which fields are mapped into this step.`;

describe("the connection's key in a step's input", () => {
  it('is found in a later field, inside a list, in any case, and named by its place', async () => {
    const error = await rejection(
      appTester(
        makeClient,
        makeBundle({
          name: 'VIP',
          emails: ['ada@example.com', `see ${KEY.toUpperCase()}`],
        }),
      ),
    );
    expect(messageOf(error)).toBe(refusal('emails[1]'));
    expect(JSON.parse(error.message)).toMatchObject({ code: 'invalid_input', status: 400 });
  });

  it('is found in an object inside a list, after fields without it', async () => {
    const error = await rejection(
      appTester(
        makeClient,
        makeBundle({
          accessGroupIds: ['g1'],
          members: [{ email: 'ada@example.com' }, { email: 'bob@example.com', name: KEY }],
        }),
      ),
    );
    expect(messageOf(error)).toBe(refusal('members[1].name'));
  });

  it('lets a step without the key through', async () => {
    await appTester(
      makeClient,
      makeBundle({ name: 'VIP', members: [{ email: 'ada@example.com' }], note: 'so_short' }),
    );
  });

  it('no text holds the key of a connection that has none', () => {
    expect(containsKey(KEY, undefined)).toBe(false);
    expect(containsKey(KEY, { authData: {} })).toBe(false);
    expect(containsKey(KEY, { authData: { apiKey: '  ' } })).toBe(false);
    expect(containsKey(`x ${KEY.toUpperCase()} y`, { authData: { apiKey: KEY } })).toBe(true);
  });
});

describe('message wording', () => {
  it("names a request by the body's text fields only, the path parameters winning", () => {
    expect(
      wordingValues(
        { groupId: 'g-1', memberId: 'm-path' },
        {
          memberId: 'm-body',
          email: 'ada@example.com',
          count: 3,
          flag: true,
          none: null,
          deep: { a: 'b' },
        },
      ),
    ).toEqual({ groupId: 'g-1', memberId: 'm-path', email: 'ada@example.com' });
  });
});
