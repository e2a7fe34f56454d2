/**
 * The Sotion API v1 sandbox: routing and what cuts across routes (auth, the rate limit, faults).
 * Each resource's routes are in ./routes, webhook deliveries in ./deliveries.ts and the control
 * endpoint in ./control.ts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createControl } from './control';
import { DECISIONS, DEFAULT_BEHAVIOUR, type Behaviour } from './decisions';
import { createDeliveries } from './deliveries';
import { createFiles, type Files } from './files';
import { FaultDice, NO_FAULTS, takeEmptyPage, type Faults } from './faults';
import { HttpError, readBody, send, sleep, type Reply } from './http';
import { DEFAULT_SETTINGS, type SandboxSettings } from './options';
import { RateLimiter } from './rate-limit';
import { accessGroupRoutes } from './routes/access-groups';
import type { Route, RouteContext } from './routes/context';
import { groupMemberRoutes } from './routes/group-members';
import { memberRoutes } from './routes/members';
import { siteRoutes } from './routes/site';
import { webhookRoutes } from './routes/webhooks';
import { resetStats, type Stats } from './stats';
import { Store } from './store';

export { NO_FAULTS, type Faults } from './faults';
export type { SandboxSettings } from './options';
export type { Stats } from './stats';

export interface SandboxOptions extends Partial<SandboxSettings> {
  port?: number;
  host?: string;
  store?: Store;
  behaviour?: Partial<Behaviour>;
  faults?: Partial<Faults>;
  /** Delays between webhook delivery attempts. */
  webhookRetryDelaysMs?: number[];
  /** The path the API is served under, and only there (default /api/v1; /v1 is the variant). */
  apiPrefix?: string;
}

export interface Sandbox {
  /** The API base URL, e.g. http://127.0.0.1:4010/api/v1 (…/v1 with apiPrefix '/v1'). */
  url: string;
  origin: string;
  port: number;
  store: Store;
  behaviour: Behaviour;
  faults: Faults;
  /** Rate limit and webhook URL rules; changeable while running, like behaviour and faults. */
  settings: SandboxSettings;
  stats: Stats;
  /** Files served under /__sandbox/files (sandbox/files.ts), and the requests for them. */
  files: Files;
  resetStats(): void;
  close(): Promise<void>;
}

const STATUS_TEXT = { 503: 'Service temporarily unavailable.', 404: 'Not found.' };

/** Each resource's routes (reference §2), registered in this order. */
export const RESOURCE_ROUTES = [
  siteRoutes,
  accessGroupRoutes,
  groupMemberRoutes,
  memberRoutes,
  webhookRoutes,
];

