/**
 * What the unit tests share: nock, which answers for Sotion and refuses any request it was not
 * told to expect (a failing test's output names it), and fails a test whose expected requests
 * were not all made ("Requests expected but not made"); the pipeline's headers, and list pages. The end-to-end tests, which talk to the
 * sandbox over real HTTP, import ./tester instead (everything here but nock), and so run without
 * nock's interception of every request.
 */
import nock from 'nock';
import { version as coreVersion } from 'zapier-platform-core';
import { APP_VERSION } from '../src/http/config';
import type { AccessGroup } from '../src/api/schemas';
import { KEY, uuid } from './tester';

export * from './tester';

nock.disableNetConnect();
// The integration reports a refused request as Sotion not being reached; this names the request,
// in the output a failing test prints.
nock.emitter.on('no match', (req: { method?: string; path?: string; href?: string }) =>
  console.error(`nock: no interceptor for ${req.method ?? ''} ${req.href ?? req.path ?? ''}`),
);

export const BASE = 'https://api.sotion.so';
export const PREFIX = '/api/v1';

/** A nock scope that only matches requests carrying exactly the headers the pipeline adds. */
export const api = (key: string = KEY) =>
  nock(BASE, {
    reqheaders: {
      authorization: `Bearer ${key}`,
      accept: 'application/json',
      // Core prefixes "Zapier, " to whatever User-Agent the integration sets.
      'user-agent': `Zapier, sotion-zapier/${APP_VERSION} zapier-platform-core/${coreVersion}`,
    },
  });

export const rid = (n: number | string) => `req-${n}`;

/** Headers every Sotion response carries. */
export const headers = (n: number | string = 1, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-request-id': rid(n),
  'x-ratelimit-limit': '100',
  'x-ratelimit-remaining': '99',
  'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
  ...extra,
});

/** A list response body as Sotion sends it: one page, and a cursor when more follow. */
export const pageOf = <T>(items: T[], nextCursor: string | null = null) => ({
  data: items,
  pagination: { hasMore: nextCursor !== null, nextCursor },
});

let seq = 0;

/** A read of a group's member list, from its first page or from the cursor `after`. */
export const groupListRead = (groupId: string, after?: string) =>
  api()
    .get(`${PREFIX}/access-groups/${groupId}/members`)
    .query(after === undefined ? { limit: '100' } : { limit: '100', after });

export const group = (n: number, over: Partial<AccessGroup> = {}): AccessGroup => ({
  id: uuid(n),
  name: `Group ${n}`,
  description: null,
  type: 'custom',
  memberCount: 0,
  createdAt: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
  updatedAt: null,
  ...over,
});

export const nextId = () => {
  seq += 1;
  return seq;
};

afterEach(async () => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  if (pending.length) throw new Error(`Requests expected but not made: ${pending.join(', ')}`);
});
