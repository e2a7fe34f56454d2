import type {
  AfterResponseMiddleware,
  BeforeRequestMiddleware,
  Bundle,
  HttpResponse,
  ZObject,
} from 'zapier-platform-core';
import { USER_AGENT, baseCandidates } from './config';
import {
  apiMessageOf,
  isSotionError,
  redact,
  requestIdOf,
  requestIdSuffix,
  userError,
  withInfo,
} from './errors';
import { KEY_HELP } from './api-key';
import type { RequestContext } from './endpoint';
import { isRaw, rawText } from './raw-body';
import { readRateHeaders } from './rate-gate';

/**
 * The one request pipeline. Every z.request of the integration passes through
 * `addSotionHeaders` and `mapSotionErrors`; no operation sets headers or maps statuses itself.
 */

const isUnder = (url: string, base: string): boolean =>
  url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);

/**
 * True for Sotion's API bases (the documented /api/v1 and the /v1 a connection test may find)
 * and everything under them, not a look-alike host.
 */
export const isSotionUrl = (url: string): boolean =>
  baseCandidates().some((base) => isUnder(url, base));

export const addSotionHeaders: BeforeRequestMiddleware = (request, _z, bundle) => {
  // The key goes only to Sotion's API bases, never to another host.
  if (!isSotionUrl(request.url)) return request;
  const headers: Record<string, string> = {
    ...request.headers,
    Authorization: `Bearer ${(bundle.authData?.apiKey ?? '').trim()}`,
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
  };
  if (request.body !== undefined || request.json !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  request.headers = headers;
  return request;
};

/** Delay for a 429, in seconds: Retry-After first, else X-RateLimit-Reset (Unix seconds). */
export const throttleDelaySeconds = (
  response: Pick<HttpResponse, 'getHeader'>,
  nowMs: number = Date.now(),
): number | undefined => {
  const retryAfter = response.getHeader('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - nowMs) / 1000));
  }
  const reset = Number(response.getHeader('x-ratelimit-reset'));
  if (response.getHeader('x-ratelimit-reset') && Number.isFinite(reset)) {
    return Math.max(0, Math.ceil(reset - nowMs / 1000));
  }
  return undefined;
};

/** Jitter so that many throttled Zaps do not all come back in the same second. */
export const withJitter = (seconds: number, random: () => number = Math.random): number =>
  seconds + 1 + Math.floor(random() * Math.min(30, Math.max(5, seconds * 0.25)));

const DEFAULT_THROTTLE_SECONDS = 60;

/** The wording of a request the client did not describe (none should exist). */
const UNDESCRIBED: RequestContext = {
  action: 'calling',
  target: 'the Sotion API',
  expect: [],
};

const contextOf = (response: HttpResponse): RequestContext => {
  const data = response.request.middlewareData as Partial<RequestContext> | undefined;
  return data?.action && data.target ? { ...UNDESCRIBED, ...data } : UNDESCRIBED;
};

/**
 * Whether a 429 shows it was the endpoint's own limit rather than the site's: Sotion's message
 * says so, or the site's limit still had room (X-RateLimit-Remaining above 0).
 */
const ownLimitShown = (
  context: RequestContext,
  said: string | undefined,
  response: Pick<HttpResponse, 'getHeader'>,
): boolean => {
  const words = context.throttledSays?.toLowerCase();
  if (words && said?.toLowerCase().replace(/[-_]+/g, ' ').includes(words)) return true;
  const remaining = response.getHeader('x-ratelimit-remaining');
  return !!remaining && Number(remaining) > 0;
};

/** Which of several things a 404 means: the one whose word alone Sotion's message holds. */
const missing = (context: RequestContext, said: string | undefined): string | undefined => {
  if (!context.notFoundWhich || !said) return undefined;
  const named = Object.entries(context.notFoundWhich).filter(([word]) =>
    new RegExp(`\\b${word}\\b`, 'i').test(said),
  );
  return named.length === 1 ? named[0]?.[1] : undefined;
};

/**
 * What a 401 means, raised by the client when core's throwForStaleAuth turned one into
 * RefreshAuthError (session auth: before afterResponse sees the response, so neither Sotion's
 * words nor the X-Request-Id are known; Zapier's HTTP log has them). In the connection test the
 * key was not accepted. In a step the connection's key no longer is: ExpiredAuthError (Zapier
 * marks the connection stale and asks for a reconnect) rather than RefreshAuthError, whose refresh
 * (sessionConfig.perform: GET /site with the same key) could only fail the same way.
 */
export const keyRejected = (
  z: ZObject,
  context: Pick<RequestContext, 'action' | 'target' | 'authTest'>,
): Error => {
  const info = { status: 401 };
  if (context.authTest) {
    return userError(
      z,
      'Sotion did not accept this API key (HTTP 401): it is invalid, revoked, or was rolled to a ' +
        `new value. ${KEY_HELP}`,
      'invalid_api_key',
      info,
    );
  }
  return withInfo(
    new z.errors.ExpiredAuthError(
      `Sotion no longer accepts the API key of this connection (HTTP 401) while ${context.action} ` +
        `${context.target}: it was revoked, rolled or deleted. Reconnect Sotion with a current key.`,
    ),
    info,
  );
};

export const mapSotionErrors: AfterResponseMiddleware = (response, z, bundle) => {
  if (response.status < 400) return response;
  // Only Sotion's answers are worded as Sotion's: a file download (a CSV File's host) reads its
  // own statuses (src/files/download.ts).
  if (!isSotionUrl(response.request.url ?? '')) return response;
  // A raw (sensitive) response has no `content`: its body is read once, shared with the client.
  if (isRaw(response)) {
    return rawText(response).then((content) => mapError(response, content, z, bundle));
  }
  return mapError(response, response.content ?? '', z, bundle);
};

const mapError = (
  response: HttpResponse,
  content: string,
  z: ZObject,
  bundle: Bundle,
): HttpResponse => {
  const { status } = response;
  const context = contextOf(response);
  const { action, target } = context;
  const requestId = requestIdOf(response);
  const said = apiMessageOf(content);
  const sotionSays = said ? ` Sotion said: "${redact(said, bundle)}".` : '';
  const suffix = requestIdSuffix(requestId);
  // Every answer's rate-limit headers count, 429s and other errors included.
  const rate = readRateHeaders(response);
  const fail = (message: string, code: string, transient?: boolean): never => {
    throw userError(z, `${message}${sotionSays}${suffix}`, code, {
      status,
      requestId,
      transient,
      rate,
      apiMessage: said ? redact(said, bundle) : undefined,
    });
  };

  if (context.expect.includes(status)) {
    // An outcome the endpoint declares (409 exists, 404 gone): handed to the caller.
    response.skipThrowForStatus = true;
    return response;
  }
  if (status === 409) {
    fail(`Sotion answered 409 Conflict while ${action} ${target}: it already exists.`, 'conflict');
  }
  // No 401 gets here: the app uses session auth, so core's throwForStaleAuth turns every 401
  // into RefreshAuthError before afterResponse runs; the client maps it (`keyRejected`).
  if (status === 403) {
    fail(
      context.forbidden ??
        `Sotion refused access to ${target}. The site's plan may not include this feature, or ` +
          'the API key may not be allowed to do this. Check the key in Site settings → ' +
          'Integrations → API Keys.',
      'forbidden',
    );
  }
  if (status === 404) {
    if (context.authTest && !isSotionError(content)) {
      // Not Sotion's answer: nothing is served at this base (sessionConfig.perform tries the next).
      throw userError(
        z,
        `No Sotion API answered at ${response.request.url}: HTTP 404 without Sotion's error ` +
          `body.${suffix}`,
        'not_sotion_api',
        { status, requestId, rate, notSotionApi: true },
      );
    }
    fail(
      `Sotion could not find ${missing(context, said) ?? context.notFound ?? target}. It may have been deleted, or the ID may belong to another ` +
        'site (each API key sees only its own site). Check the ID or pick it from the dropdown.',
      'not_found',
    );
  }
  if (status === 429) {
    const delay = throttleDelaySeconds(response) ?? DEFAULT_THROTTLE_SECONDS;
    // An endpoint's own limit is named only when the answer shows it was that one.
    const own = context.throttled && ownLimitShown(context, said, response);
    const which = own
      ? `Sotion's own limit for this kind of request was reached while ${action} ${target} (${context.throttled})`
      : `Sotion's rate limit${context.throttled ? ' for this site' : ''} was reached while ${action} ${target}`;
    throw withInfo(
      new z.errors.ThrottledError(
        `${which}; Zapier will try again in about ${delay} seconds.${suffix}`,
        withJitter(delay),
      ),
      { status, requestId, transient: true, retryAfterSeconds: delay, rate },
    );
  }
  if (status >= 500) {
    fail(
      context.lostAnswer
        ? `Sotion had a problem (HTTP ${status}) while ${action} ${target}, so the change may or ` +
            `may not have been made. ${context.lostAnswer}`
        : `Sotion had a problem (HTTP ${status}) while ${action} ${target}. This is usually ` +
            'temporary: replay the step in a few minutes, and contact Sotion support with the ' +
            'request id if it keeps happening.',
      'server_error',
      true,
    );
  }
  return fail(
    `Sotion rejected the request while ${action} ${target} (HTTP ${status}). Check the values ` +
      "in this step's fields.",
    status === 400 || status === 422 ? 'invalid_request' : `http_${status}`,
  );
};
