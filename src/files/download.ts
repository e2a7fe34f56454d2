import type { Readable } from 'node:stream';
import type { RawHttpResponse, ZObject } from 'zapier-platform-core';
import type { Deadline } from '../http/deadline';
import { errorInfo, inputError, plainMessage, shorten, userError } from '../http/errors';
import { isSotionUrl } from '../http/middleware';

/**
 * Downloads a file Zapier hands a step as a URL (a `type: 'file'` field). The body is read as a
 * stream and counted: past `maxBytes` the download stops and the step fails with the size,
 * before any Sotion request. The download shares the run's deadline with what follows.
 *
 * The API key never travels with it: `addSotionHeaders` adds the key only for the Sotion API base
 * URL, and a URL under that base is refused here, so the request carries no Authorization header.
 * The request is `raw: true`, so core's HTTP log records `<probably streaming data>`, not the body.
 */

export interface DownloadOptions {
  /** The field's label, for messages (`CSV File`). */
  label: string;
  /** The run's deadline: the download may use what is left of it, less `reserveMs`. */
  deadline: Deadline;
  maxBytes: number;
  /** Time kept back for the work after the download (parsing, Sotion requests). */
  reserveMs?: number;
}

export interface Downloaded {
  data: Buffer;
  /** The Content-Type the file's host sent, if any. */
  contentType: string | undefined;
}

/** Kept back for the Sotion requests after a download, unless the caller says otherwise. */
export const DOWNLOAD_RESERVE_MS = 5_000;
/** Below this, a download is not even started: it could not finish. */
const MIN_DOWNLOAD_MS = 1_000;

const MB = 1024 * 1024;

/** A size as people read it: `10 MB`, `12.3 MB (12,900,000 bytes)`. */
export const formatBytes = (bytes: number): string => {
  const mb = bytes / MB;
  const rounded = Number.isInteger(mb) ? String(mb) : mb.toFixed(1);
  return `${rounded} MB (${bytes.toLocaleString('en-US')} bytes)`;
};

/** The URL as given, checked: http(s), and never the Sotion API itself. */
export const fileUrl = (z: ZObject, label: string, value: string): string => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw inputError(
      z,
      `${label} must be a file (map the file from an earlier step, such as a Google Drive or ` +
        `email attachment); "${shorten(value)}" is not a link to one.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw inputError(
      z,
      `${label} must be an http(s) link to a file; "${shorten(value)}" is a ${url.protocol} link.`,
    );
  }
  if (isSotionUrl(value)) {
    throw inputError(
      z,
      `${label} points at the Sotion API (${shorten(value)}), not at a file. Map the file from ` +
        'the step that has it, such as a Google Drive or email attachment.',
    );
  }
  return value;
};

const tooLarge = (z: ZObject, label: string, maxBytes: number, size: string) =>
  inputError(
    z,
    `${label} is ${size}; a step reads at most ${formatBytes(maxBytes)}. Nothing was sent to ` +
      'Sotion. Split the file into smaller ones and run the step for each.',
  );

const statusProblem = (status: number): string => {
  if (status === 401 || status === 403 || status === 410)
    return 'the link may have expired or need a login: map the file again from the earlier step';
  if (status === 404)
    return 'there is no file at that link: map the file again from the earlier step';
  if (status === 429 || status >= 500) return 'this is usually temporary: replay the step later';
  return 'check that the field holds a link to the file itself';
};

/** Reads the whole body, at most `maxBytes`, before `timeoutMs`. */
const readCapped = async (
  z: ZObject,
  response: RawHttpResponse,
  options: DownloadOptions,
  timeoutMs: number,
): Promise<Buffer> => {
  const body = response.body as NodeJS.ReadableStream & Partial<Pick<Readable, 'destroy'>>;
  const chunks: Buffer[] = [];
  let total = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    body.destroy?.(new Error('download deadline'));
  }, timeoutMs);
  try {
    for await (const chunk of body) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += buffer.length;
      if (total > options.maxBytes) {
        body.destroy?.();
        throw tooLarge(
          z,
          options.label,
          options.maxBytes,
          `larger than that (the download was stopped at ${total.toLocaleString('en-US')} bytes)`,
        );
      }
      chunks.push(buffer);
    }
  } catch (error) {
    if (!timedOut) {
      // Ours (too large) as it is; anything else is the connection failing mid-download.
      if (errorInfo(error)) throw error;
      throw networkError(z, options, error);
    }
    throw userError(
      z,
      `${options.label} did not finish downloading within the ${Math.round(timeoutMs / 1000)} ` +
        `seconds this step had left (${total.toLocaleString('en-US')} bytes arrived). Nothing ` +
        "was sent to Sotion. The file's host is slow: replay the step, or use a smaller file.",
      'download_timeout',
      {},
    );
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks, total);
};

const networkError = (z: ZObject, options: DownloadOptions, error: unknown) =>
  userError(
    z,
    `${options.label} could not be downloaded (${shorten(plainMessage(error))}). Nothing was sent to ` +
      'Sotion. Replay the step; if it keeps failing, map the file again from the earlier step.',
    'download_failed',
    {},
  );

/** Downloads `url` within the run's deadline and at most `maxBytes` bytes. */
export const downloadFile = async (
  z: ZObject,
  url: string,
  options: DownloadOptions,
): Promise<Downloaded> => {
  const checked = fileUrl(z, options.label, url);
  const timeoutMs = options.deadline.remainingMs() - (options.reserveMs ?? DOWNLOAD_RESERVE_MS);
  if (timeoutMs < MIN_DOWNLOAD_MS) {
    throw userError(
      z,
      `The step ran out of time (Zapier allows 30 seconds) before ${options.label} could be ` +
        'downloaded. Nothing was sent to Sotion. Replay the step.',
      'deadline',
      {},
    );
  }
  const startedAt = Date.now();
  let response: RawHttpResponse;
  try {
    response = await z.request({
      url: checked,
      method: 'GET',
      raw: true,
      timeout: timeoutMs,
      // Statuses are read here: the answer is the file host's, not Sotion's.
      skipThrowForStatus: true,
      headers: { Accept: 'text/csv, text/plain;q=0.9, */*;q=0.5' },
    });
  } catch (error) {
    const timedOut =
      error instanceof Error &&
      ((error as Error & { type?: string }).type === 'request-timeout' ||
        error.name === 'AbortError');
    if (timedOut) {
      throw userError(
        z,
        `${options.label}'s host did not answer within the ${Math.round(timeoutMs / 1000)} ` +
          'seconds this step had left. Nothing was sent to Sotion. Replay the step later.',
        'download_timeout',
        {},
      );
    }
    throw networkError(z, options, error);
  }
  if (response.status >= 300) {
    const body = response.body as NodeJS.ReadableStream & Partial<Pick<Readable, 'destroy'>>;
    body.destroy?.();
    throw userError(
      z,
      `${options.label} could not be downloaded: its host answered HTTP ${response.status}; ` +
        `${statusProblem(response.status)}. Nothing was sent to Sotion.`,
      `download_http_${response.status}`,
      { status: response.status },
    );
  }
  const declared = Number(response.getHeader('content-length'));
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    const body = response.body as NodeJS.ReadableStream & Partial<Pick<Readable, 'destroy'>>;
    body.destroy?.();
    throw tooLarge(z, options.label, options.maxBytes, formatBytes(declared));
  }
  const left = Math.max(0, timeoutMs - (Date.now() - startedAt));
  const data = await readCapped(z, response, options, left);
  return { data, contentType: response.getHeader('content-type') ?? undefined };
};
