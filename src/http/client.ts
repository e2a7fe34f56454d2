import type { Bundle, HttpRequestOptions, HttpResponse, ZObject } from 'zapier-platform-core';
import type { z as zod } from 'zod';
import { apiKeyProblem } from './api-key';
import { keyRejected, withJitter } from './middleware';
import { RateGate, readRateHeaders } from './rate-gate';
import { rawText } from './raw-body';
import { baseUrlOf } from './config';
import { ConnectionCache, digestOf } from './cache';
import { RateLedger } from './ledger';
import { StepMemory } from './step-memory';
import { Deadline, sleep } from './deadline';
import {
  apiMessageOf,
  containsKey,
  errorInfo,
  inputError,
  redact,
  refuseKeyInInput,
  requestIdOf,
  requestIdSuffix,
  userError,
  withInfo,
} from './errors';
import {
  wordRequest,
  fill,
  word,
  wordingValues,
  type Endpoint,
  type PathParams,
  type RequestContext,
} from './endpoint';

export type Query = Record<string, string | number | boolean | undefined>;

/** The path parameters an endpoint needs, or none. */
type ParamsOf<P extends string> = [PathParams<P>] extends [never]
  ? { params?: undefined }
  : { params: Record<PathParams<P>, string> };

export type CallArgs<P extends string> = ParamsOf<P> & {
  query?: Query;
  body?: unknown;
  /** Set by the connection test and its perform: a 401 reads as "this key is invalid", not "expired". */
  authTest?: boolean;
  /** For an endpoint whose resend answers 409: this caller takes the 409 as success. */
  acceptsConflict?: boolean;
  /** What to tell the user when the answer was lost and a resend is not safe. */
  lostAnswerHint?: string;
  /**
   * The answer carries a credential (a login link): sent with `raw: true`, so core's HTTP log
   * records `<probably streaming data>` instead of the body; parsed here all the same.
   */
  sensitive?: boolean;
  /** Why a 403 happens for this call, when the caller knows better than the endpoint. */
  forbidden?: string;
};

export interface Ok<T> {
  ok: true;
  data: T;
  status: number;
  requestId: string | undefined;
}

/** A status the endpoint declares as an outcome for its caller (409 exists, 404 gone). */
export type Expected<E extends number> = E extends number
  ? {
      ok: false;
      status: E;
      requestId: string | undefined;
      /** Sotion's own words, when it gave any (the key redacted). */
      apiMessage: string | undefined;
    }
  : never;

export type Outcome<T, E extends number> = Ok<T> | Expected<E>;

interface Prepared {
  url: string;
  action: string;
  target: string;
  idempotent: boolean;
  lostAnswerHint?: string;
}

/** What a write that may or may not have been done tells the user by default. */
const CHECK_FIRST = 'Check in Sotion before replaying the step.';

const MAX_ATTEMPTS = 4;
const BACKOFF_MS = 250;
const PER_REQUEST_TIMEOUT_MS = 15_000;
const MIN_REQUEST_MS = 500;
/** After running out of time: Zapier runs the step again this many seconds later (plus jitter). */
const OUT_OF_TIME_SECONDS = 5;
const OUT_OF_TIME = 'out of time';

/**
 * The wait before attempt `attempt + 1` after a 5xx or a lost answer: 250 ms doubled per attempt,
 * plus up to 250 ms of jitter so that parallel requests do not come back together.
 */
export const backoffMs = (attempt: number, random: () => number = Math.random): number =>
  BACKOFF_MS * 2 ** (attempt - 1) + Math.floor(random() * BACKOFF_MS);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** Core's RefreshAuthError, which its throwForStaleAuth throws for every 401 (session auth). */
const isStaleAuth = (error: unknown): boolean =>
  error instanceof Error && error.name === 'RefreshAuthError';

export const isNetworkError = (
  error: unknown,
): error is Error & { code?: string; type?: string } => {
  if (!(error instanceof Error) || errorInfo(error)) return false;
  const { code, type } = error as Error & { code?: string; type?: string };
  return (
    error.name === 'FetchError' ||
    error.name === 'AbortError' ||
    type === 'request-timeout' ||
    type === 'body-timeout' ||
    (code !== undefined && NETWORK_CODES.has(code))
  );
};

/**
 * The one place that talks HTTP to Sotion. Each operation run makes one client: it carries the
 * run's deadline and what the rate-limit headers said last, so every request of the run paces
 * itself the same way. It takes an endpoint (src/api/*.ts) and its parameters, and returns the
 * parsed answer or one of the statuses the endpoint declares as an outcome.
 */
