/**
 * Fault draws depend on the seed and the request, not on arrival order: two sandboxes with the
 * same seed, sent the same requests in different orders (one in sequence, one all at once and
 * reversed, with ids that differ between the two), fault the same requests.
 */
import nock from 'nock';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { configure, http } from '../e2e/harness';

beforeAll(() => nock.enableNetConnect('127.0.0.1'));
afterAll(() => nock.disableNetConnect());

const GROUPS = Array.from({ length: 8 }, (_, i) => `Group ${i}`);

interface Call {
  label: string;
  method: string;
  path: (ids: Map<string, string>) => string;
  body?: unknown;
}

/** Each call twice, so the occurrence counter is exercised; ids are looked up per sandbox. */
const CALLS: Call[] = [
  ...GROUPS.map((name) => ({
    label: `GET ${name}`,
    method: 'GET',
    path: (ids: Map<string, string>) => `/access-groups/${ids.get(name)!}`,
  })),
  ...Array.from({ length: 12 }, (_, i) => ({
    label: `GET member ${i}`,
    method: 'GET',
    path: () => `/members?email=person${i}%40example.org`,
  })),
  ...GROUPS.map((name) => ({
    label: `PATCH ${name}`,
    method: 'PATCH',
    path: (ids: Map<string, string>) => `/access-groups/${ids.get(name)!}`,
    body: { description: `about ${name}` },
  })),
].flatMap((call) => [call, call]);

const outcome = async (sandbox: Sandbox, call: Call, ids: Map<string, string>) => {
  try {
    const response = await http(sandbox, call.method, call.path(ids), call.body);
    if (response.status === 503) return 'fail';
    return response.json === undefined ? 'malformed' : `ok ${response.status}`;
  } catch {
    return 'reset';
  }
};

/** label → sorted outcomes of its calls. */
const run = async (seed: number, order: 'forward' | 'reversed-concurrent') => {
  const sandbox = await startSandbox({ rateLimit: 100_000 });
  try {
    const ids = new Map<string, string>();
    const names = order === 'forward' ? GROUPS : [...GROUPS].reverse();
    for (const name of names) {
      const created = await http(sandbox, 'POST', '/access-groups', { name });
      ids.set(name, (created.json as { data: { id: string } }).data.id);
    }
    await configure(sandbox, {
      faults: { failRate: 0.25, malformedRate: 0.25, resetRate: 0.1, seed },
    });
    const calls = order === 'forward' ? CALLS : [...CALLS].reverse();
    const results =
      order === 'forward'
        ? await calls.reduce<Promise<string[]>>(
            async (done, call) => [...(await done), await outcome(sandbox, call, ids)],
            Promise.resolve([]),
          )
        : await Promise.all(calls.map((call) => outcome(sandbox, call, ids)));
    const byLabel: Record<string, string[]> = {};
    calls.forEach((call, i) => (byLabel[call.label] ??= []).push(results[i]!));
    for (const list of Object.values(byLabel)) list.sort();
    return byLabel;
  } finally {
    await sandbox.close();
  }
};

describe('deterministic faults', () => {
  it('the same seed faults the same requests, whatever the order and concurrency', async () => {
    const forward = await run(42, 'forward');
    const reversed = await run(42, 'reversed-concurrent');
    expect(reversed).toEqual(forward);
    const all = Object.values(forward).flat();
    expect(all.filter((o) => o.startsWith('ok')).length).toBeGreaterThan(0);
    expect(all.filter((o) => !o.startsWith('ok')).length).toBeGreaterThan(0);
  });

  it('another seed faults other requests', async () => {
    expect(await run(43, 'forward')).not.toEqual(await run(42, 'forward'));
  });
});
