/**
 * A stand-in for the parts of Zapier a flood of Zap runs depends on, for `bench/flood.ts` and its
 * test: z.cache as Zapier's RPC serves it (honouring `nx`, TTL and scope, unlike the in-memory
 * mock of createAppTester, which ignores all three), and Zapier's replay of a ThrottledError
 * after the delay it names, up to a number of tries.
 *
 * The cache sits at core's own boundary: core sends every z.cache call as an RPC (`zcache_get`,
 * `zcache_set`, `zcache_delete`) to `event.rpc_base`, here a loopback server. The connection is
 * named in the RPC path, so `scope: ['auth']` keeps each connection's keys apart as Zapier does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Entry {
  value: string;
  expiresAt: number;
}

export interface CacheDouble {
  /** The `rpc_base` for runs of one connection (one Sotion API key). */
  rpcBase(connection: string): string;
  /** RPC calls answered, by method. */
  calls: Record<string, number>;
  /** `nx` sets refused because the key existed (each is a claim another run had won). */
  nxRefused: number;
  close(): Promise<void>;
}

/** Zapier documents no default TTL; a day keeps the double from growing without limit. */
const DEFAULT_TTL_S = 86_400;

/**
 * Starts the cache double on a free loopback port. `latencyMs` delays every answer, as a round
 * trip to Zapier's RPC service would (unknown; a few tens of milliseconds is plausible).
 */
export const startCacheDouble = async (
  options: { latencyMs?: number; now?: () => number } = {},
): Promise<CacheDouble> => {
  const now = options.now ?? Date.now;
  const store = new Map<string, Entry>();
  const calls: Record<string, number> = {};
  const double = { nxRefused: 0 };
  const live = (key: string): Entry | undefined => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };
  const scoped = (connection: string, key: string, scope: unknown): string => {
    const parts = Array.isArray(scope) ? scope.map(String).sort() : [];
    // 'auth' keys by connection; 'user' by the Zapier user (one user here); none: the app.
    const owner = parts.map((s) => (s === 'auth' ? `auth=${connection}` : 'user=1')).join(',');
    return `${owner}|${key}`;
  };
  const answer = (connection: string, method: string, params: unknown[]): unknown => {
    calls[method] = (calls[method] ?? 0) + 1;
    if (method === 'zcache_get') {
      const [key, scope] = params;
      return live(scoped(connection, String(key), scope))?.value ?? null;
    }
    if (method === 'zcache_set') {
      const [key, value, ttl, scope, nx] = params;
      const at = scoped(connection, String(key), scope);
      if (nx === true && live(at)) {
        double.nxRefused += 1;
        return false;
      }
      const seconds = typeof ttl === 'number' ? ttl : DEFAULT_TTL_S;
      store.set(at, { value: String(value), expiresAt: now() + seconds * 1000 });
      return true;
    }
    if (method === 'zcache_delete') {
      const [key, scope] = params;
      const at = scoped(connection, String(key), scope);
      const had = live(at) !== undefined;
      store.delete(at);
      return had;
    }
    throw new Error(`the cache double does not serve ${method}`);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const connection = decodeURIComponent((req.url ?? '/').split('/').pop() ?? '');
      let id: unknown = null;
      let body: unknown;
      try {
        const rpc = JSON.parse(Buffer.concat(chunks).toString()) as {
          id: unknown;
          method: string;
          params: unknown[];
        };
        id = rpc.id;
        body = { id, result: answer(connection, rpc.method, rpc.params) };
      } catch (error) {
        body = { id, error: error instanceof Error ? error.message : String(error) };
      }
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }, options.latencyMs ?? 0);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    rpcBase: (connection) => `http://127.0.0.1:${port}/rpc/${encodeURIComponent(connection)}`,
    calls,
    get nxRefused() {
      return double.nxRefused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** core's createAppHandler(App): runs one invocation from an event, as Zapier's Lambda does. */
export type AppHandler = (event: Record<string, unknown>) => Promise<{ results: unknown }>;

export interface Try {
  /** ms from the flood's start to the try's start, and its duration. */
  startedAt: number;
  ms: number;
  outcome: 'ok' | 'throttled' | 'error';
  /** For a throttle: the delay asked for, in seconds. */
  delay?: number;
  message?: string;
  /** For a replay: how much later than Zapier would have run it the harness started it (its own lag). */
  lagMs?: number;
}

export interface StepResult {
  ok: boolean;
  result?: unknown;
  /** The last error's message when the step failed (tries used up, or an error). */
  message?: string;
  tries: Try[];
}

/** Zapier's time limit per invocation: a try that takes longer would have been killed. */
export const ZAPIER_LIMIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const parseError = (error: unknown): { name: string; message: string; delay?: number } => {
  const name = error instanceof Error ? error.name : 'Error';
  const text = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(text) as { message?: string; delay?: number };
    return { name, message: parsed.message ?? text, delay: parsed.delay };
  } catch {
    return { name, message: text };
  }
};

/**
 * One Zap step as Zapier runs it: invoked, and after a ThrottledError invoked again once the
 * delay it named has passed (no delay: 60 s), up to `tries` invocations. Any other error, or a
 * try longer than Zapier's 30 s, ends the step.
 */
export const runStep = async (
  handler: AppHandler,
  options: {
    method: string;
    bundle: Record<string, unknown>;
    rpcBase: string;
    tries: number;
    /** ms since the flood started (for the record of each try). */
    clock: () => number;
  },
): Promise<StepResult> => {
  const tries: Try[] = [];
  let dueAt: number | undefined;
  for (let n = 1; n <= options.tries; n += 1) {
    const startedAt = options.clock();
    const lagMs = dueAt === undefined ? undefined : Math.max(0, startedAt - dueAt);
    try {
      const { results } = await handler({
        command: 'execute',
        method: options.method,
        bundle: options.bundle,
        rpc_base: options.rpcBase,
      });
      const ms = options.clock() - startedAt;
      if (ms > ZAPIER_LIMIT_MS) {
        tries.push({ startedAt, ms, outcome: 'error', message: 'killed after 30 s', lagMs });
        return { ok: false, message: 'the try ran longer than Zapier allows (30 s)', tries };
      }
      tries.push({ startedAt, ms, outcome: 'ok', lagMs });
      return { ok: true, result: results, tries };
    } catch (error) {
      const ms = options.clock() - startedAt;
      const { name, message, delay } = parseError(error);
      if (name !== 'ThrottledError') {
        tries.push({ startedAt, ms, outcome: 'error', message, lagMs });
        return { ok: false, message, tries };
      }
      tries.push({ startedAt, ms, outcome: 'throttled', delay, message, lagMs });
      if (n === options.tries) return { ok: false, message, tries };
      dueAt = options.clock() + (delay ?? 60) * 1000;
      await sleep((delay ?? 60) * 1000);
    }
  }
  /* istanbul ignore next: the loop always returns */
  return { ok: false, tries };
};
