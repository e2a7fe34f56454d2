import type { Bundle, HttpResponse, ZObject } from 'zapier-platform-core';
import type { z as zod } from 'zod';
import { apiKeyProblem } from './api-key';
import { resolveBaseUrl } from './config';
import { Deadline, sleep } from './deadline';
import {
  apiMessageOf,
  errorInfo,
  inputError,
  redact,
  requestIdOf,
  requestIdSuffix,
  userError,
  withInfo,
} from './errors';
import { describeRequest } from './middleware';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec<S extends zod.ZodType> {
  method: Method;
  /** Path under the base URL, e.g. `/access-groups`. Ids are encoded by the caller's helper. */
  path: string;
  query?: Query;
  body?: unknown;
  /** The documented shape of the response body. */
  schema: S;
  /** Safe to send twice. Defaults to true for GET and DELETE; 5xx, timeouts and resets retry. */
  idempotent?: boolean;
  /** Set by the connection test so a 401 reads as "this key is invalid" rather than "expired". */
  authTest?: boolean;
}

export interface Ok<T> {
  ok: true;
  data: T;
  status: number;
  requestId: string;
}
export interface Conflict {
  ok: false;
  status: 409;
  requestId: string;
  /** Sotion's own words, when it gave any. */
  apiMessage: string | undefined;
}

const MAX_ATTEMPTS = 4;
const BACKOFF_MS = 250;
const PER_REQUEST_TIMEOUT_MS = 15_000;
const MIN_REQUEST_MS = 500;
/** A throttle longer than this is handed back to Zapier instead of waited out in the run. */
const MAX_IN_RUN_WAIT_MS = 10_000;

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

export const encodeId = (id: string): string => encodeURIComponent(id);

/**
 * The one place that talks HTTP to Sotion. Each operation run makes one client: it carries the
 * run's deadline and what the rate-limit headers said last, so every request of the run paces
 * itself the same way.
 */
export class SotionClient {
  readonly deadline: Deadline;
  readonly baseUrl: string;
  /** Requests sent in this run, retries included (Bulk Add Members reports it). */
  requestsSent = 0;
  private rateRemaining: number | undefined;
  private rateResetAtMs: number | undefined;

  constructor(
    readonly z: ZObject,
    private readonly bundle: Bundle,
    deadline: Deadline = new Deadline(),
  ) {
    this.deadline = deadline;
    this.baseUrl = resolveBaseUrl();
    const problem = apiKeyProblem(bundle.authData?.apiKey);
    if (problem) throw inputError(z, problem);
  }

  /** Sends a request; a 409 becomes an error saying what already exists. */
  async call<S extends zod.ZodType>(spec: RequestSpec<S>): Promise<Ok<zod.output<S>>> {
    const result = await this.callAllowingConflict(spec);
    if (result.ok) return result;
    const { action, target } = describeRequest(spec.method, this.baseUrl + spec.path);
    throw userError(
      this.z,
      `Sotion answered 409 Conflict while ${action} ${target}: it already exists.` +
        (result.apiMessage ? ` Sotion said: "${result.apiMessage}".` : '') +
        requestIdSuffix(result.requestId),
      'conflict',
      { status: 409, requestId: result.requestId, transient: false },
    );
  }

  /** Sends a request and hands a 409 back to the caller, which decides what it means. */
  async callAllowingConflict<S extends zod.ZodType>(
    spec: RequestSpec<S>,
  ): Promise<Ok<zod.output<S>> | Conflict> {
    const idempotent = spec.idempotent ?? (spec.method === 'GET' || spec.method === 'DELETE');
    const url = this.baseUrl + spec.path;
    this.refuseKeyAsData(spec, url);
    for (let attempt = 1; ; attempt += 1) {
      await this.paceForRateLimit(spec, url);
      const timeout = Math.min(PER_REQUEST_TIMEOUT_MS, this.deadline.remainingMs());
      if (timeout < MIN_REQUEST_MS) throw this.outOfTime(spec, url);
      try {
        this.requestsSent += 1;
        const response = await this.z.request({
          url,
          method: spec.method,
          params: spec.query ? compactQuery(spec.query) : undefined,
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          timeout,
          middlewareData: spec.authTest ? { authTest: true } : undefined,
        });
        this.remember(response);
        const requestId = requestIdOf(response);
        if (response.status === 409) {
          const said = apiMessageOf(response.content ?? '');
          return {
            ok: false,
            status: 409,
            requestId,
            apiMessage: said === undefined ? undefined : redact(said, this.bundle),
          };
        }
        // A body that is not JSON is retried like a 5xx; one of the wrong shape is not.
        const data = this.parse(spec, url, response);
        return { ok: true, data, status: response.status, requestId };
      } catch (error) {
        const waitMs = this.retryDelayMs(error, attempt, idempotent);
        if (waitMs === undefined) throw this.finalError(error, spec, url, attempt);
        await sleep(waitMs);
      }
    }
  }

