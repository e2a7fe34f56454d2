import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Behaviour } from '../../sandbox/decisions';
import {
  startSandbox,
  type Faults,
  type Sandbox,
  type SandboxOptions,
  type SandboxSettings,
} from '../../sandbox/server';
import { DEMO_KEY, type SiteData } from '../../sandbox/store';

/**
 * Starts an in-process sandbox on a free loopback port for a describe block and points the
 * integration at it, over real HTTP (no nock). Sockets reach loopback only (test/setup-env.ts).
 */
export const useSandbox = (options: SandboxOptions = {}): (() => Sandbox) => {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimit: 100_000, ...options });
    // The documented base on the sandbox's host, whatever path the sandbox serves the API under:
    // the integration finds the API there as it would find Sotion's (src/http/config.ts).
    process.env.SOTION_API_BASE_URL = `${sandbox.origin}/api/v1`;
  });
  afterAll(async () => {
    delete process.env.SOTION_API_BASE_URL;
    await sandbox?.close();
  });
  return () => {
    if (!sandbox) throw new Error('sandbox not started');
    return sandbox;
  };
};

export const demoSite = (sandbox: Sandbox): SiteData => {
  const site = sandbox.store.siteForKey(DEMO_KEY);
  if (!site) throw new Error('demo site missing');
  return site;
};

export const groupByName = (site: SiteData, name: string) => {
  const group = site.groups.find((g) => g.name === name);
  if (!group) throw new Error(`no group ${name}`);
  return group;
};

export const e2eBundle = (
  inputData: Record<string, unknown>,
  meta: Record<string, unknown> = {},
  apiKey = DEMO_KEY,
) => ({
  authData: { apiKey },
  inputData: inputData as never,
  meta,
});

/** Checks of the sandbox's state after a bulk add: each email once, in every group. */
export const expectMembersInGroups = (site: SiteData, emails: string[], groupIds: string[]) => {
  for (const email of emails) {
    const matches = site.members.filter((m) => m.email === email);
    expect([email, matches.length]).toEqual([email, 1]);
    for (const groupId of groupIds) {
      expect([email, groupId, (site.memberships[groupId] ?? []).includes(matches[0]!.id)]).toEqual([
        email,
        groupId,
        true,
      ]);
    }
  }
  const all = site.members.map((m) => m.email);
  expect(new Set(all).size).toBe(all.length);
  for (const groupId of groupIds) {
    const ids = site.memberships[groupId] ?? [];
    expect(new Set(ids).size).toBe(ids.length);
  }
};

/** A bulk input of `size` emails with duplicates, invalid addresses and existing members. */
export const bulkInput = (size: number, existing: string[]) => {
  const fresh = Array.from({ length: size }, (_, i) => `person${i}@example.org`);
  const duplicates = fresh.slice(0, Math.ceil(size / 100)).map((e) => e.toUpperCase());
  const invalid = Array.from({ length: Math.ceil(size / 50) }, (_, i) => `broken${i}@@example.org`);
  return {
    fresh,
    duplicates,
    invalid,
    existing,
    emails: [...fresh, ...existing, ...duplicates, ...invalid],
  };
};

/** A plain HTTP call to the sandbox's API (fixtures and contract tests; not the integration). */
export const http = async (
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  key: string | null = DEMO_KEY,
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> => {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(sandbox.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: callers read `text`
  }
  return { status: response.status, headers: response.headers, json, text };
};

/**
 * Changes a running sandbox's behaviour, faults or settings through POST /__sandbox/config, as a
 * separate process would (e.g. `{behaviour: {removeNotInGroup: 204}, faults: {emptyPagesLoop: 3},
 * rateLimit: 5, rateWindowSeconds: 1, allowLoopbackHttpWebhooks: true}`). Throws on a refused value.
 */
export const configure = async (
  sandbox: Sandbox,
  patch: {
    behaviour?: Partial<Behaviour>;
    faults?: Partial<Faults>;
  } & Partial<SandboxSettings>,
): Promise<void> => {
  const response = await fetch(`${sandbox.origin}/__sandbox/config`, {
    method: 'POST',
    body: JSON.stringify(patch),
  });
  if (response.status !== 200) throw new Error(`sandbox config refused: ${await response.text()}`);
};

export interface Delivery {
  /** The path and query the delivery was posted to (one receiver can stand for several Zaps). */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook receiver on a free loopback port for a describe block: it records every delivery
 * and answers the n-th (from 0) with `status(n)`.
 */
export const useReceiver = (status: (n: number) => number = () => 200) => {
  const received: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(status(received.length - 1)).end();
    });
  });
  beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return {
    received,
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    /** Waits (up to 2 s) until `count` deliveries arrived. */
    until: async (count: number) => {
      for (let i = 0; i < 100 && received.length < count; i += 1)
        await new Promise((r) => setTimeout(r, 20));
      return received;
    },
  };
};

/** Puts a file on the sandbox's file route (as a drive would serve it); returns its URL. */
export const putFile = async (sandbox: Sandbox, name: string, body: string) => {
  const response = await fetch(
    `${sandbox.origin}/__sandbox/files?name=${encodeURIComponent(name)}`,
    { method: 'POST', headers: { 'content-type': 'text/csv' }, body },
  );
  if (response.status !== 201) throw new Error(`sandbox refused the file: ${response.status}`);
  return ((await response.json()) as { url: string }).url;
};