export class SotionClient {
  readonly deadline: Deadline;
  readonly baseUrl: string;
  /** Requests sent in this run, retries included (Bulk Add Members reports it). */
  requestsSent = 0;
  /**
   * Writes sent again after an answer was lost (a reset, a time-out or a 5xx): Sotion may have
   * done the first one, so what the resend calls "already there" may be this run's own work.
   */
  resentAfterLostAnswer = 0;
  /** The run's rate gate: every request of the run waits its turn there. */
  readonly gate = new RateGate();
  /** The turns this run takes with the other runs of the connection (z.cache, best effort). */
  readonly ledger: RateLedger;
  /** What this step remembers between its tries: its turns and what it confirmed. */
  readonly memory: StepMemory;

  constructor(
    readonly z: ZObject,
    readonly bundle: Bundle,
    deadline: Deadline = new Deadline(),
  ) {
    this.deadline = deadline;
    // The base sessionConfig.perform found (a computed auth field), else the documented one.
    this.baseUrl = baseUrlOf(bundle.authData);
    // A step's tries share its input: what one try kept waits for the next under it.
    const cache = new ConnectionCache(z);
    this.memory = new StepMemory(cache, `sotion:step:v2:${digestOf(bundle.inputData ?? null)}`);
    this.ledger = new RateLedger(cache, this.memory);
    const problem = apiKeyProblem(bundle.authData?.apiKey);
    if (problem) throw inputError(z, problem);
    // Every operation makes its client before reading its input: a key mapped into a field
    // stops the step here, before any request.
    refuseKeyInInput(z, bundle);
  }

  /**
   * The next `count` requests of this run come one after another (the rest of an update after a
   * 409, say): when the runs of the site take turns, one turn reserves them all, so the run is
   * not sent to the back of the queue between them.
   */
  plan(count: number): void {
    this.ledger.plan(count);
  }

  async call<S extends zod.ZodType, P extends string, E extends number>(
    ep: Endpoint<S, P, E>,
    args: CallArgs<P>,
  ): Promise<Outcome<zod.output<S>, E>> {
    try {
      return await this.send1(ep, args);
    } catch (error) {
      // Going back to Zapier: the slots this run holds wait for its next try.
      if (error instanceof this.z.errors.ThrottledError) await this.ledger.keepTicket();
      throw error;
    }
  }