  /**
   * A value mapped from the wrong field can carry the API key; sent as data it would come back in
   * outputs (a group's name, say) where Zapier shows it. Refuse before sending.
   */
  private refuseKeyAsData(spec: RequestSpec<zod.ZodType>, url: string): void {
    const key = (this.bundle.authData?.apiKey ?? '').trim();
    const data = JSON.stringify([spec.path, spec.query ?? {}, spec.body ?? null]);
    if (!data.includes(key)) return;
    const { action, target } = describeRequest(spec.method, url);
    throw inputError(
      this.z,
      `A value of this step contains the connection's API key, so it was not sent to Sotion ` +
        `(${action} ${target}). Check which fields are mapped into this step.`,
    );
  }

  /** How long to wait before another attempt, or undefined when the error is final. */
  private retryDelayMs(error: unknown, attempt: number, idempotent: boolean): number | undefined {
    if (attempt >= MAX_ATTEMPTS) return undefined;
    const info = errorInfo(error);
    if (info?.status === 429) {
      // A 429 means the request was not processed, so any method may be sent again.
      const waitMs = (info.retryAfterSeconds ?? 60) * 1000 + 250;
      return waitMs <= MAX_IN_RUN_WAIT_MS && this.deadline.canWait(waitMs) ? waitMs : undefined;
    }
    if (!idempotent) return undefined;
    if (!(info?.transient || isNetworkError(error))) return undefined;
    const waitMs = BACKOFF_MS * 2 ** (attempt - 1) + Math.floor(Math.random() * BACKOFF_MS);
    return this.deadline.canWait(waitMs, MIN_REQUEST_MS * 2) ? waitMs : undefined;
  }

  private finalError(error: unknown, spec: RequestSpec<zod.ZodType>, url: string, attempt: number) {
    if (!isNetworkError(error)) return error;
    const { action, target } = describeRequest(spec.method, url);
    const timedOut = error.type === 'request-timeout' || error.name === 'AbortError';
    const what = timedOut
      ? 'did not answer in time'
      : `could not be reached (${error.code ?? error.name})`;
    const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
    const unsure =
      spec.method === 'POST' || spec.method === 'PATCH'
        ? ' The change may or may not have been made; replaying the step is safe.'
        : ' Replay the step in a few minutes.';
    return userError(
      this.z,
      `Sotion ${what} while ${action} ${target}${tries}.${unsure}${requestIdSuffix(undefined)}`,
      timedOut ? 'timeout' : 'network_error',
      { transient: true },
    );
  }

  private outOfTime(spec: RequestSpec<zod.ZodType>, url: string): Error {
    const { action, target } = describeRequest(spec.method, url);
    return withInfo(
      new this.z.errors.Error(
        `The step ran out of time (Zapier allows 30 seconds) before ${action} ${target}. ` +
          'Replay the step; if it keeps happening, Sotion is answering slowly.' +
          requestIdSuffix(undefined),
        'deadline',
        0,
      ),
      { transient: true },
    );
  }

  private remember(response: HttpResponse): void {
    const remaining = Number(response.getHeader('x-ratelimit-remaining'));
    const reset = Number(response.getHeader('x-ratelimit-reset'));
    if (response.getHeader('x-ratelimit-remaining') !== undefined && Number.isFinite(remaining)) {
      this.rateRemaining = remaining;
    }
    if (response.getHeader('x-ratelimit-reset') !== undefined && Number.isFinite(reset)) {
      this.rateResetAtMs = reset * 1000;
    }
  }

  /** When the last response said no requests are left, wait for the window to reset. */
  private async paceForRateLimit(spec: RequestSpec<zod.ZodType>, url: string): Promise<void> {
    if (this.rateRemaining === undefined || this.rateRemaining > 0) return;
    if (this.rateResetAtMs === undefined) return;
    const waitMs = this.rateResetAtMs - Date.now() + 100;
    this.rateRemaining = undefined;
    if (waitMs <= 0) return;
    if (waitMs <= MAX_IN_RUN_WAIT_MS && this.deadline.canWait(waitMs)) {
      await sleep(waitMs);
      return;
    }
    const { action, target } = describeRequest(spec.method, url);
    const seconds = Math.ceil(waitMs / 1000);
    throw withInfo(
      new this.z.errors.ThrottledError(
        `Sotion's rate limit for this site is used up until its window resets in about ${seconds} ` +
          `seconds, so ${action} ${target} has to wait; Zapier will try again then.` +
          requestIdSuffix(undefined),
        seconds + 1,
      ),
      { status: 429, transient: true, retryAfterSeconds: seconds },
    );
  }

  private parse<S extends zod.ZodType>(
    spec: RequestSpec<S>,
    url: string,
    response: HttpResponse,
  ): zod.output<S> {
    const requestId = requestIdOf(response);
    const content = response.content ?? '';
    const { action, target } = describeRequest(spec.method, url);
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
    const parsed = spec.schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length ? ` at "${issue.path.join('.')}"` : '';
    throw userError(
      this.z,
      `Sotion answered HTTP ${response.status} while ${action} ${target}, but the response did ` +
        `not have the documented shape${where}: ${issue?.message ?? 'unexpected body'}. ` +
        `Please report this to the integration's maintainers.${requestIdSuffix(requestId)}`,
      'unexpected_response',
      { status: response.status, requestId, transient: false },
    );
  }
}

const compactQuery = (query: Query): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) out[key] = String(value);
  }
  return out;
};
