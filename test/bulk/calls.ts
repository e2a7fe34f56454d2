import { SotionClient } from '../../src/http/client';

/**
 * Every request a step sends through the one pipeline (SotionClient.call), in order, as
 * "METHOD path?query" with the path filled in: what tests of read-only runs (a dry run, a guard
 * that trips) check holds no write at all. Call once per test file; the array is emptied before
 * each test.
 */
export const recordCalls = (): string[] => {
  const sent: string[] = [];
  const call = SotionClient.prototype.call;
  beforeAll(() => {
    SotionClient.prototype.call = function (this: SotionClient, ep, args) {
      const params: Record<string, string> = args.params ?? {};
      const path = ep.path.replace(/\{(\w+)\}/g, (_, key: string) => params[key] ?? key);
      const query = Object.entries(args.query ?? {})
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${String(value)}`)
        .join('&');
      sent.push(`${ep.method} ${path}${query ? `?${query}` : ''}`);
      return call.call(this, ep, args as never);
    } as typeof call;
  });
  afterAll(() => {
    SotionClient.prototype.call = call;
  });
  beforeEach(() => {
    sent.length = 0;
  });
  return sent;
};

/** Whether every request was a read. */
export const onlyReads = (sent: string[]): boolean => sent.every((r) => r.startsWith('GET '));
