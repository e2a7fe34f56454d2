import type { z as zod } from 'zod';
import type { SiteLimit } from './ledger';

/**
 * A Sotion endpoint, declared once (src/api/*.ts) with everything the pipeline needs to know
 * about it: where it is, what it answers, how to speak of it in a message, which non-2xx
 * statuses are outcomes its callers handle, and whether sending it twice is safe.
 */

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The names of `{placeholders}` in a path template: `'/a/{x}/b/{y}'` → `'x' | 'y'`. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParams<Rest>
  : never;

/**
 * What a second send of the same request does:
 * - `safe`: nothing more (reads, PATCH, DELETE, and creates whose repeat Sotion answers with an
 *   outcome every caller accepts, such as 409 "already in the group");
 * - `conflict`: a 409 "already exists"; safe only for a caller that accepts that 409;
 * - `unsafe`: it is done again (a login link is sent again, a second subscription is made).
 */
export type Replay = 'safe' | 'conflict' | 'unsafe';

export interface Endpoint<S extends zod.ZodType, P extends string, E extends number> {
  readonly method: Method;
  /** Path template under the base URL, e.g. `/access-groups/{groupId}/members`. */
  readonly path: P;
  /** The documented shape of a successful answer. */
  readonly schema: S;
  /** A noun phrase for messages, with the same placeholders: `access group {groupId}`. */
  readonly what: string;
  /** The verb of messages when the method's own (`creating` for POST …) reads wrong: `adding`. */
  readonly verb?: string;
  /** Statuses that are outcomes for the caller rather than errors (409, 404). */
  readonly expect: readonly E[];
  readonly replay: Replay;
  /** Why Sotion answers 403 here, where that is known. */
  readonly forbidden?: string;
  /**
   * A limit of this endpoint's own that a 429 may mean (login links: 5 a minute per member). It is
   * named only when the answer shows it: Sotion's message holds `throttledSays`, or the site's
   * limit still has room (X-RateLimit-Remaining above 0).
   */
  readonly throttled?: string;
  /** Words Sotion's message holds when a 429 is the endpoint's own limit (`login link`). */
  readonly throttledSays?: string;
  /** What a 404 means here, when it is not simply "`what` was not found". */
  readonly notFound?: string;
  /**
   * When a 404 may mean one of several things: a word of Sotion's message → the thing missing
   * (`{ group: 'access group {groupId}', member: 'member {memberId}' }`). The message names the
   * one whose word alone Sotion's message holds; otherwise it says `notFound`.
   */
  readonly notFoundWhich?: Readonly<Record<string, string>>;
  /** A documented limit of this endpoint's own, per site: its requests take turns on it too. */
  readonly siteLimit?: SiteLimit;
}

/** What the pipeline's afterResponse needs to know about the request (core's middlewareData). */
export interface RequestContext {
  action: string;
  target: string;
  expect: readonly number[];
  forbidden?: string;
  throttled?: string;
  throttledSays?: string;
  /** Set when a resend is not safe: what to do, since a 5xx may hide a change that was made. */
  lostAnswer?: string;
  /** What a 404 means, when it is not simply the target. */
  notFound?: string;
  /** Which of several things a 404 means, by a word of Sotion's message (see Endpoint). */
  notFoundWhich?: Record<string, string>;
  authTest?: boolean;
}

const VERBS: Record<Method, string> = {
  GET: 'reading',
  POST: 'creating',
  PATCH: 'updating',
  DELETE: 'deleting',
};

export interface EndpointOptions<E extends number> {
  what: string;
  verb?: string;
  expect?: readonly E[];
  /** Defaults: `safe` for GET, PATCH and DELETE; `unsafe` for POST. */
  replay?: Replay;
  forbidden?: string;
  throttled?: string;
  throttledSays?: string;
  notFound?: string;
  notFoundWhich?: Readonly<Record<string, string>>;
  siteLimit?: SiteLimit;
}

/** Declares an endpoint from its route, e.g. `endpoint('GET /members/{memberId}', …)`. */
export const endpoint = <
  S extends zod.ZodType,
  const R extends string,
  const E extends number = never,
>(
  route: R,
  schema: S,
  options: EndpointOptions<E>,
): Endpoint<S, RoutePath<R>, E> => {
  const space = route.indexOf(' ');
  const method = route.slice(0, space) as Method;
  const path = route.slice(space + 1) as RoutePath<R>;
  return {
    method,
    path,
    schema,
    what: options.what,
    verb: options.verb,
    expect: options.expect ?? [],
    replay: options.replay ?? (method === 'POST' ? 'unsafe' : 'safe'),
    forbidden: options.forbidden,
    throttled: options.throttled,
    throttledSays: options.throttledSays,
    notFound: options.notFound,
    notFoundWhich: options.notFoundWhich,
    siteLimit: options.siteLimit,
  };
};

export type RoutePath<R extends string> = R extends `${Method} ${infer P}` ? P : never;

/** Fills `{placeholders}`; `encode` applies to path segments, not to message wording. */
export const fill = (
  template: string,
  params: Record<string, string>,
  encode: (value: string) => string = (value) => value,
): string =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`Missing path parameter "${name}" in ${template}`);
    return encode(value);
  });

/**
 * The values a message may name: the path parameters, then the body's top-level text fields
 * (`memberId` of a group add). A placeholder with no value reads as its name.
 */
export const wordingValues = (
  params: Record<string, string>,
  body: unknown,
): Record<string, string> => {
  const values: Record<string, string> = {};
  if (typeof body === 'object' && body !== null) {
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string') values[key] = value;
    }
  }
  return { ...values, ...params };
};

export const word = (template: string, values: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name);

/** How a message speaks of a request: "reading access group 3f0c…". */
export const wordRequest = (
  ep: Pick<Endpoint<zod.ZodType, string, number>, 'method' | 'what' | 'verb'>,
  values: Record<string, string>,
): { action: string; target: string } => ({
  action: ep.verb ?? VERBS[ep.method],
  target: word(ep.what, values),
});