  private async send1<S extends zod.ZodType, P extends string, E extends number>(
    ep: Endpoint<S, P, E>,
    args: CallArgs<P>,
  ): Promise<Outcome<zod.output<S>, E>> {
    const params: Record<string, string> = args.params ?? {};
    const values = wordingValues(params, args.body);
    const { action, target } = wordRequest(ep, values);
    const prepared: Prepared = {
      url: this.baseUrl + fill(ep.path, params, encodeURIComponent),
      action,
      target,
      idempotent: ep.replay === 'safe' || (ep.replay === 'conflict' && !!args.acceptsConflict),
      lostAnswerHint: args.lostAnswerHint,
    };
    const context: RequestContext = {
      action,
      target,
      expect: ep.expect,
      forbidden: forbiddenOf(args.forbidden ?? ep.forbidden, values),
      lostAnswer: prepared.idempotent ? undefined : (prepared.lostAnswerHint ?? CHECK_FIRST),
      notFound: ep.notFound === undefined ? undefined : word(ep.notFound, values),
      notFoundWhich:
        ep.notFoundWhich &&
        Object.fromEntries(
          Object.entries(ep.notFoundWhich).map(([said, what]) => [said, word(what, values)]),
        ),
      throttled: ep.throttled === undefined ? undefined : word(ep.throttled, values),
      throttledSays: ep.throttledSays,
      authTest: args.authTest,
    };
    this.refuseKeyAsData([prepared.url, args.query ?? {}, args.body ?? null], prepared);
    // A 429 means nothing was processed: it is sent again after the reset for as long as the
    // run's deadline allows, without spending the attempts meant for 5xx and lost answers.
    let lastThrottle: unknown = undefined;
    /** Another attempt after a lost answer or a 5xx, or undefined when the error is final. */
    const again = (error: unknown, attempt: number): number | undefined => {
      const waitMs = this.retryDelayMs(error, attempt, prepared.idempotent);
      // Worth another attempt, but the run has no time left for it: Zapier runs it again.
      if (waitMs === OUT_OF_TIME) throw this.outOfTime(prepared, error);
      // A write sent again: Sotion may have done the first one.
      if (waitMs !== undefined && ep.method !== 'GET') this.resentAfterLostAnswer += 1;
      return waitMs;
    };
    for (let attempt = 1; ;) {
      // The run's turn among the runs sharing the site's limit: now, after a wait, or on a later
      // try (Zapier runs the step again when its turn comes).
      const turn = await this.ledger.turn(this.deadline, ep.siteLimit, this.gate.blockedUntil());
      // Sotion's own 429, when there was one, says best which limit it was.
      if (turn.kind === 'handBack')
        throw lastThrottle instanceof Error
          ? lastThrottle
          : this.handBack(prepared, turn.delaySeconds);
      if (turn.kind === 'wait') await sleep(turn.at - Date.now());
      // A wait the run cannot afford goes back to Zapier: as Sotion's own 429 when there was one.
      const ticket = await this.gate.acquire(this.deadline, (waitMs) =>
        lastThrottle instanceof Error ? lastThrottle : this.throttled(prepared, waitMs),
      );
      const timeout = Math.min(PER_REQUEST_TIMEOUT_MS, this.deadline.remainingMs());
      if (timeout < MIN_REQUEST_MS) {
        this.gate.release(ticket);
        throw this.outOfTime(prepared);
      }
      let answer: { response: Pick<HttpResponse, 'status' | 'getHeader'>; content: string };
      const sentAt = Date.now();
      try {
        this.requestsSent += 1;
        answer = await this.send(
          {
            url: prepared.url,
            method: ep.method,
            params: args.query ? compactQuery(args.query) : undefined,
            body: args.body === undefined ? undefined : JSON.stringify(args.body),
            timeout,
            middlewareData: context,
          },
          args.sensitive === true,
        );
      } catch (error) {
        const info = errorInfo(error);
        this.gate.release(ticket, info?.rate);
        await this.ledger.observe(info?.rate, sentAt);
        if (info?.status === 429) {
          lastThrottle = error;
          continue;
        }
        // A 401: core (session auth) threw RefreshAuthError before our afterResponse saw it.
        if (isStaleAuth(error)) throw keyRejected(this.z, context);
        const waitMs = again(error, attempt);
        if (waitMs === undefined) throw this.finalError(error, prepared, attempt);
        attempt += 1;
        await sleep(waitMs);
        continue;
      }
      const { response, content } = answer;
      const rate = readRateHeaders(response);
      this.gate.release(ticket, rate);
      await this.ledger.observe(rate, sentAt);
      const requestId = requestIdOf(response);
      if ((ep.expect as readonly number[]).includes(response.status)) {
        const said = apiMessageOf(content);
        return {
          ok: false,
          status: response.status,
          requestId,
          apiMessage: said === undefined ? undefined : redact(said, this.bundle),
        } as Expected<E>;
      }
      try {
        // A body that is not JSON is retried like a 5xx; one of the wrong shape is not.
        const data = this.parse(ep.schema, prepared, response, content);
        return { ok: true, data, status: response.status, requestId };
      } catch (error) {
        const waitMs = again(error, attempt);
        if (waitMs === undefined) throw error;
        attempt += 1;
        await sleep(waitMs);
      }
    }
  }

  /** One z.request; a sensitive one is raw (core does not log its body) and read here. */
  private async send(
    options: HttpRequestOptions & { url: string },
    sensitive: boolean,
  ): Promise<{ response: Pick<HttpResponse, 'status' | 'getHeader'>; content: string }> {
    if (sensitive) {
      const response = await this.z.request({ ...options, raw: true });
      return { response, content: await rawText(response) };
    }
    const response = await this.z.request(options);
    return { response, content: response.content ?? '' };
  }

  /**
   * A value mapped from the wrong field can carry the API key; sent as data it would come back in
   * outputs (a group's name, say) where Zapier shows it. Refuse before sending.
   */
  private refuseKeyAsData(values: unknown, request: Prepared): void {
    if (!containsKey(JSON.stringify(values), this.bundle)) return;
    throw inputError(
      this.z,
      `A value of this step contains the connection's API key, so it was not sent to Sotion ` +
        `(${request.action} ${request.target}). Check which fields are mapped into this step.`,
    );
  }

  /**
   * How long to wait before another attempt; undefined when the error is final, OUT_OF_TIME
   * when another attempt is worth it but the run cannot afford it.
   */
  private retryDelayMs(
    error: unknown,
    attempt: number,
    idempotent: boolean,
  ): number | typeof OUT_OF_TIME | undefined {
    if (attempt >= MAX_ATTEMPTS) return undefined;
    const info = errorInfo(error);
    if (!idempotent) return undefined;
    if (!(info?.transient || isNetworkError(error))) return undefined;
    const waitMs = backoffMs(attempt);
    return this.deadline.canWait(waitMs, MIN_REQUEST_MS * 2) ? waitMs : OUT_OF_TIME;
  }