export const startSandbox = async (options: SandboxOptions = {}): Promise<Sandbox> => {
  const store = options.store ?? new Store();
  const prefix = options.apiPrefix ?? DECISIONS.basePath;
  const behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const faults: Faults = { ...NO_FAULTS, ...options.faults };
  const settings: SandboxSettings = {
    rateLimit: options.rateLimit ?? DEFAULT_SETTINGS.rateLimit,
    rateWindowSeconds: options.rateWindowSeconds ?? DEFAULT_SETTINGS.rateWindowSeconds,
    allowLoopbackHttpWebhooks:
      options.allowLoopbackHttpWebhooks ?? DEFAULT_SETTINGS.allowLoopbackHttpWebhooks,
  };
  const stats = resetStats({} as Stats);
  const dice = new FaultDice(faults);
  const limiter = new RateLimiter(settings);
  let throttleResetAt = 0;
  const deliveries = createDeliveries(
    options.webhookRetryDelaysMs ?? [1000, 2000, 4000],
    () => stats.deliveries,
  );

  const files = createFiles();
  const routes: Route[] = [];
  const context: RouteContext = {
    behaviour,
    faults,
    settings,
    deliveries,
    prefix,
    faulted: (kind) => (stats.faults[kind] += 1),
    route: (method, pattern, handler, list = false) =>
      routes.push({
        method,
        pattern: new RegExp(`^${pattern.replace(/:\w+/g, '([^/]+)')}$`),
        handler,
        list,
      }),
  };
  for (const register of RESOURCE_ROUTES) register(context);

  const control = createControl({
    store,
    stats,
    behaviour,
    faults,
    settings,
    deliveries,
    restart: () => {
      limiter.clear();
      dice.clear();
    },
  });

  const errorBody = (message: string, code: string) =>
    behaviour.errorShape === 'string' ? { error: message } : { error: { code, message } };

  const handleControl = (res: ServerResponse, method: string, path: string, body: unknown) => {
    let reply: Reply;
    try {
      reply = control(method, path, (body ?? {}) as Record<string, unknown>);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      reply = { status, body: { error: error instanceof Error ? error.message : String(error) } };
    }
    send(res, reply, { 'x-request-id': randomUUID() });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    // Files are bytes, not JSON: served before the body is read as text.
    if (await files.handle(req, res, url, `http://${req.headers.host ?? 'sandbox'}`)) return;
    const rawBody = await readBody(req);
    let body: unknown = undefined;
    const base: Record<string, string> = { 'x-request-id': randomUUID() };
    if (rawBody.trim()) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        send(
          res,
          { status: 400, body: errorBody('Body is not valid JSON.', 'invalid_json') },
          base,
        );
        return;
      }
    }
    if (url.pathname.startsWith('/__sandbox/'))
      return handleControl(res, method, url.pathname.slice('/__sandbox'.length), body);

    stats.total += 1;
    // Outside the API's path nothing is served: the web server's own 404 page, not Sotion's
    // error body, with no rate-limit or request-id headers (see DECISIONS.basePath).
    if (!url.pathname.startsWith(`${prefix}/`)) {
      const routeKey = `${method} ${url.pathname.replace(/[0-9a-f-]{36}/gi, ':id')} (not served)`;
      stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>',
      );
      return;
    }
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const site = key ? store.siteForKey(key) : undefined;
    const draws = dice.draw(method, url.pathname + url.search, rawBody, site);
    if (faults.latencyMs || faults.jitterMs)
      await sleep(faults.latencyMs + draws.jitter * faults.jitterMs);

    // X-RateLimit-* go on every API answer, errors and 429s included.
    const rate = limiter.check(key || 'anonymous');
    const headers = { ...base, ...rate.headers };
    const fail = (
      status: number,
      message: string,
      code: string,
      extra: Record<string, string> = {},
    ) => send(res, { status, body: errorBody(message, code), headers: extra }, headers);

    const path = url.pathname.slice(prefix.length);
    const match = routes
      .map((route) => ({ route, params: route.pattern.exec(path) }))
      .find((r) => r.params && r.route.method === method);
    // A look-up by email is counted apart from reading pages of the member list.
    const lookup = method === 'GET' && path === '/members' && url.searchParams.has('email');
    const routeKey = `${method} ${path.replace(/[0-9a-f-]{36}/gi, ':id')}${lookup ? '?email' : ''}`;
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;

    if (!key) return fail(DECISIONS.authFailureStatus, DECISIONS.missingKeyMessage, 'unauthorized');
    if (!site)
      return fail(DECISIONS.authFailureStatus, DECISIONS.invalidKeyMessage, 'unauthorized');

    const throttled = (reason: 'throttle' | 'rateLimited', resetAt: number) => {
      stats.faults[reason] += 1;
      const seconds = Math.max(0, Math.ceil((resetAt - Date.now()) / 1000));
      const extra: Record<string, string> = {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
      };
      if (behaviour.throttle === 'retry-after') extra['retry-after'] = String(seconds);
      return fail(429, 'Too many requests.', 'rate_limited', extra);
    };
    if (faults.throttleBurst > 0) {
      faults.throttleBurst -= 1;
      if (throttleResetAt < Date.now())
        throttleResetAt = Date.now() + faults.throttleResetSeconds * 1000;
      return throttled('throttle', throttleResetAt);
    }
    // The reset as sent (whole seconds, rounded up), so Retry-After never ends before it.
    if (rate.exceeded) return throttled('rateLimited', Math.ceil(rate.resetAt / 1000) * 1000);
    if (draws.fail < faults.failRate) {
      stats.faults.fail += 1;
      return fail(503, STATUS_TEXT[503], 'unavailable');
    }
    if (!match) return fail(404, STATUS_TEXT[404], 'not_found');

    let reply: Reply;
    try {
      if (match.route.list && takeEmptyPage(faults)) {
        // A hostile API: nothing on this page, yet always another page to fetch.
        stats.faults.emptyPage += 1;
        reply = {
          status: 200,
          body: { data: [], pagination: { hasMore: true, nextCursor: randomUUID() } },
        };
      } else {
        reply = match.route.handler(
          site,
          match.params!.slice(1).map(decodeURIComponent),
          url.searchParams,
          body,
        );
      }
    } catch (error) {
      if (error instanceof HttpError)
        return fail(error.status, error.message, error.code, error.headers);
      return fail(500, 'Internal error.', 'internal');
    }
    // Faults after the work was done: the client cannot know whether it happened.
    if (draws.reset < faults.resetRate) {
      stats.faults.reset += 1;
      req.socket.destroy();
      return;
    }
    if (draws.slow < faults.slowRate) {
      stats.faults.slow += 1;
      await sleep(faults.slowMs);
    }
    const malformed = reply.body !== undefined && draws.malformed < faults.malformedRate;
    if (malformed) stats.faults.malformed += 1;
    send(res, reply, headers, malformed);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 1000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: `${origin}${prefix}`,
    origin,
    port,
    store,
    behaviour,
    faults,
    settings,
    stats,
    files,
    resetStats: () => resetStats(stats),
    close: async () => {
      await deliveries.settle(200);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
