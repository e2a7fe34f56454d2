import nock from 'nock';

/** core's z.cursor talks to Zapier's RPC endpoint; this stands in for it, keyed by storeKey. */
export const cursorStore = new Map<string, string>();
export const mockCursorRpc = () => {
  process.env.ZAPIER_DEPLOY_KEY = 'unit-test';
  nock('https://rpc.zapier.com')
    .persist()
    .post('/cli', () => true)
    .reply(200, (_uri, body) => {
      // core sends { id, method, storeKey, params: [cursor?] }
      const request = (typeof body === 'string' ? JSON.parse(body) : body) as {
        id: string;
        method: string;
        storeKey?: string;
        params: string[];
      };
      const key = request.storeKey ?? 'no-store-key';
      if (request.method === 'set_cursor') {
        cursorStore.set(key, request.params[0] ?? '');
        return { id: request.id, result: null };
      }
      return { id: request.id, result: cursorStore.get(key) ?? null };
    });
};
