import type { Bundle, HttpResponse, ZObject } from 'zapier-platform-core';
import type { RateHeaders } from './rate-gate';

/**
 * What the request pipeline knows about an error it raised. Kept beside the error (not in its
 * message) so the client can decide on retries without parsing text.
 */
export interface ErrorInfo {
  status?: number;
  requestId?: string;
  /**
   * A later try could fix it (5xx, 429, time-outs, lost connections, a body that was not JSON,
   * a run out of time). Set only where something reads it: the client's retries
   * (`retryDelayMs`), the list reads of bulk steps (`positionRefused`), a webhook's details (`read`
   * in src/zap/hooks/details.ts) and Export Members' saved progress (`exportMembers`).
   */
  transient?: boolean;
  /** For 429: seconds until Sotion accepts requests again, before jitter. */
  retryAfterSeconds?: number;
  /** What the answer's rate-limit headers said (the run's rate gate remembers it). */
  rate?: RateHeaders;
  /** Sotion's own words, the key redacted (a refused bulk batch reports them per member). */
  apiMessage?: string;
  /** The connection test's 404 without Sotion's error body: no Sotion API at that base URL. */
  notSotionApi?: boolean;
  /**
   * A step handed back for lack of time to try again: the answer that asked for another try
   * (a 5xx, a body that was not JSON), so what is shown can still name it.
   */
  lastAnswer?: { status?: number; requestId?: string };
}

const infos = new WeakMap<object, ErrorInfo>();

export const withInfo = <E extends object>(error: E, info: ErrorInfo): E => {
  infos.set(error, info);
  return error;
};

export const errorInfo = (error: unknown): ErrorInfo | undefined =>
  typeof error === 'object' && error !== null ? infos.get(error) : undefined;

/** Anything that looks like a Sotion key, in any case, so no message ever carries one. */
const KEY_PATTERN = /\bso_[A-Za-z0-9_\-.]{4,}/gi;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The connection's key in any upper/lower case, or undefined when there is none. */
const keyMatcher = (bundle?: Pick<Bundle, 'authData'>): RegExp | undefined => {
  const key = bundle?.authData?.apiKey?.trim();
  return key ? new RegExp(escapeRegExp(key), 'gi') : undefined;
};

/** The text with the connection's key (in any case) and anything shaped like a key taken out. */
export const redact = (text: string, bundle?: Pick<Bundle, 'authData'>): string => {
  const key = keyMatcher(bundle);
  const out = key ? text.replace(key, '[redacted key]') : text;
  return out.replace(KEY_PATTERN, 'so_[redacted]');
};

/** Whether a text holds the connection's key in any upper/lower case. */
export const containsKey = (text: string, bundle?: Pick<Bundle, 'authData'>): boolean =>
  keyMatcher(bundle)?.test(text) ?? false;

/** Longest value quoted whole in a message or output; longer ones are shortened. */
export const QUOTE_MAX = 80;

/**
 * A value as a message or output shows it: whole when short, otherwise its start, an ellipsis
 * and its length (a 1 MB email is not echoed back whole).
 */
export const shorten = (text: string, max = QUOTE_MAX): string => {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars.slice(0, max).join('')}… (${chars.length.toLocaleString('en-US')} characters)`;
};

/** A value quoted in a message: JSON-quoted, shortened when long. */
export const quote = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(shorten(value))
    : shorten(JSON.stringify(value) ?? String(value));

export const requestIdOf = (response: Pick<HttpResponse, 'getHeader'>): string | undefined =>
  response.getHeader('x-request-id') || undefined;

/**
 * Appended to every message about a request Sotion answered. A request that never got an answer
 * has no id, and its message says nothing about one.
 */
export const requestIdSuffix = (requestId: string | undefined): string =>
  requestId ? ` (X-Request-Id: ${requestId})` : '';

/** Sotion's own words from an error body: {"error": "..."} or {"error": {"message": "..."}}. */
export const apiMessageOf = (content: string): string | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    const text = content.trim();
    return text && text.length <= 200 && !text.startsWith('<') ? text : undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const candidates = [record.error, record.message];
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate) return candidate.slice(0, 300);
    if (typeof candidate === 'object' && candidate !== null) {
      const message = (candidate as Record<string, unknown>).message;
      if (typeof message === 'string' && message) return message.slice(0, 300);
    }
  }
  return undefined;
};

/**
 * Whether a body is an error as Sotion writes one: JSON `{"error": "…"}` (documented) or
 * `{"error": {"code"?, "message"?}}`. A web server's 404 page, plain text, or JSON without an
 * `error` is not.
 */
export const isSotionError = (content: string): boolean => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const { error } = parsed as Record<string, unknown>;
  if (typeof error === 'string') return error.trim() !== '';
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as Record<string, unknown>;
  return typeof code === 'string' || typeof message === 'string';
};

/** A user-facing failure that Zapier shows as the step's error. */
export const userError = (z: ZObject, message: string, code: string, info: ErrorInfo): Error =>
  withInfo(new z.errors.Error(redact(message), code, info.status ?? 0), info);

/** The sentence of an error: z.errors.Error keeps its text as JSON {message, code, status}. */
export const plainMessage = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) {
      return String(parsed.message);
    }
  } catch {
    // plain text
  }
  return text;
};

/** Bad input found before any request: halts the step with a message naming the field. */
export const inputError = (z: ZObject, message: string): Error =>
  withInfo(new z.errors.Error(redact(message), 'invalid_input', 400), {});

/** Where in a step's input a value holds the key ("emails[2]", "members[0].email"), if any. */
const keyPath = (
  value: unknown,
  bundle: Pick<Bundle, 'authData'>,
  path: string,
): string | undefined => {
  if (typeof value === 'string') return containsKey(value, bundle) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [name, child] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${name}]` : path ? `${path}.${name}` : name;
    const found = containsKey(name, bundle) ? at : keyPath(child, bundle, at);
    if (found !== undefined) return found;
  }
  return undefined;
};

/**
 * Refuses a step whose input holds the connection's API key in any upper/lower case (a field
 * mapped from the wrong step): sent, it would be stored in Sotion and come back in outputs,
 * errors and logs. Checked before any request, naming where the key was found.
 */
export const refuseKeyInInput = (
  z: ZObject,
  bundle: Pick<Bundle, 'authData' | 'inputData'>,
): void => {
  const where = keyPath(bundle.inputData, bundle, '');
  if (where === undefined) return;
  throw inputError(
    z,
    `A value of this step contains the connection's API key (in ${where}), so nothing was sent ` +
      'to Sotion. Check which fields are mapped into this step.',
  );
};