  private finalError(error: unknown, request: Prepared, attempt: number) {
    if (!isNetworkError(error)) return error;
    const timedOut = error.type === 'request-timeout' || error.name === 'AbortError';
    const what = timedOut
      ? 'did not answer in time'
      : `could not be reached (${error.code ?? error.name})`;
    const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
    const unsure = request.idempotent
      ? ' Replaying the step is safe; try again in a few minutes.'
      : ` The change may or may not have been made.${` ${request.lostAnswerHint ?? CHECK_FIRST}`}`;
    return userError(
      this.z,
      `Sotion ${what} while ${request.action} ${request.target}${tries}.${unsure}`,
      timedOut ? 'timeout' : 'network_error',
      { transient: true },
    );
  }

  /**
   * Work left undone for lack of time goes back to Zapier as a throttle, which runs the step
   * again (what the run confirmed is not lost: a replay of a read or of a safe write is harmless).
   */
  private outOfTime(request: Prepared, cause?: unknown): Error {
    const seconds = withJitter(OUT_OF_TIME_SECONDS);
    const said = errorInfo(cause);
    return withInfo(
      new this.z.errors.ThrottledError(
        `The step ran out of time (Zapier allows 30 seconds) before ${request.action} ` +
          `${request.target}, so Zapier will run it again in about ${seconds} seconds. If it ` +
          'keeps happening, Sotion is answering slowly.',
        seconds,
      ),
      {
        transient: true,
        retryAfterSeconds: seconds,
        lastAnswer: said && { status: said.status, requestId: said.requestId },
      },
    );
  }

  /**
   * The run's turn comes later than it can wait: back to Zapier, to be run again just before it
   * (no jitter: the turns of the site's runs are spread already).
   */
  private handBack(request: Prepared, seconds: number): Error {
    return withInfo(
      new this.z.errors.ThrottledError(
        `Several Zap runs are sharing Sotion's rate limit for this site, and this step's turn ` +
          `(${request.action} ${request.target}) comes in about ${seconds} seconds, so Zapier ` +
          'will run it again then.',
        seconds,
      ),
      { transient: true, retryAfterSeconds: seconds },
    );
  }

  /** A wait for the rate limit longer than the run can afford: handed back to Zapier. */
  private throttled(request: Prepared, waitMs: number): Error {
    // The wait includes a fraction of a second of jitter: round rather than overstate it.
    const seconds = Math.max(1, Math.round(waitMs / 1000));
    return withInfo(
      new this.z.errors.ThrottledError(
        `Sotion's rate limit for this site is used up until its window resets in about ${seconds} ` +
          `seconds, so ${request.action} ${request.target} has to wait; Zapier will try again then.`,
        withJitter(seconds),
      ),
      { status: 429, transient: true, retryAfterSeconds: seconds },
    );
  }

  private parse<S extends zod.ZodType>(
    schema: S,
    request: Prepared,
    response: Pick<HttpResponse, 'status' | 'getHeader'>,
    content: string,
  ): zod.output<S> {
    const requestId = requestIdOf(response);
    const { action, target } = request;
    let body: unknown = undefined;
    if (content.trim() !== '') {
      try {
        body = JSON.parse(content);
      } catch {
        throw userError(
          this.z,
          `Sotion answered HTTP ${response.status} while ${action} ${target}, but the body was not ` +
            'JSON. This is usually a temporary problem at Sotion or a proxy in between; replay ' +
            `the step later.${requestIdSuffix(requestId)}`,
          'bad_response',
          { status: response.status, requestId, transient: true },
        );
      }
    }
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? ` at "${issue.path.join('.')}"` : '';
    throw userError(
      this.z,
      `Sotion answered HTTP ${response.status} while ${action} ${target}, but the response did ` +
        `not have the documented shape${where}: ${issue?.message ?? 'unexpected body'}. ` +
        `Please report this to the integration's maintainers.${requestIdSuffix(requestId)}`,
      'unexpected_response',
      { status: response.status, requestId },
    );
  }
}

const forbiddenOf = (template: string | undefined, values: Record<string, string>) =>
  template === undefined ? undefined : word(template, values);

const compactQuery = (query: Query): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) out[key] = String(value);
  }
  return out;
};
