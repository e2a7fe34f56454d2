import { createHmac } from 'node:crypto';
import type { Bundle, ZObject } from 'zapier-platform-core';
import App from '../../../index';
import { KEY, uuid } from '../../tester';

/** Shared by the instant-trigger tests: deliveries and bundles as Sotion and Zapier make them. */

export const SECRET = 'whsec_0123456789abcdef0123456789abcdef';
export const SUB_ID = uuid(900);
export const TARGET = 'https://hooks.zapier.com/hooks/standard/1/abc/';

type HookOp = {
  perform: (z: ZObject, bundle: Bundle) => Promise<Array<Record<string, unknown>>>;
  performList: (z: ZObject, bundle: Bundle) => Promise<Array<Record<string, unknown>>>;
  performSubscribe: (z: ZObject, bundle: Bundle) => Promise<{ id: string; secret: string }>;
  performUnsubscribe: (z: ZObject, bundle: Bundle) => Promise<Record<string, unknown>>;
  sample: Record<string, unknown>;
  outputFields: Array<{ key: string }>;
  inputFields: Array<{ key: string }>;
  type: string;
};

/** The operation functions of a registered trigger, as Zapier calls them. */
export const hookOp = (key: string): HookOp => {
  const trigger = (App.triggers as Record<string, { operation: unknown }>)[key];
  if (!trigger) throw new Error(`no trigger ${key}`);
  return trigger.operation as HookOp;
};

export const sign = (raw: string, secret = SECRET) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

export const envelope = (type: string, data: unknown, id = uuid(500)) =>
  JSON.stringify({
    id,
    type,
    timestamp: '2026-05-07T10:00:00.000Z',
    version: '1',
    siteId: uuid(1),
    data,
  });

/** Zapier's parsed body: the JSON object, or the text under `content` when it is not JSON. */
const cleaned = (raw: string): unknown => {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return { content: raw };
  }
};

/** A bundle as Zapier builds it for a REST hook delivery. */
export const hookBundle = (
  raw: string,
  requestHeaders: Record<string, string> = { 'Http-X-Webhook-Signature': sign(raw) },
  subscribeData: Record<string, unknown> = { id: SUB_ID, secret: SECRET },
  inputData: Record<string, unknown> = {},
) =>
  ({
    authData: { apiKey: KEY },
    inputData,
    meta: {},
    targetUrl: TARGET,
    subscribeData,
    rawRequest: {
      method: 'POST',
      querystring: '',
      headers: { 'Http-Content-Type': 'application/json', ...requestHeaders },
      content: raw,
    },
    cleanedRequest: cleaned(raw),
  }) as unknown as Partial<Bundle>;

/** Runs `fn` with core's logger printing to stdout, and returns every printed line. */
export const captureLogs = async <T>(
  fn: () => Promise<T>,
): Promise<{ lines: string; result?: T; error?: unknown }> => {
  const printed: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map(String).join(' '));
  });
  process.env.LOG_TO_STDOUT = '1';
  process.env.DETAILED_LOG_TO_STDOUT = '1';
  try {
    const result = await fn();
    return { lines: printed.join('\n'), result };
  } catch (error) {
    return { lines: printed.join('\n'), error };
  } finally {
    delete process.env.LOG_TO_STDOUT;
    delete process.env.DETAILED_LOG_TO_STDOUT;
    spy.mockRestore();
  }
};

/** A member as Sotion sends it, in access group 7 unless `over` says otherwise. */
export const member = (n: number, over: Record<string, unknown> = {}) => ({
  id: uuid(n),
  email: `m${n}@example.com`,
  displayName: `Member ${n}`,
  status: 'active',
  verified: true,
  paid: false,
  registeredAt: '2026-05-01T00:00:00.000Z',
  lastLoginAt: null,
  createdAt: '2026-05-01T00:00:00.000Z',
  updatedAt: '2026-05-02T00:00:00.000Z',
  accessGroups: [{ id: uuid(7), name: 'Group 7' }],
  ...over,
});
