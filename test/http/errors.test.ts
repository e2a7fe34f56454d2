import { errors, type Bundle, type ZObject } from 'zapier-platform-core';
import { SotionClient } from '../../src/http/client';
import {
  apiMessageOf,
  containsKey,
  errorInfo,
  plainMessage,
  redact,
  shorten,
  withInfo,
} from '../../src/http/errors';
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

describe('error text helpers', () => {
  it.each([
    ['{"error":"Missing API key"}', 'Missing API key'],
    ['{"error":{"code":"x","message":"Bad name"}}', 'Bad name'],
    ['{"message":"Top level"}', 'Top level'],
    ['{"error":{"code":"x"}}', undefined],
    ['{"error":""}', undefined],
    ['42', undefined],
    ['null', undefined],
    ['Service Unavailable', 'Service Unavailable'],
    ['<html><body>502</body></html>', undefined],
    ['', undefined],
    ['x'.repeat(201), undefined],
    ['x'.repeat(200), 'x'.repeat(200)],
    ['  Bad Gateway \n', 'Bad Gateway'],
    ['{"error":{"message":"Nested"},"message":"Top"}', 'Nested'],
    ['{"error":null,"message":"Top"}', 'Top'],
  ])('apiMessageOf(%j) = %j', (content, expected) => {
    expect(apiMessageOf(content)).toBe(expected);
  });

  it('cuts long messages to 300 characters', () => {
    expect(apiMessageOf(JSON.stringify({ error: 'y'.repeat(400) }))).toHaveLength(300);
    expect(apiMessageOf(JSON.stringify({ error: { message: 'z'.repeat(400) } }))).toHaveLength(300);
    expect(shorten('a'.repeat(80))).toBe('a'.repeat(80));
    expect(shorten('a'.repeat(81))).toBe(`${'a'.repeat(80)}… (81 characters)`);
  });

  it('redacts the connection key and anything shaped like a key', () => {
    expect(
      redact(`key ${KEY} and so_other_secret_value`, { authData: { apiKey: ` ${KEY} ` } }),
    ).toBe('key [redacted key] and so_[redacted]');
    expect(redact('so_abcdef', undefined)).toBe('so_[redacted]');
    expect(redact('no secrets', { authData: {} })).toBe('no secrets');
  });

  it('plainMessage reads z.errors.Error JSON and plain errors alike', () => {
    expect(plainMessage(new errors.Error('Sentence.', 'code', 400))).toBe('Sentence.');
    expect(plainMessage(new Error('plain'))).toBe('plain');
    expect(plainMessage(new Error('{"other":1}'))).toBe('{"other":1}');
    expect(plainMessage('a string')).toBe('a string');
  });

  it('errorInfo only knows errors the pipeline raised', () => {
    const error = withInfo(new Error('x'), { status: 500, transient: true });
    expect(errorInfo(error)).toEqual({ status: 500, transient: true });
    expect(errorInfo(new Error('y'))).toBeUndefined();
    expect(errorInfo('text')).toBeUndefined();
    expect(errorInfo(null)).toBeUndefined();
  });
});
