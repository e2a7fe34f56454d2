import type { ZObject } from 'zapier-platform-core';
import { errors } from 'zapier-platform-core';
import { looksNewestFirst, newestFirst } from '../src/api/access-groups';
import { progressSentence, summarize } from '../src/bulk/output';
import type { MemberResult } from '../src/bulk/state';
import { isNetworkError } from '../src/http/client';
import {
  apiMessageOf,
  errorInfo,
  plainMessage,
  redact,
  shorten,
  withInfo,
} from '../src/http/errors';
import { toBool, toIds, toList, toText } from '../src/zap/input';
import { group, KEY, messageOf } from './helpers';

const z = { errors } as unknown as ZObject;

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

  it('recognises network failures from node-fetch and sockets', () => {
    const fetchError = Object.assign(new Error('x'), { name: 'FetchError' });
    expect(isNetworkError(fetchError)).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { type: 'request-timeout' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { type: 'body-timeout' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'EWHATEVER' }))).toBe(false);
    expect(isNetworkError(new Error('x'))).toBe(false);
    expect(isNetworkError('ECONNRESET')).toBe(false);
    expect(
      isNetworkError(
        withInfo(Object.assign(new Error('x'), { name: 'FetchError' }), { transient: true }),
      ),
    ).toBe(false);
  });
});

describe('input coercion', () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ['YES', true],
    ['no', false],
    [' on ', true],
    ['off', false],
    ['', undefined],
    ['  ', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('toBool(%j) = %j', (value, expected) => {
    expect(toBool(z, value, 'Paid')).toBe(expected);
  });

  it.each([[2], ['maybe'], [{}], [[true]]])('toBool(%j) names the field', (value) => {
    expect(() => toBool(z, value, 'Paid')).toThrow(/Paid must be true or false/);
  });

  it('toText and toList accept numbers and booleans, split lists, refuse objects', () => {
    expect(toText(z, 12, 'N')).toBe('12');
    expect(toText(z, false, 'N')).toBe('false');
    expect(toText(z, '  ', 'N')).toBeUndefined();
    expect(() => toText(z, ['a'], 'N')).toThrow('N must be text; it was [\\"a\\"].');
    expect(toList(z, 'a, b;c', 'L')).toEqual(['a', 'b', 'c']);
    // Spaces split only IDs: words that are not IDs (a group's name) stay one value.
    expect(toList(z, ['a', null, ' ', 'b c'], 'L')).toEqual(['a', 'b c']);
    expect(toList(z, '', 'L')).toEqual([]);
    expect(toList(z, null, 'L')).toEqual([]);
  });

  it('toIds lowercases, removes repeats and lists every bad id', () => {
    const id = '3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10';
    expect(toIds(z, [id, id.toUpperCase(), id], 'Groups')).toEqual([id]);
    let message = '';
    try {
      toIds(z, 'x, y', 'Groups');
    } catch (error) {
      message = messageOf(error);
    }
    expect(message).toMatch(/"x", "y" are not\./);
  });
});

describe('ordering', () => {
  it('newestFirst breaks ties by id, both ways', () => {
    const a = group(1, { createdAt: '2026-01-01T00:00:00Z' });
    const b = group(2, { createdAt: '2026-01-01T00:00:00Z' });
    expect([a, b].sort(newestFirst).map((g) => g.id)).toEqual([b.id, a.id]);
    expect([b, a].sort(newestFirst).map((g) => g.id)).toEqual([b.id, a.id]);
    expect(newestFirst(a, a)).toBe(0);
    expect(Math.sign(newestFirst(a, b))).toBe(1);
    expect(Math.sign(newestFirst(b, a))).toBe(-1);
  });

  it('newestFirst goes by createdAt before the id, and puts undated groups last', () => {
    // The newer group has the smaller id: only the dates can put it first.
    const newer = group(1, { createdAt: '2026-03-01T00:00:00Z' });
    const older = group(2, { createdAt: '2026-01-01T00:00:00Z' });
    const undated = group(3, { createdAt: null });
    expect([older, undated, newer].sort(newestFirst).map((g) => g.id)).toEqual([
      newer.id,
      older.id,
      undated.id,
    ]);
    expect([undated, newer, older].sort(newestFirst).map((g) => g.id)).toEqual([
      newer.id,
      older.id,
      undated.id,
    ]);
  });

  it('looksNewestFirst needs a strictly falling sequence with known dates', () => {
    expect(looksNewestFirst([group(3), group(2), group(1)])).toBe(true);
    expect(looksNewestFirst([group(3), group(3), group(2)])).toBe(true);
    expect(looksNewestFirst([group(1), group(2)])).toBe(false);
    expect(looksNewestFirst([group(1), group(1, { id: 'other' })])).toBe(false);
    expect(looksNewestFirst([group(2), group(1, { createdAt: null })])).toBe(false);
    expect(looksNewestFirst([group(1)])).toBe(false);
  });
});

describe('bulk summary sentences', () => {
  const row = (status: MemberResult['status'], i: number): MemberResult => ({
    email: `m${i}@example.com`,
    source: `email list entry ${i}`,
    status,
    memberId: null,
    reason: 'r',
  });
  it('counts every outcome', () => {
    const results = [
      row('created', 1),
      row('added_to_groups', 2),
      row('existing', 3),
      row('invalid', 4),
      row('duplicate', 5),
      row('failed', 6),
    ];
    const out = summarize(
      { results, apiRequests: 3, notSent: 0, lookups: 0, memberPages: 0, isolated: 0 },
      [],
    );
    expect(out.apiRequests).toBe(3);
    expect(progressSentence(out)).toBe(
      'Of 6 emails: 1 created, 2 already members (1 of them added to the groups), 1 invalid, 1 duplicates in the input, 1 failed.',
    );
    const one = summarize(
      {
        results: [row('created', 1)],
        apiRequests: 1,
        notSent: 0,
        lookups: 0,
        memberPages: 0,
        isolated: 0,
      },
      [],
    );
    expect(progressSentence(one)).toBe('Of 1 email: 1 created, 0 already members.');
    const updated = summarize(
      {
        results: [row('updated', 1), row('existing', 2)],
        apiRequests: 2,
        notSent: 0,
        lookups: 0,
        memberPages: 0,
        isolated: 0,
      },
      [],
    );
    expect(progressSentence(updated)).toBe(
      'Of 2 emails: 0 created, 2 already members (1 of them updated).',
    );
  });
});
