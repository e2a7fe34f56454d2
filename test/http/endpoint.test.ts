import { z } from 'zod';
import { Empty } from '../../src/api/schemas';
import { endpoint, fill, word, wordingValues, wordRequest } from '../../src/http/endpoint';

describe('endpoint()', () => {
  it('splits the route into method and path, and keeps the schema and every option', () => {
    const schema = z.object({ data: z.string() });
    const siteLimit = { lane: 'x', count: 5, perSeconds: 60 };
    expect(
      endpoint('POST /access-groups/{groupId}/members', schema, {
        what: 'member {memberId} to access group {groupId}',
        verb: 'adding',
        expect: [409],
        replay: 'safe',
        forbidden: 'no',
        throttled: 'limit',
        throttledSays: 'says',
        notFound: 'gone',
        notFoundWhich: { group: 'g' },
        siteLimit,
      }),
    ).toEqual({
      method: 'POST',
      path: '/access-groups/{groupId}/members',
      schema,
      what: 'member {memberId} to access group {groupId}',
      verb: 'adding',
      expect: [409],
      replay: 'safe',
      forbidden: 'no',
      throttled: 'limit',
      throttledSays: 'says',
      notFound: 'gone',
      notFoundWhich: { group: 'g' },
      siteLimit,
    });
  });

  it('defaults POST to unsafe and the rest to safe', () => {
    expect(endpoint('POST /x', Empty, { what: 'x' }).replay).toBe('unsafe');
    expect(endpoint('PATCH /x', Empty, { what: 'x' }).replay).toBe('safe');
    expect(endpoint('GET /x', Empty, { what: 'x' }).replay).toBe('safe');
    expect(endpoint('DELETE /x', Empty, { what: 'x' }).replay).toBe('safe');
    expect(endpoint('GET /x', Empty, { what: 'x' }).expect).toEqual([]);
    expect(endpoint('POST /x', Empty, { what: 'x', replay: 'conflict' }).replay).toBe('conflict');
  });
});

describe('filling and wording', () => {
  it('fills placeholders, encoding path segments only when asked', () => {
    expect(fill('/m/{memberId}', { memberId: 'a b/c' }, encodeURIComponent)).toBe('/m/a%20b%2Fc');
    expect(fill('member {memberId}', { memberId: 'a b' })).toBe('member a b');
    expect(fill('/g/{groupId}/m/{memberId}', { groupId: 'g1', memberId: 'm1' })).toBe('/g/g1/m/m1');
    expect(() => fill('/m/{memberId}', {})).toThrow(
      'Missing path parameter "memberId" in /m/{memberId}',
    );
  });

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
    expect(wordingValues({ groupId: 'g' }, undefined)).toEqual({ groupId: 'g' });
    expect(wordingValues({}, 'text')).toEqual({});
  });

  it('word() puts the values in, and a placeholder without one reads as its name', () => {
    expect(word('member {memberId} of {groupId}', { memberId: 'm1' })).toBe('member m1 of groupId');
  });

  it("wordRequest() speaks of the method's verb unless the endpoint names its own", () => {
    const values = { groupId: 'g1' };
    const as = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', verb?: string) =>
      wordRequest({ method, what: 'access group {groupId}', verb }, values);
    expect(as('GET')).toEqual({ action: 'reading', target: 'access group g1' });
    expect(as('POST')).toEqual({ action: 'creating', target: 'access group g1' });
    expect(as('PATCH')).toEqual({ action: 'updating', target: 'access group g1' });
    expect(as('DELETE')).toEqual({ action: 'deleting', target: 'access group g1' });
    expect(as('POST', 'adding')).toEqual({ action: 'adding', target: 'access group g1' });
  });
});
