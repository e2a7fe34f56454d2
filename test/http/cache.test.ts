import { ConnectionCache, digestOf, type ScopedCache } from '../../src/http/cache';

/**
 * z.cache as core has it, recording each call: JSON values only (core refuses `undefined`
 * anywhere), `nx` honoured; `failing` makes every call fail as an RPC error does.
 */
const recordingCache = () => {
  const calls: unknown[][] = [];
  const entries = new Map<string, unknown>();
  const state = { failing: false };
  const trip = (call: unknown[]) => {
    calls.push(call);
    if (state.failing) throw new Error('RPC request failed after 3 attempts');
  };
  const encodable = (v: unknown): boolean =>
    v === null ||
    ['string', 'number', 'boolean'].includes(typeof v) ||
    (typeof v === 'object' && Object.values(v as object).every(encodable));
  const cache = {
    get: async (key: string, scope?: string[]) => {
      trip(['get', key, scope]);
      return entries.has(key) ? entries.get(key) : null;
    },
    set: async (key: string, value: unknown, ttl?: number, scope?: string[], nx?: boolean) => {
      trip(['set', key, value, ttl, scope, ...(nx === undefined ? [] : [nx])]);
      if (!encodable(value)) throw new TypeError('Type is not JSON-encodable');
      if (nx && entries.has(key)) return false;
      entries.set(key, value);
      return true;
    },
    delete: async (key: string, scope?: string[]) => {
      trip(['delete', key, scope]);
      return entries.delete(key);
    },
  } satisfies ScopedCache;
  return { cache, calls, entries, state };
};

describe('ConnectionCache', () => {
  it('scopes every call to the connection, and answers "nothing there" as undefined', async () => {
    const { cache, calls } = recordingCache();
    const connection = new ConnectionCache({ cache });
    expect(await connection.get('k')).toBeUndefined();
    expect(await connection.set('k', { a: 1 }, 60)).toBe(true);
    expect(await connection.get('k')).toEqual({ a: 1 });
    await connection.delete('k');
    expect(calls).toEqual([
      ['get', 'k', ['auth']],
      ['set', 'k', { a: 1 }, 60, ['auth']],
      ['get', 'k', ['auth']],
      ['delete', 'k', ['auth']],
    ]);
  });

  it('stores a value as JSON would have it: a field left undefined does not break the cache (core refuses undefined)', async () => {
    const { cache, entries } = recordingCache();
    const connection = new ConnectionCache({ cache });
    expect(await connection.set('k', { a: 1, b: undefined, c: { d: undefined } }, 60)).toBe(true);
    expect(await connection.get('k')).toEqual({ a: 1, c: {} });
    expect(await connection.set('u', undefined, 60)).toBe(true);
    expect(entries.get('u')).toBeNull();
    expect(connection.working).toBe(true);
  });

  it('gives core whole seconds of at least one', async () => {
    const { cache, calls } = recordingCache();
    const connection = new ConnectionCache({ cache });
    await connection.set('a', 1, 0.2);
    await connection.set('b', 1, 10.01);
    await connection.claim('c', 1, -5);
    expect(calls.map((call) => call[3])).toEqual([1, 11, 1]);
  });

  it('a claim stores only when the key is free: exactly one of two claims wins', async () => {
    const { cache, calls } = recordingCache();
    const connection = new ConnectionCache({ cache });
    expect(await connection.claim('lock', { by: 'a' }, 30)).toBe(true);
    expect(await connection.claim('lock', { by: 'b' }, 30)).toBe(false);
    expect(calls).toEqual([
      ['set', 'lock', { by: 'a' }, 30, ['auth'], true],
      ['set', 'lock', { by: 'b' }, 30, ['auth'], true],
    ]);
    expect(await connection.get('lock')).toEqual({ by: 'a' });
  });

  it('after one failed call the run stops asking: reads find nothing, writes and claims say false', async () => {
    const { cache, calls, state } = recordingCache();
    const connection = new ConnectionCache({ cache });
    state.failing = true;
    expect(await connection.get('k')).toBeUndefined();
    expect(connection.working).toBe(false);
    state.failing = false;
    expect(await connection.set('k', 1, 60)).toBe(false);
    expect(await connection.claim('k', 1, 60)).toBe(false);
    expect(await connection.get('k')).toBeUndefined();
    await connection.delete('k');
    expect(calls).toEqual([['get', 'k', ['auth']]]);
  });

  it('a failed write or claim also breaks it, and answers false', async () => {
    for (const call of ['set', 'claim', 'delete'] as const) {
      const { cache, state } = recordingCache();
      const connection = new ConnectionCache({ cache });
      state.failing = true;
      const answer = await connection[call]('k', 1, 60);
      expect(answer).toBe(call === 'delete' ? undefined : false);
      expect(connection.working).toBe(false);
    }
  });
});

describe('digestOf', () => {
  it('is 22 URL-safe characters, the same for the same value and different for another', () => {
    const digest = digestOf({ email: 'ada@example.com', groups: [1, 2] });
    expect(digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(digestOf({ email: 'ada@example.com', groups: [1, 2] })).toBe(digest);
    expect(digestOf({ email: 'ada@example.com', groups: [2, 1] })).not.toBe(digest);
    expect(digest).not.toContain('ada');
    // undefined (no JSON at all) digests like an empty text, not as an error.
    expect(digestOf(undefined)).toBe('47DEQpj8HBSa-_TImW-5JC');
  });
});
