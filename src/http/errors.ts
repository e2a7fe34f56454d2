import type { Bundle, HttpResponse, ZObject } from 'zapier-platform-core';
import type { RateHeaders } from './rate-gate';

/**
 * What the request pipeline knows about an error it raised. Kept beside the error (not in its
 * message) so the client can decide on retries without parsing text.
 */
export interface ErrorInfo {
  status?: number;
  requestId?: string;
  /** 5xx, timeouts and connection resets: worth another try when the request is idempotent. */
  transient: boolean;
  /** For 429: seconds until Sotion accepts requests again, before jitter. */
  retryAfterSeconds?: number;
  /** What the answer's rate-limit headers said (the run's rate gate remembers it). */
  rate?: RateHeaders;
  /** Sotion's own words, the key redacted (a refused bulk batch reports them per member). */
  apiMessage?: string;
}

const infos = new WeakMap<object, ErrorInfo>();

export const withInfo = <E extends object>(error: E, info: ErrorInfo): E => {
  infos.set(error, info);
  return error;
};

export const errorInfo = (error: unknown): ErrorInfo | undefined =>
  typeof error === 'object' && error !== null ? infos.get(error) : undefined;

/** Anything that looks like a Sotion key, so no message ever carries one. */
const KEY_PATTERN = /\bso_[A-Za-z0-9_\-.]{4,}/g;

export const redact = (text: string, bundle?: Pick<Bundle, 'authData'>): string => {
  let out = text;
  const key = bundle?.authData?.apiKey?.trim();
  if (key) out = out.split(key).join('[redacted key]');
  return out.replace(KEY_PATTERN, 'so_[redacted]');
};

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

/** A user-facing failure that Zapier shows as the step's error. */
export const userError = (z: ZObject, message: string, code: string, info: ErrorInfo): Error =>
  withInfo(new z.errors.Error(message, code, info.status ?? 0), info);

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
  withInfo(new z.errors.Error(message, 'invalid_input', 400), { transient: false });
